"""Gates: the sponsor reads, self-promotion, intros, outros and garbled speech that never make an insight.

A gated passage is not dropped silently: the extractor keeps the best few as flagged insights, with the
reason, so Explore can show "flagged: sponsor read" and ranking leaves them out of the picks.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from ..models import Chapter, Segment
from .sections import chapter_of
from .sentences import Sentence

SPONSOR, PROMOTION, INTRO_FLAG, OUTRO_FLAG, GARBLED = (
    "sponsor read", "self-promotion", "intro", "outro", "garbled speech recognition")
EDGE_FRACTION, EDGE_MIN_S, EDGE_MAX_S = 0.12, 45.0, 330.0  # where intros and outros live
SIGNAL_CHAIN_S = 90.0  # intro/outro signals closer than this belong to one intro/outro
AD_MAX_S = 150.0  # a sponsor read runs from its trigger to its last call to action within this window
DOMAIN = r"\b[\w-]+\.(?:com|fm|io|news|net|org|dev|ai|co|tv|show|ly|app)\b"
AD_STRONG = re.compile(r"\b(?:sponsored (?:by|news|segment)|sponsor (?:break|message)|word from our sponsors?|"
                       r"our sponsors?|today's sponsors?|brought to you by|"
                       r"made possible by|(?:support|funding) for (?:[\w'’-]+ ){1,6}(?:comes?|is provided) (?:from|by)|"
                       r"this message comes from|"
                       r"thanks to our (?:sponsors?|partners?)|our (?:good )?friends (?:over )?at|"
                       r"promo code|use (?:the )?code|coupon|discount code|"
                       r"offer code|\d+% off|percent off|free trial|(?:create|open|get) a free account|no credit card|"
                       r"affiliate link|"
                       rf"(?:go|head(?: over)?|visit)(?: to)? {DOMAIN})", re.I)
HOUSEKEEPING = re.compile(r"\b(?:subscrib(?:e|ed|ing)\b|rate and review|leave us a (?:\S+ )?review|\S+-star review|show notes|"
                          r"newsletter|patreon|join us|follow us|on the socials|links? in the|we'll link|welcome to|"
                          r"welcome back|i'm your host|this is episode|see you next|talk to you (?:soon|next|again)|"
                          r"thanks for (?:listening|tuning|watching)|until next time|let's get (?:into|started)|"
                          rf"let's dive|sign up|check (?:it|them|us) out|(?:come|head) (?:on )?over to|{DOMAIN}|"
                          r"shout[- ]?outs?|(?:our )?newest (?:members|supporters|patrons)|click (?:through|here|the link)|"
                          r"support(?:s|ing)? (?:our|the) (?:work|show|podcast))", re.I)
# The show's own audience by its size ("share it with your fellow ~25k readers"): a pitch, wherever it is made.
OWN_AUDIENCE = re.compile(r"\b(?:our|your fellow) (?:~|about |over |nearly )?\d[\d,.]*k?\+? (?:readers|listeners|subscribers)\b",
                          re.I)
# What listeners are asked to subscribe to or follow is the speakers' own show, wherever else it is named: "subscribed
# to Fork Around and Find Out" makes "come over to Fork Around and Find Out" self-promotion too.
SUBSCRIBED_TO = re.compile(r"\b(?i:subscrib(?:e|ed|ing)|follow(?:ing)?)\s+(?i:to\s+|us\s+on\s+)?"
                           r"((?:[A-Z][\w'’-]*)(?:\s+(?:and|of|the|&|[A-Z][\w'’-]*))*\s+[A-Z][\w'’-]*)")
INTRO = re.compile(r"\b(?:welcome|i'm your host|my name is|i'm \w+(?: \w+)? and this is|this is \w+ \w+ (?:for|from)|"
                   r"joining (?:me|us)|joined by|with me (?:today|is|are)|my (?:guest|co-?host)|"
                   r"today(?:'s)? (?:guest|episode|show)|introduce yourself|(?:thanks|thank you) for having|"
                   r"(?:great|good|happy|excited|honou?r) to (?:be here|have you|be on)|how are you|how's it going|"
                   r"on the show|of the show|this show|this episode|let's (?:get into|dive|jump|get started)|"
                   r"without further ado|first (?:time|episode) listening|(?:first|last) episode)\b", re.I)
OUTRO = re.compile(r"\b(?:(?:thanks|thank you)(?: so much| again)?,? (?:\w+,? )?(?:for|again)|"
                   r"it's been (?:great|fun|a)|appreciate (?:it|you|your)|"
                   r"where can (?:people|listeners|folks)|anything (?:else|left)|in closing|as we (?:wrap|finish|close)|"
                   r"wrap (?:up|things)|way to end|leave it there|that's (?:it|all) for|that's the news|see you next|"
                   r"talk to you (?:again|soon|next)|until next time|have a (?:great|good) \w+|subscribe|review|"
                   r"show notes|newsletter|on the socials|drop us|let us know|find (?:us|you|me) (?:on|at)|"
                   r"been a (?:pleasure|lot of fun|blast)|delighted|take care|goodbye|bye)\b", re.I)

AD_CHAPTER = re.compile(r"^\W*(?:sponsors?|sponsored|ads?|advert\w*|ad break|commercial break|a word from)\b", re.I)
# Wherever it is said, not only at the edges. "I'm <Name>, I run ..." needs the name's capital; so does a full name
# that opens a sentence: "I'm Anoushka Asthana ...", "From NPR News in Washington, I'm Jane Doe."
SELF_INTRO = re.compile(
    r"(?i:\b(?:my name is|i'm your (?:co-?)?host|you're listening to|"
    r"welcome (?:back )?to (?:the show|the podcast|another episode|episode|this episode))\b)"
    r"|\b[Ii]'m [A-Z][a-z]+(?: [A-Z][a-z]+)?,? (?:and )?[Ii](?:'m| am| run| lead| work| founded| co-?founded| started)\b"
    r"|^\W*(?:(?i:hi|hello|hey)\W+|(?i:from) [^,]{1,40}, )?I'm [A-Z][a-z]+ [A-Z][a-z]+\b")


@dataclass(frozen=True)
class EpisodeContext:
    """What the feed says about an episode: context for what it is about and what is its own promotion."""

    title: str = ""
    description: str = ""
    feed_title: str = ""
    chapters: tuple[Chapter, ...] = ()

    def about(self) -> str:
        """What the feed says the episode is about: its title, description and chapter titles."""
        return " ".join([self.title, self.description, *(c.title for c in self.chapters)])

    def own_names(self) -> list[str]:
        """Names the show promotes itself by: its feed title (lower case), when it has one of two or more letters."""
        return [self.feed_title.strip().lower()] if len(self.feed_title.strip()) > 1 else []


def gate_reasons(sentences: list[Sentence], context: EpisodeContext | None = None) -> list[str | None]:
    """Per sentence: why it may not be an insight (sponsor read, self-promotion, intro, outro), or None."""
    reasons: list[str | None] = [None] * len(sentences)
    if not sentences:
        return reasons
    first, last = sentences[0].start_s, sentences[-1].end_s  # times, not 0: transcripts may skip a cold open
    edge = edge_window(first, last)
    intro = [i for i, s in enumerate(sentences) if s.start_s <= first + edge and INTRO.search(s.spoken)]
    if intro:
        for i in range(_turn_end(sentences, intro[-1], first + edge) + 1):
            reasons[i] = INTRO_FLAG
    outro = _outro_start(sentences, last - edge)
    if outro is not None:
        for i in range(outro, len(sentences)):  # not back to its turn's start: hosts close on content too
            reasons[i] = OUTRO_FLAG
    names = (context or EpisodeContext()).own_names() + promoted_names(sentences)
    for i, s in enumerate(sentences):
        lower = s.spoken.lower()
        if reasons[i] is None and SELF_INTRO.search(s.spoken):
            reasons[i] = INTRO_FLAG
        elif reasons[i] is None and (len(HOUSEKEEPING.findall(s.spoken)) > 1 or OWN_AUDIENCE.search(s.spoken)
                                   or (HOUSEKEEPING.search(s.spoken) and any(n in lower for n in names))):
            reasons[i] = PROMOTION
    ads = _ad_reads(sentences) | {i for i, s in enumerate(sentences) if AD_STRONG.search(s.spoken)}
    for i in ads | _in_ad_chapters(sentences, (context or EpisodeContext()).chapters):
        reasons[i] = SPONSOR
    return reasons


def _in_ad_chapters(sentences: list[Sentence], chapters: Sequence[Chapter]) -> set[int]:
    """The sentences that start inside a chapter the publisher titled as a sponsor or ad break."""
    ads = {k for k, c in enumerate(chapters) if AD_CHAPTER.match(c.title)}
    return {i for i, k in enumerate(chapter_of([s.start_s for s in sentences], chapters)) if k in ads} if ads else set()


def promoted_names(sentences: list[Sentence]) -> list[str]:
    """Names of two or more words (lower case) that the episode asks its listeners to subscribe to or follow."""
    return sorted({m.group(1).lower() for s in sentences for m in SUBSCRIBED_TO.finditer(s.spoken)})


def sentence_confidences(sentences: list[Sentence], segments: Sequence[Segment]) -> tuple[list[float | None], float | None]:
    """Per sentence the mean ASR confidence of the segments it overlaps, and the episode's median segment confidence.

    Both are None when the segments carry no `confidence` (publisher transcripts, or an ASR that gives none).
    """
    timed = [(s.start_s, s.end_s, c) for s in segments if (c := getattr(s, "confidence", None)) is not None]
    if not timed:
        return [None] * len(sentences), None
    out: list[float | None] = []
    for sentence in sentences:
        over = [c for a, b, c in timed if a <= sentence.end_s and b >= sentence.start_s]
        out.append(sum(over) / len(over) if over else None)
    return out, statistics.median(c for _, _, c in timed)


def edge_window(first: float, last: float) -> float:
    """Seconds at each end of an episode where intros and outros live."""
    return min(max((last - first) * EDGE_FRACTION, EDGE_MIN_S), EDGE_MAX_S)


def _outro_start(sentences: list[Sentence], edge_start_s: float) -> int | None:
    """The earliest outro signal reached from the end through signals no more than SIGNAL_CHAIN_S apart."""
    found, anchor = None, sentences[-1].end_s
    for i in range(len(sentences) - 1, -1, -1):
        s = sentences[i]
        if s.end_s < edge_start_s or anchor - s.end_s > SIGNAL_CHAIN_S:
            break
        if OUTRO.search(s.spoken):
            found, anchor = i, s.start_s
    return found


def _turn_end(sentences: list[Sentence], i: int, bound_s: float) -> int:
    """The last sentence of sentence i's speaker turn if that turn ends by bound_s, else i."""
    j = i
    while j + 1 < len(sentences) and sentences[j + 1].turn == sentences[i].turn:
        j += 1
    return j if sentences[j].end_s <= bound_s else i


def _ad_reads(sentences: list[Sentence]) -> set[int]:
    """From each sponsor trigger to its last call to action within AD_MAX_S."""
    vetoed: set[int] = set()
    for i, trigger in enumerate(sentences):
        if not AD_STRONG.search(trigger.spoken):
            continue
        last = i
        for j in range(i + 1, len(sentences)):
            if sentences[j].start_s - trigger.start_s > AD_MAX_S:
                break
            if AD_STRONG.search(sentences[j].spoken) or HOUSEKEEPING.search(sentences[j].spoken):
                last = j
        vetoed.update(range(i, last + 1))
    return vetoed
