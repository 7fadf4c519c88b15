"""Build the bundled offline demo in data/samples/ from the real data in the shared data folder.

Converts the Changelog Markdown transcripts to WebVTT, copies the Guardian Amazon Transcribe JSON (without its
indentation), the Buzzsprout transcripts and two audio clips, and writes
the sample feeds, opml.xml and feeds.txt. The outputs are committed; rerun only to rebuild them.

Example: .venv/bin/python data/samples/build_samples.py ../shared/data
"""

from __future__ import annotations

import argparse
import bisect
import json
import logging
import re
import shutil
import sys
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.ingest.transcripts import parse_transcript  # noqa: E402
from pipeline.insights.sentences import split_sentences  # noqa: E402
from pipeline.models import Segment, Transcript  # noqa: E402

log = logging.getLogger("build_samples")

DEFAULT_SHARED = ROOT.parent / "shared" / "data"
SECONDS_PER_CHAR = 1 / 15  # about 150 words a minute, where a transcript has too few stamps to measure its pace
MAX_CUE_CHARS = 320  # long paragraphs become cues of a few sentences
MARKERS = {"Break", "Jingle"}  # Changelog's non-speech turns: their stamps are kept as anchors, their text is not
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
CHANGELOG_NOTE = "Transcript (c) Changelog Media LLC, CC BY-SA 4.0, from github.com/thechangelog/transcripts"

_SPEAKER = re.compile(r"^\*\*([^*]+?)(?::\*\*|\*\*:)\s*")
_STAMP = re.compile(r"\\\[(unintelligible )?(\d{1,2}(?::\d{2}){1,2})(?:\.\d+)?\\\]")
_LINK = re.compile(r"\[([^\[\]]*)\]\((?:[^()]|\([^()]*\))*\)")
_SOURCE_LINK = re.compile(r"\s*\(\[src\]\([^)]*\)\)")  # "([src](url))" citations are not read aloud
_EMPHASIS = re.compile(r"\*\*(.+?)\*\*|\*(.+?)\*|(?<!\w)_(.+?)_(?!\w)")
_ESCAPED = re.compile(r"\\([\[\]*_\\`#>().!-])")


def _clean_markdown(text: str) -> str:
    """Markdown to the plain words that were said: links become their text, emphasis and quote marks go."""
    text = re.sub(r"^\s*(?:>\s?|[-*+]\s+|#+\s+)", "", text, flags=re.MULTILINE)
    text = _SOURCE_LINK.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _EMPHASIS.sub(lambda m: next(g for g in m.groups() if g is not None), text)
    text = _ESCAPED.sub(r"\1", text.replace("`", ""))
    return " ".join(text.split())


def _seconds(stamp: str) -> float:
    seconds = 0.0
    for part in stamp.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def _paragraphs(markdown: str) -> tuple[list[tuple[str | None, str, int]], list[tuple[int, float]], int]:
    """(speaker, text, char offset) per spoken paragraph, (char offset, seconds) per stamp, and the total length."""
    paragraphs: list[tuple[str | None, str, int]] = []
    anchors: list[tuple[int, float]] = []
    speaker, offset = None, 0
    for raw in re.split(r"\n\s*\n", markdown):
        raw = raw.strip()
        match = _SPEAKER.match(raw)
        name = match.group(1).strip() if match else None
        if match:
            raw = raw[match.end() :]
        words: list[str] = []
        at = 0
        for stamp in _STAMP.finditer(raw):
            words.append(_clean_markdown(raw[at : stamp.start()]))
            anchors.append((offset + len(" ".join(w for w in words if w)), _seconds(stamp.group(2))))
            words.append("[unintelligible]" if stamp.group(1) else "")
            at = stamp.end()
        words.append(_clean_markdown(raw[at:]))
        if name in MARKERS:
            offset += 1  # a break takes time but no text: its stamp and the next one must not share an offset
            continue
        speaker = name or speaker
        text = " ".join(w for w in words if w)
        if text:
            paragraphs.append((speaker, text, offset))
            offset += len(text) + 1
    return paragraphs, anchors, offset


