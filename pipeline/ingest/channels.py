"""Stereo recordings with one speaker per channel (double-enders, call recordings): find them, drop cross-talk.

Mixed down to mono, two people talking at once blur into one garbled line (WER 0.68 on the shared
two-speaker clip); transcribed channel by channel, each is clean (0.0). A normal stereo mix has the
same voices in both channels, so its channels correlate strongly and it is transcribed as one.
"""

from __future__ import annotations

import numpy as np

INDEPENDENT_BELOW = 0.1  # |correlation| of left and right below this: two separate recordings, not one mix
SILENT_RMS = 1e-4  # a channel this quiet (about -80 dBFS) carries nothing to transcribe
BLEED_DB = 10.0  # a phrase this much louder on the other channel is that speaker heard through this one's mic
LABELS = ("left channel", "right channel")
PROBE_SAMPLES = 4_000_000  # judge long recordings on an even subsample: a few minutes' worth decides it


def speaker_channels(left: np.ndarray, right: np.ndarray) -> list[tuple[str | None, np.ndarray]]:
    """[(None, mono mix)] for an ordinary stereo mix; one (label, samples) per channel when each is its own speaker."""
    if _independent(left, right):
        return [(LABELS[0], left), (LABELS[1], right)]
    return [(None, (left + right) * np.float32(0.5))]


def is_bleed(own: np.ndarray, other: np.ndarray, start: int, end: int) -> bool:
    """True when samples [start, end) are much louder on the other channel: the other speaker leaking in."""
    own_rms, other_rms = _rms(own[start:end]), _rms(other[start:end])
    return other_rms > 0 and 20 * np.log10(max(own_rms, 1e-12) / other_rms) < -BLEED_DB


def _independent(left: np.ndarray, right: np.ndarray) -> bool:
    step = max(1, len(left) // PROBE_SAMPLES)
    left, right = left[::step].astype(np.float64), right[::step].astype(np.float64)
    if min(_rms(left), _rms(right)) < SILENT_RMS:
        return False
    centred_left, centred_right = left - left.mean(), right - right.mean()
    correlation = float(np.dot(centred_left, centred_right)
                        / (np.linalg.norm(centred_left) * np.linalg.norm(centred_right)))
    return abs(correlation) < INDEPENDENT_BELOW


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0
