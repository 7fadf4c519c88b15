"""Recall@10 of reference insights on the team-labelled episodes in bench/labelled/, by the shared insight scorer.

Usage: python bench/recall.py [-v] [--dev] [--asr speakerless|lower|unpunctuated|capitals] [--roll-up]
                              [--jitter AMOUNT [--seeds N]] [--scorer ../shared/tools/insight_recall.py]
The scorer (`insight_recall.py`, outside this repository) runs `python -m pipeline extract --json --title` on each
episode and matches its top ten against the references; its last line is JSON: recall, found, total, negatives,
bad_length. The episodes are a second, larger yardstick beside the editor's six dev episodes: a change that helps
there but not here is fitted to those six. `--dev` scores the editor's six instead. `--asr` scores copies written the
way speech recognition writes them: no speaker names, cues cut every CUE_SECONDS across sentences, and with `lower` in
lower case, with `unpunctuated` lower case without punctuation, with `capitals` in capitals (as broadcast captions).
`--roll-up` writes those copies as YouTube writes its automatic captions: a line of a few words at a time, each cue
repeating the line before it (roll-up), the new words stamped inline, with a 10 ms cue between that shows the finished
line alone. `--jitter` scores the set again N times with every passage score moved by up to AMOUNT (seeded, through
bench/jittered.py) and prints the range found: a change to the extractor that moves recall less than that is noise.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.ingest.transcripts import parse_transcript  # noqa: E402

LABELLED = ROOT / "bench" / "labelled"
CUE_SECONDS = 8.0
ROLL_UP_WORDS = 7  # words in a line of roll-up captions (YouTube's run 5-8)
ASR_STYLES = ("speakerless", "lower", "unpunctuated", "capitals")
PUNCTUATION = re.compile(r"[.,!?;:\"“”]")


def load_scorer(path: Path) -> ModuleType:
    """The shared scorer as a module, for its own Changelog-to-WebVTT conversion and time stamps."""
    spec = importlib.util.spec_from_file_location("insight_recall", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def asr_copy(source: Path, style: str, folder: Path, scorer: ModuleType, *, roll_up: bool = False) -> Path:
    """A WebVTT copy of a transcript as speech recognition writes it (see the module's docstring); a Changelog
    Markdown transcript is first converted as the scorer converts it."""
    copy = folder / f"{source.stem}.vtt"
    if source.suffix == ".md":
        converted = folder / f"{source.stem}.publisher.vtt"
        scorer.changelog_to_vtt(str(source), str(converted))
        source = converted
    transcript = parse_transcript(source.read_bytes(), filename=source.name)
    words = []  # (time, word), each cue's words spread evenly over it
    for segment in transcript.segments:
        parts = segment.text.split()
        words += [(segment.start_s + (segment.end_s - segment.start_s) * n / len(parts), w) for n, w in enumerate(parts)]
    text = " ".join(w for _, w in words)
    text = {"speakerless": text, "capitals": text.upper()}.get(style, text.lower())
    text = PUNCTUATION.sub("", text) if style == "unpunctuated" else text
    words = [(t, w) for (t, _), w in zip(words, text.split(" "), strict=True) if w]
    cues = _roll_up_cues(words, scorer) if roll_up else _cues(words, scorer)
    copy.write_text("WEBVTT\n\n" + "\n".join(cues), encoding="utf-8")
    return copy


def _cues(words: list[tuple[float, str]], scorer: ModuleType) -> list[str]:
    """Cues of CUE_SECONDS each, cut wherever that falls."""
    cues, first = [], 0
    for n in range(1, len(words) + 1):
        if n == len(words) or words[n][0] - words[first][0] >= CUE_SECONDS:
            end = words[n][0] if n < len(words) else words[first][0] + CUE_SECONDS
            text = " ".join(w for _, w in words[first:n])
            cues.append(f"{scorer.stamp(words[first][0])} --> {scorer.stamp(end)}\n{text}\n")
            first = n
    return cues


def _roll_up_cues(words: list[tuple[float, str]], scorer: ModuleType) -> list[str]:
    """Two-line roll-up cues as YouTube writes them (the module's docstring)."""
    clock = 0.0
    # the publisher's stamps can step back, captions cannot; whole milliseconds, which the scorer's stamp() needs
    words = [(clock := max(clock, round(t, 3)), w) for t, w in words]
    lines = [words[n:n + ROLL_UP_WORDS] for n in range(0, len(words), ROLL_UP_WORDS)]
    cues, shown = [], " "  # the line before the first is blank
    for n, line in enumerate(lines):
        start = line[0][0]
        end = lines[n + 1][0][0] if n + 1 < len(lines) else round(line[-1][0] + 1.0, 3)
        stamped = line[0][1] + "".join(f"<{scorer.stamp(t)}><c> {w}</c>" for t, w in line[1:])
        plain = " ".join(w for _, w in line)
        cues.append(f"{scorer.stamp(start)} --> {scorer.stamp(end)} align:start position:0%\n{shown}\n{stamped}\n")
        cues.append(f"{scorer.stamp(end)} --> {scorer.stamp(round(end + 0.01, 3))} align:start position:0%\n{plain}\n \n")
        shown = plain
    return cues


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scorer", type=Path, default=ROOT.parent / "shared" / "tools" / "insight_recall.py")
    parser.add_argument("-v", "--verbose", action="store_true", help="show what was found, missed and picked")
    parser.add_argument("--dev", action="store_true", help="the editor's six dev episodes instead of bench/labelled/")
    parser.add_argument("--asr", choices=ASR_STYLES, help="score copies written the way speech recognition writes them")
    parser.add_argument("--roll-up", action="store_true", help="write those copies as roll-up captions (YouTube's)")
    parser.add_argument("--jitter", type=float, metavar="AMOUNT", help="move every passage score by up to this much")
    parser.add_argument("--seeds", type=int, default=5, help="how many jittered runs (default 5)")
    args = parser.parse_args()
    if not args.scorer.is_file():
        print(f"The insight scorer {args.scorer} is not there; pass its path with --scorer.", file=sys.stderr)
        return 2
    shared = args.scorer.resolve().parent.parent
    refs_path = shared / "data" / "reference_insights_dev.json" if args.dev else LABELLED / "refs.json"
    refs = json.loads(refs_path.read_text(encoding="utf-8"))
    if args.roll_up and not args.asr:
        parser.error("--roll-up writes the --asr copies: give --asr STYLE too")
    scorer = load_scorer(args.scorer) if args.asr else None
    with tempfile.TemporaryDirectory() as folder:
        for episode in refs["episodes"]:  # the scorer joins a relative path to its data folder; an absolute one stands
            source = (shared if args.dev else LABELLED) / episode["file"]
            episode["file"] = str(asr_copy(source, args.asr, Path(folder), scorer, roll_up=args.roll_up) if scorer else source)
        absolute = Path(folder) / "refs.json"
        absolute.write_text(json.dumps(refs), encoding="utf-8")
        python = sys.executable if args.jitter is None else jittered_interpreter(Path(folder))
        command = [sys.executable, str(args.scorer), "--python", python, "--refs", str(absolute)]
        if args.jitter is None:
            return subprocess.run(command + ["-v"] * args.verbose, cwd=ROOT).returncode
        return jittered_runs(command, args.jitter, args.seeds)


def jittered_interpreter(folder: Path) -> str:
    """An executable the scorer can run as "<it> -m pipeline extract ...": bench/jittered.py under this Python."""
    interpreter = folder / "jittered-python"
    interpreter.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} "
                           f"{shlex.quote(str(ROOT / 'bench' / 'jittered.py'))} \"$@\"\n", encoding="utf-8")
    interpreter.chmod(0o755)
    return str(interpreter)


def jittered_runs(command: list[str], amount: float, seeds: int) -> int:
    """Run the scorer once per seed with jittered passage scores; print each result and the range found."""
    found = []
    for seed in range(seeds):
        env = {**os.environ, "PODBRIEF_BENCH_JITTER": str(amount), "PODBRIEF_BENCH_SEED": str(seed)}
        run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if run.returncode:
            print(run.stdout + run.stderr, file=sys.stderr)
            return run.returncode
        result = json.loads(run.stdout.strip().splitlines()[-1])
        print(f"seed {seed}: {json.dumps(result)}", flush=True)
        found.append(result["found"])
    print(json.dumps({"jitter": amount, "seeds": seeds, "found_min": min(found), "found_max": max(found)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