def _clock(anchors: list[tuple[int, float]], total: int, span: tuple[float, float] | None) -> list[tuple[int, float]]:
    """Stamps that move forward, plus a start and an end: known ones, else extrapolated at the measured pace."""
    kept: list[tuple[int, float]] = []
    for pos, sec in sorted(anchors):
        if kept and (sec <= kept[-1][1] or pos <= kept[-1][0]):
            log.warning("dropping stamp %.0fs at char %d: it does not move forward", sec, pos)
            continue
        kept.append((pos, sec))
    pace = (kept[-1][1] - kept[0][1]) / (kept[-1][0] - kept[0][0]) if len(kept) > 1 else SECONDS_PER_CHAR
    start = span[0] if span else max(0.0, kept[0][1] - kept[0][0] * pace) if kept else 0.0
    end = span[1] if span else (kept[-1][1] + (total - kept[-1][0]) * pace if kept else total * pace)
    return [(0, start), *[a for a in kept if a[0] > 0], (total, end)]


def _time_at(clock: list[tuple[int, float]], pos: int) -> float:
    i = min(max(bisect.bisect_right([p for p, _ in clock], pos), 1), len(clock) - 1)
    (p0, s0), (p1, s1) = clock[i - 1], clock[i]
    return round(s0 + (s1 - s0) * (pos - p0) / max(p1 - p0, 1), 3)


def _vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def markdown_to_vtt(markdown: str, *, span: tuple[float, float] | None = None, note: str = "") -> str:
    """One WebVTT cue per paragraph (long ones split into a few sentences), timed by characters between stamps."""
    paragraphs, anchors, total = _paragraphs(markdown)
    clock = _clock(anchors, total, span)
    lines = ["WEBVTT", ""] + ([f"NOTE {note}", ""] if note else [])
    for speaker, text, offset in paragraphs:
        start, end = _time_at(clock, offset), _time_at(clock, offset + len(text))
        cue: list[str] = []
        cue_start = start
        for sentence in split_sentences(Transcript([Segment(start, end, text, speaker)], "publisher", "markdown")):
            if cue and len(" ".join([*cue, sentence.text])) > MAX_CUE_CHARS:
                lines += [f"{_vtt_time(cue_start)} --> {_vtt_time(sentence.start_s)}", _voice(speaker, cue), ""]
                cue, cue_start = [], sentence.start_s
            cue.append(sentence.text)
        lines += [f"{_vtt_time(cue_start)} --> {_vtt_time(end)}", _voice(speaker, cue), ""]
    return "\n".join(lines)


def _voice(speaker: str | None, sentences: list[str]) -> str:
    text = escape(" ".join(sentences))
    return f"<v {escape(speaker)}>{text}" if speaker else text


