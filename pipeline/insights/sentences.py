"""Sentences with timestamps from transcript segments, and disfluency cleaning for display text."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ..models import CAPTION_TURN, LIST_MARKER, MARKDOWN_BLOCK, Transcript
from .boundaries import boundary_probabilities

ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "inc", "ltd", "jr", "sr", "approx", "e.g", "i.e",
                 "u.s", "u.k", "a.m", "p.m", "ph.d", "corp"}  # not "no": in speech "No." is a whole answer
FILLER_WORDS = r"(?:[Uu]m+|[Uu]h+|[Ee]rm+|[Ee]r|[Aa]h+|[Hh]mm+|[Mm]hm|[Mm]mm+|[Uu]h-huh)"  # cased: "ER" is a word
BARE_LEADS = ("and so", "and then", "so yeah", "yeah so", "and", "yeah", "okay", "ok", "oh", "well", "alright")
COMMA_LEADS = ("i mean", "you know", "so", "yes", "now", "right", "like", "look", "honestly", "basically")
MAX_TITLE_WORDS = 12  # a cue this short with no end punctuation may be a headline or a "Name:" lead-in
MAX_SENTENCE_WORDS = 80  # longer "sentences" are unpunctuated ASR run-ons, cut where the boundary model says...
RUN_ON_BOUNDARY = 0.25  # ...a sentence ends this likely (the best F1 of its boundaries on held-out transcripts),
MIN_PIECE_WORDS, MAX_PIECE_WORDS = 8, 40  # into pieces of this many words
MAX_FALSE_START_WORDS = 4  # a fragment this short before "--" is a false start, not an aside

_BOUNDARY_AT = (r"(?:[.!?]+|…|\.\.\.)[\"'”’)\]*]*(?=\s+(?:>\s*)*(?:\\?\[[a-z][^\]]{{0,40}}\\?\]\s*)?\*{{0,2}}"
                r"[\"'“‘(\[]?[{0}])")
# ">": a quoted line; "[win alert]": a stage direction between two sentences; "*See also*": emphasis
_BOUNDARY = re.compile(_BOUNDARY_AT.format("A-Z0-9"))
_UNCASED_BOUNDARY = re.compile(_BOUNDARY_AT.format("A-Za-z0-9"))  # "... it. so we ...", in a lower-cased transcript
MIN_CAPITALISED = 0.01  # a transcript with fewer capitalised words than this is lower-cased (some ASR output)
_CAPITALISED = re.compile(r"\b[A-Z][a-z]")  # "I" alone, or an acronym, is no sign of a cased transcript
_WORD_START = re.compile(r"\b[A-Za-z]")
_LOWER_I = re.compile(r"\bi(?=['’](?:m|ve|d|ll)\b|\s|[,!?]|\.(?![a-z])|$)")  # the pronoun, in a lower-cased transcript
_ENDED = re.compile(r"[.!?…][\"'”’)\]]*$")
_MARKER = re.compile(r"\s*\\?[\[(](?:laugh\w*|crosstalk|inaudible|unintelligible[^\])]*|music|applause|silence|"
                     r"pause|sighs?|coughs?|chuckles?)\\?[\])]|\s*\\?\[(?-i:[a-z])[^\]]{0,40}\\?\](?!\()|"
                     r"\s*\\?\[\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\\?\]|\s*♪[^♪]*(?:♪|$)", re.I)
# the last three: any lower-case "[stage direction]" of a publisher transcript that is not a Markdown link, an
# inline "[00:15:59.22]" time stamp, and music with the words sung to it ("♪ theme tune ♪")
_FILLER = re.compile(rf",?\s*\b{FILLER_WORDS}\b(?![\w'’-])\s*,?")
_PARENTHETICAL = re.compile(r"(?:^|[,;]\s*)(?:you know|i mean|like|sort of|kind of)\s*(?:[,—]\s*|--\s*|(?=[.!?]|$))",
                            re.I)
_TAG_QUESTION = re.compile(r",\s*(?:you know|right|yeah|no|isn't it|don't you think)\?(?=\s|$)", re.I)
_REPEAT = re.compile(r"\b(\w+(?:['’]\w+)?(?:\s+\w+(?:['’]\w+)?){0,3})(?:[,;]\s*|\s+|\s*-+\s*)(\1\b)", re.I)
_DASH = re.compile(r"\s+--+\s*|\s*--+\s+")
_LEADING = re.compile(r"^(?:(?:" + "|".join(BARE_LEADS) + r")\b(?!-)[,.]?\s+|(?:" + "|".join(COMMA_LEADS)
                      + r"),\s+|so (?!much|many|far|long|few|little)(?=\w))+", re.I)
_DANGLING = re.compile(r"[,;]?\s+(?:or|and|but|because|the|a|an)(?=[.!?]?$)", re.I)  # trailed off
_SPACES = re.compile(r"\s+")
_LIST_CLOSE = re.compile(r"(?:^|\s)\w\)\.?$")  # "... and 2)": a list's number, not a parenthesis
_NON_SPACE = re.compile(r"\S+")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:https?://|www\.)[^)\s]*\)")
_EMPHASIS = re.compile(r"(?<![\w*])\*{1,2}([^*\n]+?)\*{1,2}(?![\w*])")
# A Markdown quote marker: at the start, after a sentence or a colon ("says: > Somewhere ..."), or where a quoted
# line starts a cue ("Finishing with > This is ..."); "> >" is an empty quoted line
_QUOTE_LEAD = re.compile(r"^(?:>\s*)+|(?<=[.!?:])\s*(?:>\s*)+(?=\S)|\s+(?:>\s*)+(?=[\"“‘A-Z])")
_CLOSING_PERIOD = re.compile(r"[.,]([\"”’]+)$")  # 'way."' and a trailed-off 'makes me,"' end 'way".', 'me".'
_MD_ITEM = re.compile(rf"^\s*{LIST_MARKER}\s+(?=\S)")  # a Markdown list item's marker: "2. ", "* "
_ITEM_NUMBER = re.compile(r"\s*\d{1,2}[.)]")  # all a span holds when its period is a list item's
_HEADING = re.compile(r"^#+\s*\W*")  # a Markdown heading's marks (and an emoji): "## 📰 The Classifieds"
_SPACE_PUNCT = re.compile(r"\s+([,.;:!?])")
_DOUBLE_PUNCT = re.compile(r"([,;])\s*([,;.!?])")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a transcript: its verbatim text, speaker turn and estimated times."""

    text: str
    start_s: float
    end_s: float
    speaker: str | None
    turn: int  # index of the speaker turn it belongs to; insights never cross turns
    cased: bool  # False in a lower-cased transcript (some ASR output): no capital marks where sentences start

    @property
    def spoken(self) -> str:
        """The text without the Markdown some publisher transcripts carry (link targets, emphasis, quote markers)."""
        return unmark(self.text)

    @property
    def is_headline(self) -> bool:
        """True for a headline ("[We've tried to replace devs every decade since 1969](https://...)"): a short line
        without end punctuation, which only a title break makes a sentence of its own."""
        return _bare_line(self.spoken) or _linked_line(self.text)

    @property
    def is_list_item(self) -> bool:
        """True for an item of a publisher's Markdown list ("2. Patterns and methodologies fail")."""
        return _MD_ITEM.match(self.text) is not None


