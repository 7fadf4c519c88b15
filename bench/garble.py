"""Calibrate the garbled-speech gate: text scores of human-edited vs ASR passages, and ASR confidence ratios.

Usage: python bench/garble.py
Prints the garble text score (pipeline/insights/textquality.py) over every two-sentence passage of 14+ words of
the six human-edited sample transcripts and of the Amazon Transcribe "Today in Focus" sample, and each ASR
segment's error rate relative to its episode's median. The last line is JSON; GARBLED_ABOVE and ERROR_RATIO in
textquality.py cite these figures.
"""

from __future__ import annotations

import json
import statistics
import sys
from itertools import pairwise
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.ingest.transcripts import parse_transcript  # noqa: E402
from pipeline.insights.sentences import split_sentences  # noqa: E402
from pipeline.insights.textquality import ERROR_RATIO, GARBLED_ABOVE, garble_score  # noqa: E402

SAMPLES = ROOT / "data" / "samples" / "transcripts"
HUMAN = ["changelog-news-180.vtt", "founders-talk-97.vtt", "go-time-339.vtt", "practical-ai-101.vtt", "ship-it-135.vtt",
         "buzzsprout-10-things.srt"]
ASR_TEXT = "today-in-focus-cyclone-idai.json"
MIN_WORDS = 14


def passage_scores(name: str) -> list[tuple[float, str]]:
    """(garble score, text) of each two-sentence passage of one speaker turn with at least MIN_WORDS words."""
    sentences = split_sentences(parse_transcript((SAMPLES / name).read_bytes(), filename=name))
    out = []
    for a, b in pairwise(sentences):
        text = f"{a.text} {b.text}"
        if a.turn == b.turn and len(text.split()) >= MIN_WORDS:
            out.append((garble_score(text), text))
    return out


def main() -> None:
    """Print the worst passages and the percentiles, then the JSON summary."""
    human = np.array([s for name in HUMAN for s, _ in passage_scores(name)])
    asr = passage_scores(ASR_TEXT)
    print("Worst ASR passages by text score:", file=sys.stderr)
    for score, text in sorted(asr, reverse=True)[:5]:
        print(f"  {score:.3f} {text[:100]}", file=sys.stderr)
    segments = parse_transcript((SAMPLES / ASR_TEXT).read_bytes(), filename=ASR_TEXT).segments  # Amazon's JSON
    median = statistics.median(s.confidence for s in segments)
    ratios = sorted(((1 - s.confidence) / (1 - median), s.text) for s in segments)[::-1]
    print("ASR segments by error rate over the episode's median:", file=sys.stderr)
    for ratio, text in ratios[:10]:
        print(f"  {ratio:.2f} {text[:100]}", file=sys.stderr)
    asr_scores = np.array([s for s, _ in asr])
    print(json.dumps({
        "human_passages": len(human), "human_p99": round(float(np.percentile(human, 99)), 3),
        "human_p995": round(float(np.percentile(human, 99.5)), 3), "human_over_threshold": int((human > GARBLED_ABOVE).sum()),
        "asr_passages": len(asr_scores), "asr_p90": round(float(np.percentile(asr_scores, 90)), 3),
        "asr_segments": len(segments), "asr_segments_over_ratio": sum(1 for r, _ in ratios if r >= ERROR_RATIO),
    }))


if __name__ == "__main__":
    main()