CHANGELOG = {"author": "Changelog Media", "category": "Technology", "language": "en-us"}
# One entry per sample feed. Dates are set for the demo (see SOURCES.md); titles and links are the real ones
# except where SOURCES.md says they were written for the demo.
SHOWS = [
    {
        **CHANGELOG, "slug": "changelog-news", "title": "Changelog News", "link": "https://changelog.com/news",
        "description": "A weekly developer news show and newsletter from the makers of The Changelog.",
        "episodes": [{
            "key": "changelog-news-180", "number": 180, "title": "Vouch for an open source web of trust",
            "date": "2026-02-10T08:00:00", "link": "https://changelog.com/news/180", "duration": 455,
            "span": (0.0, 455.0),
            "description": "Trust management for open source, a C compiler built by a team of AI agents, and why "
            "the dream of replacing developers keeps coming back.",
        }],
    },
    {
        **CHANGELOG, "slug": "go-time", "title": "Go Time", "link": "https://changelog.com/gotime",
        "description": "A panel show about the Go programming language and the people who use it.",
        "episodes": [{
            "key": "go-time-339", "number": 339, "title": "Pitching Go in 2025", "date": "2026-02-10T14:00:00",
            "link": "https://changelog.com/gotime/339",
            "description": "Johnny, Kent and Christian ask whether Go still makes sense among newer languages, "
            "and how to propose it to a team.",
        }],
    },
    {
        **CHANGELOG, "slug": "practical-ai", "title": "Practical AI", "link": "https://changelog.com/practicalai",
        "description": "Conversations that make artificial intelligence practical, productive and accessible.",
        "episodes": [{
            "key": "practical-ai-101", "number": 101, "title": "Building the world's most popular data science platform",
            "date": "2026-02-11T13:00:00", "link": "https://changelog.com/practicalai/101",
            "description": "Peter Wang, CEO of Anaconda, on how Anaconda and PyData started and on scaling up "
            "data science in practice.",
        }],
    },
    {
        **CHANGELOG, "slug": "founders-talk", "title": "Founders Talk", "link": "https://changelog.com/founderstalk",
        "description": "One-on-one conversations with founders and CEOs about building companies.",
        "episodes": [{
            "key": "founders-talk-97", "number": 97, "title": "Refocusing Docker on developer-first and growth",
            "date": "2026-02-11T15:00:00", "link": "https://changelog.com/founderstalk/97", "duration": 3645,
            "span": (261.0, 3553.0),  # "Start the show!" 4:21 to "Outro" 59:13 in the episode's chapters
            "description": "Adam talks with Scott Johnston, CEO of Docker, about the company's turn to a "
            "developer-first, product-led business.",
        }],
    },
    {
        **CHANGELOG, "slug": "ship-it", "title": "Ship It!", "link": "https://changelog.com/shipit",
        "description": "A podcast about everything that happens after git push.",
        "episodes": [{
            "key": "ship-it-135", "number": 135, "title": "The last Ship It", "date": "2026-02-11T12:00:00",
            "link": "https://changelog.com/shipit/135",
            "description": "Justin Garrison and Autumn Nash look back on their run as hosts in the show's final episode.",
        }],
    },
    {
        "slug": "podcasting-qa", "title": "Podcasting Q&A", "link": "https://www.buzzsprout.com",
        "author": "Buzzsprout", "category": "Business", "language": "en-us",
        "description": "Short answers from Buzzsprout to questions about launching, growing and monetizing a podcast.",
        "episodes": [{
            "key": "buzzsprout-10-things", "title": "10 things we wish we knew before starting a podcast",
            "date": "2026-02-10T10:00:00",
            "transcripts": [("buzzsprout-10-things.html", "text/html"), ("buzzsprout-10-things.srt", "application/srt")],
            "description": "A bonus episode pulling together ten lessons from the show's archive: audio quality, "
            "intros, guesting, templates and batching.",
        }],
    },
    {
        "slug": "today-in-focus", "title": "Today in Focus", "link": "https://www.theguardian.com/news/series/todayinfocus",
        "author": "The Guardian", "category": "News", "language": "en-gb",
        "description": "The Guardian's daily news podcast (sample: the first five minutes of one episode).",
        "episodes": [{
            "key": "today-in-focus-cyclone-idai", "title": "Mozambique: reporting from a disaster zone",
            "date": "2026-02-10T05:00:00", "transcripts": [("today-in-focus-cyclone-idai.json", "application/json")],
            "description": "Two weeks after Cyclone Idai hit Mozambique, the floods, the rescue and the first cases "
            "of cholera (excerpt; machine transcript with its errors).",
        }],
    },
    {
        "slug": "speech-clips", "title": "Public Domain Speech Clips", "link": "https://github.com/openai/whisper",
        "author": "Podbrief samples", "category": "History", "language": "en-us",
        "description": "Short real recordings with no transcript, so the demo runs speech recognition.",
        "episodes": [
            {
                "key": "jfk-inaugural", "title": "John F. Kennedy: inaugural address (excerpt)",
                "date": "2026-02-10T16:00:00", "audio": ("jfk.flac", "audio/flac"), "duration": 11, "transcripts": [],
                "description": "\"Ask not what your country can do for you\", 20 January 1961.",
            },
            {
                "key": "librispeech-2412-153948-0000", "title": "Erewhon, chapter 1 (LibriSpeech reading)",
                "date": "2026-02-11T09:00:00", "audio": ("librispeech_2412-153948-0000.flac", "audio/flac"),
                "duration": 12, "transcripts": [],
                "description": "The opening sentence of Samuel Butler's Erewhon, read for LibriVox.",
            },
        ],
    },
]