def split_sentences(transcript: Transcript) -> list[Sentence]:
    """Split a transcript into sentences across cue boundaries, timing each by character offset within its cues."""
    sentences: list[Sentence] = []
    cased = is_cased(transcript.text)
    boundary = _BOUNDARY if cased else _UNCASED_BOUNDARY
    for turn, (speaker, pieces) in enumerate(_turns(transcript)):
        text, starts, times = _join(pieces)
        spans = _sentence_spans(text, _title_breaks(pieces, starts), boundary)
        for a, b in [part for span in spans for part in _split_run_on(text, span)]:
            sentences.append(Sentence(text[a:b], _time_at(a, starts, times), _time_at(b - 1, starts, times),
                                      speaker, turn, cased))
    return sentences


def is_cased(text: str) -> bool:
    """False for a lower-cased transcript (some ASR output), where no capital marks where a sentence starts."""
    return len(_CAPITALISED.findall(text)) >= MIN_CAPITALISED * len(_WORD_START.findall(text))


def unmark(text: str) -> str:
    """Markdown formatting out of transcript text: "[Vouch](https://...)" reads "Vouch", "*hand off*" "hand off",
    "says: > Somewhere" "says: Somewhere"."""
    text = _EMPHASIS.sub(r"\1", _MD_LINK.sub(r"\1", text))
    return _QUOTE_LEAD.sub(lambda m: " " if m.start() else "", text)