def _item_xml(ep: dict, audio_dir: Path) -> str:
    parts = [
        f"<title>{escape(ep['title'])}</title>",
        f"<link>{escape(ep['link'])}</link>" if ep.get("link") else "",
        f"<guid isPermaLink=\"false\">podbrief-sample:{ep['key']}</guid>",
        f"<pubDate>{format_datetime(datetime.fromisoformat(ep['date']).replace(tzinfo=UTC))}</pubDate>",
        f"<description>{escape(ep['description'])}</description>",
        f"<itunes:episode>{ep['number']}</itunes:episode>" if ep.get("number") else "",
        f"<itunes:duration>{ep['duration']}</itunes:duration>" if ep.get("duration") else "",
    ]
    if ep.get("audio"):
        name, mime = ep["audio"]
        size = (audio_dir / name).stat().st_size
        parts.append(f'<enclosure url="../audio/{name}" length="{size}" type="{mime}"/>')
    for name, mime in ep["transcripts"]:
        parts.append(f'<podcast:transcript url="../transcripts/{name}" type="{mime}" language="en"/>')
    return "    <item>\n" + "".join(f"      {p}\n" for p in parts if p) + "    </item>\n"


def feed_xml(show: dict, audio_dir: Path) -> str:
    """An RSS 2.0 feed with the iTunes and Podcasting 2.0 tags real feeds use, links relative to the feed file."""
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:itunes="{ITUNES_NS}" '
        f'xmlns:podcast="{PODCAST_NS}">\n  <channel>\n'
        f"    <title>{escape(show['title'])}</title>\n    <link>{escape(show['link'])}</link>\n"
        f"    <description>{escape(show['description'])}</description>\n"
        f"    <language>{show['language']}</language>\n    <itunes:author>{escape(show['author'])}</itunes:author>\n"
        f"    <itunes:category text={quoteattr(show['category'])}/>\n    <itunes:explicit>false</itunes:explicit>\n"
        "    <generator>Podbrief data/samples/build_samples.py</generator>\n"
    )
    return head + "".join(_item_xml(ep, audio_dir) for ep in show["episodes"]) + "  </channel>\n</rss>\n"


def build(shared: Path, out: Path = HERE) -> None:
    """Write every sample transcript, audio clip, feed, opml.xml and feeds.txt under out."""
    transcripts, audio, feeds = out / "transcripts", out / "audio", out / "feeds"
    for folder in (transcripts, audio, feeds):
        folder.mkdir(parents=True, exist_ok=True)
    source = shared / "transcripts"
    for show in SHOWS:
        for ep in show["episodes"]:
            if "transcripts" in ep:
                continue
            name = f"{ep['key']}.vtt"
            md = (source / "changelog" / f"{ep['key']}.md").read_text(encoding="utf-8")
            (transcripts / name).write_text(markdown_to_vtt(md, span=ep.get("span"), note=CHANGELOG_NOTE))
            ep["transcripts"] = [(name, "text/vtt")]
    for suffix in ("srt", "html"):
        shutil.copyfile(source / f"pc20ns_buzzsprout_10things.{suffix}", transcripts / f"buzzsprout-10-things.{suffix}")
    amazon = json.loads((source / "asr_vendor_json" / "guardian_today_in_focus_cyclone_idai_amazon_transcribe.json")
                        .read_text(encoding="utf-8"))  # read as Amazon Transcribe wrote it, with its word confidences
    (transcripts / "today-in-focus-cyclone-idai.json").write_text(json.dumps(amazon, separators=(",", ":")))
    for name in ("jfk.flac", "librispeech_2412-153948-0000.flac"):
        shutil.copyfile(shared / "audio" / name, audio / name)
    for show in SHOWS:
        (feeds / f"{show['slug']}.xml").write_text(feed_xml(show, audio))
    outlines = "".join(
        f'    <outline type="rss" text={quoteattr(s["title"])} xmlUrl="feeds/{s["slug"]}.xml"/>\n' for s in SHOWS
    )
    (out / "opml.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n  <head><title>Podbrief samples</title></head>\n'
        f"  <body>\n{outlines}  </body>\n</opml>\n"
    )
    (out / "feeds.txt").write_text("".join(f"data/samples/feeds/{s['slug']}.xml\n" for s in SHOWS))
    for path in sorted(transcripts.iterdir()):
        parsed = parse_transcript(path.read_bytes(), filename=path.name)
        log.info("%s: %d segments, %.0f s", path.name, len(parsed.segments), parsed.duration_s)


def main() -> None:
    """Parse the one optional argument (the shared data folder) and build."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("shared", nargs="?", type=Path, default=DEFAULT_SHARED, help="the shared data folder")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build(args.shared.resolve())


if __name__ == "__main__":
    main()