def clean_text(text: str) -> str:
    """Remove disfluencies (fillers, false starts, repeats, sound markers) without changing what is said."""
    text = _MARKER.sub("", _MD_ITEM.sub("", unmark(text)))
    text = _TAG_QUESTION.sub(".", text)
    text = _PARENTHETICAL.sub(" ", text)
    text = _FILLER.sub(" ", text)
    text = _drop_false_starts(text)
    for _ in range(2):  # "one of the best; one of the best" and "terrible, terrible, terrible"
        text = _REPEAT.sub(r"\1", text)
    text = text.replace("...", ",").replace("…", ",")
    text = _SPACES.sub(" ", text).strip(" ,;-")
    text = _LEADING.sub("", text)
    text = _DOUBLE_PUNCT.sub(r"\2", text)
    text = _SPACE_PUNCT.sub(r"\1", text)
    text = _DANGLING.sub("", re.sub(r",(?=[.!?]|$)", "", text).strip(" ,;"))
    text = _balanced(text)
    text = _CLOSING_PERIOD.sub(r"\1.", text)  # so the sentence, not only the quote, ends
    if text and text[-1] not in ".!?:":  # 'the "squeeze"', '"MORE VIBES!"' and "(if you know!)" end; "Name:" leads in
        text += "."
    text = _LOWER_I.sub("I", text)
    return text[:1].upper() + text[1:]


def _balanced(text: str) -> str:
    """A sentence without the half of a parenthesis that another sentence holds: "(My favorite idea here is ..." reads
    "My favorite idea here is ...", and "... everything.)" "... everything."; a list's "1)" stays."""
    if text.startswith("(") and text.count("(") > text.count(")"):
        text = text[1:].lstrip()
    if text.endswith((")", ").")) and text.count(")") > text.count("(") and not _LIST_CLOSE.search(text):
        text = text[:text.rindex(")")] + text[text.rindex(")") + 1:]
    return text


def _turns(transcript: Transcript) -> list[tuple[str | None, list[tuple[str, float, float]]]]:
    turns: list[tuple[str | None, list[tuple[str, float, float]]]] = []
    for seg in transcript.segments:
        text = seg.text.strip()
        caption_turn = text.startswith(CAPTION_TURN)  # a new speaker, unnamed
        text = text.removeprefix(CAPTION_TURN).lstrip()
        if not text:
            continue
        if turns and turns[-1][0] == seg.speaker and not caption_turn and not text.startswith("#"):  # "#": a section
            turns[-1][1].append((text, seg.start_s, seg.end_s))
        else:
            turns.append((seg.speaker, [(text, seg.start_s, seg.end_s)]))
    return turns


def _join(pieces: list[tuple[str, float, float]]) -> tuple[str, list[int], list[tuple[float, float, int]]]:
    """Join one turn's cues with spaces (as Transcript.text does); remember where each cue starts."""
    starts: list[int] = []
    times: list[tuple[float, float, int]] = []
    offset = 0
    for text, start, end in pieces:
        starts.append(offset)
        times.append((start, max(end, start), len(text)))
        offset += len(text) + 1
    return " ".join(p[0] for p in pieces), starts, times


def _time_at(offset: int, starts: list[int], times: list[tuple[float, float, int]]) -> float:
    i = bisect.bisect_right(starts, offset) - 1
    start, end, length = times[i]
    frac = min(max(offset - starts[i], 0) / max(length, 1), 1.0)
    return round(start + frac * (end - start), 3)


def _title_breaks(pieces: list[tuple[str, float, float]], starts: list[int]) -> list[int]:
    """Offsets where a short unpunctuated cue that began a sentence (a headline, "Name:") is followed by a new one,
    where a cue that is nothing but a linked headline ("[Coding agents are already commoditized](https://...)") or a
    list item ("2. Patterns and methodologies fail") starts, and where a quoted paragraph or list item ends."""
    breaks = []
    began = True  # whether cue k-1 starts a sentence
    for k in range(1, len(pieces)):
        prev, nxt = (unmark(_HEADING.sub("", piece)) for piece in (pieces[k - 1][0], pieces[k][0]))  # "[Headline](...)" too
        lead_in = prev[:1].isupper() and prev.endswith(":") and len(prev.split()) <= MAX_TITLE_WORDS  # "Name:"
        headline = _bare_line(prev) or _linked_line(pieces[k - 1][0])
        block = MARKDOWN_BLOCK.match(pieces[k - 1][0]) is not None  # a quoted paragraph or list item ends at its cue's end
        title = (_linked_line(pieces[k][0]) or _MD_ITEM.match(pieces[k][0]) is not None
                 or (nxt[:1].isupper() and (lead_in or block or (began and headline))))
        if title:
            breaks.append(starts[k] - 1)
        began = title or _ENDED.search(prev) is not None
    return breaks


def _linked_line(text: str) -> bool:
    """A line that is nothing but a short link: a publisher's headline ("[2026: the great engineering divergence](...)")."""
    link = _MD_LINK.fullmatch(text.strip())
    return link is not None and len(link.group(1).split()) <= MAX_TITLE_WORDS


def _bare_line(text: str) -> bool:
    """A short capitalised line that ends on a word, not on punctuation: a headline ('The software engineering
    "squeeze"'), not a sentence."""
    line = text.rstrip("\"'”’) ")
    return line[:1].isupper() and line[-1:].isalnum() and len(line.split()) <= MAX_TITLE_WORDS


def _sentence_spans(text: str, breaks: list[int], boundary: re.Pattern[str]) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets: at end punctuation before a capital (any word, in a lower-cased transcript), not
    after an abbreviation or initial."""
    spans: list[tuple[int, int]] = []
    begin = 0
    ends = [(m.start(), m.end()) for m in boundary.finditer(text)] + [(b, b) for b in breaks]
    for start, end in sorted(ends):
        if text.startswith(".", start) and not text.startswith("..", start):
            token = text[:start].rsplit(None, 1)[-1].lstrip("\"'“‘([").lower() if text[:start].strip() else ""
            if token in ABBREVIATIONS or (len(token) == 1 and token.isalpha()) or _ITEM_NUMBER.fullmatch(text[begin:end]):
                continue  # "e.g.", an initial, or a list item's number ("2. Patterns and ...")
        if text[begin:end].strip():
            spans.append(_strip_span(text, begin, end))
        begin = end
    if text[begin:].strip():
        spans.append(_strip_span(text, begin, len(text)))
    return spans


def _split_run_on(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    """Cut an unpunctuated run-on (some ASR output) where the boundary model says a sentence most likely ends."""
    a, b = span
    words = list(_NON_SPACE.finditer(text, a, b))
    if len(words) <= MAX_SENTENCE_WORDS:
        return [span]
    pieces, begin, count = [], a, 0
    for k, (word, p) in enumerate(zip(words, boundary_probabilities([w.group() for w in words]), strict=True)):
        count += 1
        if (count >= MIN_PIECE_WORDS and len(words) - k > MIN_PIECE_WORDS
                and (p >= RUN_ON_BOUNDARY or count >= MAX_PIECE_WORDS)):
            pieces.append(_strip_span(text, begin, word.end()))
            begin, count = word.end(), 0
    pieces.append(_strip_span(text, begin, b))
    return pieces


def _strip_span(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _drop_false_starts(text: str) -> str:
    """Drop short fragments abandoned at "--" ("I -- we went"); keep longer ones as a dash aside."""
    parts = _DASH.split(text)
    out = parts[0]
    for part in parts[1:]:
        cut = max(out.rfind(c) for c in ",;.:!?")
        if len(out[cut + 1:].split()) <= MAX_FALSE_START_WORDS:
            out = out[:cut + 1] + " " + part
        else:
            out = out + " — " + part
    return out
