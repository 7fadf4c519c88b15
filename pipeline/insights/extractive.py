"""Offline extractive insights: pick, score and trim 1-3 real transcript sentences per insight.

Every rule here is generic (lexical signals, position, shape of a sentence); nothing is keyed to a show.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from itertools import pairwise

from ..config import Settings, get_settings
from ..models import ExtractedInsight, Transcript
from .sentences import Sentence, clean_text, split_sentences

log = logging.getLogger(__name__)

EXTRACTOR = "extractive"
MAX_SENTENCES = 3
MIN_WORDS, MAX_WORDS = 14, 95  # of a whole insight, after cleaning
SWEET_WORDS = (25, 65)
MIN_SCORE = 0.45  # below this a passage is not worth a reader's time, however few insights that leaves
MAX_OVERLAP = 0.4  # content-word Jaccard above which two insights say the same thing
HOST_QUESTION_RATE, HOST_RATIO, HOST_PENALTY = 0.12, 1.25, 0.06  # who counts as the interviewer, and the cost
EDGE_FRACTION, EDGE_MIN_S, EDGE_MAX_S = 0.12, 45.0, 330.0  # where intros and outros live
EDGE_PENALTY = 0.12  # at the very start or end, fading to nothing at the edge window's inner side
SIGNAL_CHAIN_S = 90.0  # intro/outro signals closer than this belong to one intro/outro
AD_MAX_S = 150.0  # a sponsor read runs from its trigger to its last call to action within this window

STOPWORD_TEXT = """
a about above actually after again against ago all almost also although always am an and another any anybody anyone
anything anyway are aren't around as at away back be became because been before being below between both but by can
can't cannot could couldn't did didn't do does doesn't doing don't done down during each either else enough even ever
every everybody everyone everything exactly few for from further get gets getting go goes going gone gonna good got
gotta great had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his
how how's however i i'd i'll i'm i've if in into is isn't it it'd it'll it's its itself just kind kinda know knows
knew least less let let's like likely little lot lots made make makes many may maybe me mean means might mine more
most much must my myself need needs never new next no nobody none nor not nothing now of off oh ok okay on once one
ones only onto or other others otherwise our ours ourselves out over own pretty probably put quite rather really right
said same say saying says see seem seems she she'd she'll she's should shouldn't since so some somebody someone
something sometimes somewhat sort still stuff such sure take talk talking tell than thank thanks that that's the
their theirs them themselves then there there's these they they'd they'll they're they've thing things think
thinking this those though thought through to today too totally toward try trying um uh under until up upon us use
used using very via want wanted wants was wasn't way ways we we'd we'll we're we've well went were weren't what
what's whatever when where where's whether which while who who's whole whom whose why will with within without won't
would wouldn't yeah yes yet you you'd you'll you're you've your yours yourself yourselves year years time times day
days come comes came give gives look looking looks guess guys folks feel felt happen happens happened call called
"""
STOPWORDS = frozenset(STOPWORD_TEXT.split())
NUMBER_TEXT = ("two three four five six seven eight nine ten twelve twenty thirty fifty hundred hundreds thousand "
               "thousands million millions billion billions percent half dozen decade decades")
NUMBER_WORDS = frozenset(NUMBER_TEXT.split())
CLAIM_CUES = re.compile(r"\b(?:because|the reason|which is why|that's why|means that|the key|key to|the problem|"
                        r"the challenge|the difference|the trick|the goal|the point is|important|matters|instead of|"
                        r"rather than|if you|you should|you need to|you have to|you want to|you can't|the best|"
                        r"the most|the biggest|turns out|learned|lesson|we found|realized|in fact|the idea|the way to|"
                        r"so that|the result|trade-?offs?|costs?|benefits?|versus|compared to|better than|more than|"
                        r"no matter|the secret|strategy|mistakes?|advice|never|always|every single|unless)\b")
BANTER = re.compile(r"\b(?:how are you|how's it going|doing (?:great|well|good)|thank you|thanks|good to (?:see|have)|"
                    r"great to (?:have|be|see)|nice to meet|congrat\w*|happy (?:new year|holidays?)|merry christmas|"
                    r"oh my god|love that|that's (?:awesome|amazing|great|funny|hilarious|cool|fair|true|so true)|"
                    r"exactly|absolutely|for sure|no way|dude|lol|haha\w*|great question|good question|"
                    r"i'm (?:so )?(?:excited|sad|glad)|i don't know|i guess|i'm not sure|whatever|ridiculous|"
                    r"i can't wait|miss (?:you|him|her|them)|i'd (?:also |really )?love|i would love|i feel like|"
                    r"we should have|so fun|so cool)\b")
GENERAL = re.compile(r"\b(?:is|are|isn't|aren't|can|can't|should|must|means|makes|have to|has to|need to|needs to|"
                     r"tends? to|always|never|every|most|anyone|everyone|whoever|whenever)\b")  # general claims
NARRATIVE = re.compile(r"\b(?:was|were|had|did|used to|remember|went|said|told|the other day|back then|yesterday)\b")
QUESTION = re.compile(r"\?[\"'”’)]*$|^\W*(?:can|could|would|will|do|does|did|is|are|have|has)\s+(?:you|we|they|it|there)\b",
                      re.I)
META = re.compile(r"\b(?:episodes?|shows?|podcasts?|listeners?|listening|hosts?|guests?)\b", re.I)  # talk about the show
DANGLING = re.compile(r"^\W*(?:if|when|whenever|because|although|while|unless)\b(?:[^,;:—-]*|.*\.\.\.|.*…)$", re.I)
SETUP = re.compile(r"^\W*(?:say|imagine|suppose|let's say|picture this|for example|for instance)\b", re.I)
LAUGHTER = re.compile(r"[\[(](?:laugh\w*|chuckles?|crosstalk)[\])]|\b(?:haha\w*|lol)\b", re.I)
UNCLEAR = re.compile(r"[\[(](?:unintelligible|inaudible|crosstalk)[^\])]*[\])]", re.I)
DOMAIN = r"\b[\w-]+\.(?:com|fm|io|news|net|org|dev|ai|co|tv|show|ly|app)\b"
AD_STRONG = re.compile(r"\b(?:sponsored (?:by|news|segment)|sponsor (?:break|message)|word from our sponsors?|"
                       r"our sponsors?|today's sponsors?|brought to you by|"
                       r"made possible by|support for (?:this|the) (?:show|podcast|episode) comes from|"
                       r"thanks to our (?:sponsors?|partners?)|promo code|use (?:the )?code|coupon|discount code|"
                       r"offer code|\d+% off|percent off|free trial|no credit card|affiliate link|"
                       rf"(?:go|head(?: over)?|visit)(?: to)? {DOMAIN})", re.I)
HOUSEKEEPING = re.compile(r"\b(?:subscribe|rate and review|leave us a (?:\S+ )?review|\S+-star review|show notes|"
                          r"newsletter|patreon|join us|follow us|on the socials|links? in the|we'll link|welcome to|"
                          r"welcome back|i'm your host|this is episode|see you next|talk to you (?:soon|next|again)|"
                          r"thanks for (?:listening|tuning|watching)|until next time|let's get (?:into|started)|"
                          rf"let's dive|sign up|check (?:it|them|us) out|{DOMAIN})", re.I)
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
BACKREF = re.compile(r"^(?:that's|that is|that was|those|these|they|them|their|he|she|his|her|which|also|too|same|"
                     r"another|but|because|or|then|otherwise|instead|still|plus|in fact|even so|second(?:ly)?|"
                     r"third(?:ly)?|finally|again|as a result|therefore|however|meanwhile|anyway|obviously|notice|"
                     r"similarly|likewise|whereas|though|yet|and yet|so then|what \w+ said|(?:the )?(?:first|second|third|fourth|"
                     r"fifth|last|next) (?:is|one|thing|point|part|was)\b)\b", re.I)
REFERS_BACK = re.compile(r"\b(?:like you said|as you said|you mentioned|as i said|i mentioned|you said|going back to|"
                         r"earlier|that point|your point|the same thing|those things|these things|that stuff|"
                         r"this stuff|all that|as well|(?:my|a|specific|quick|follow-up|last|next|another) question|"
                         r"question for you|let me ask|i want to ask|"
                         r"tell us|let's talk)\b", re.I)
FIRST_PERSON = frozenset({"i", "i'm", "i've", "i'd", "i'll", "me", "my", "myself"})
SOFT_BACKREF = re.compile(r"^(?:it|it's|this|that|there)\b", re.I)
RAW_LEAD = re.compile(r"^\W*(?:and|but|or|because|i mean|like|yeah|yes|right|exactly)\b", re.I)  # answers or goes on
CONTINUES = ("...", "…", "-", "—", ",", ":")  # a sentence ending so leaves its thought to the next one
WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*|\d[\d.,:%]*")


@dataclass(frozen=True)
class _Scored:
    """A sentence with its cleaned text and the scores passages are built from."""

    sentence: Sentence
    clean: str
    words: int
    content: frozenset[str]
    info: float  # 0..1: how much it says
    penalty: float  # subtracted from a passage that contains it
    vetoed: bool  # sponsor read, intro, outro or housekeeping: never picked


@dataclass(frozen=True)
class _Episode:
    """What scoring a sentence needs to know about the whole episode."""

    frequency: dict[str, int]  # in how many sentences each content word occurs
    names: set[str]
    hosts: set[str | None]
    first_s: float
    last_s: float
    edge_s: float


def extract_extractive(transcript: Transcript, *, settings: Settings | None = None) -> list[ExtractedInsight]:
    """Pick the best self-contained 1-3 sentence passages of a transcript, trimmed of disfluencies, in time order."""
    settings = settings or get_settings()
    sentences = split_sentences(transcript)
    if not sentences:
        return []
    scored = _score_sentences(sentences)
    wanted = insight_count(transcript.duration_s, settings)
    chosen: list[tuple[float, list[_Scored]]] = []
    taken: set[int] = set()
    for score, start, stop in sorted(_passages(scored), key=lambda p: (-p[0], p[1])):
        if len(chosen) >= wanted or score < MIN_SCORE:
            break
        content = _content(scored[start:stop])
        if set(range(start - 1, stop + 1)) & taken or any(_jaccard(content, _content(p)) > MAX_OVERLAP for _, p in chosen):
            continue
        taken.update(range(start, stop))
        chosen.append((score, scored[start:stop]))
    log.info("Extracted %d of %d wanted insights from %d sentences", len(chosen), wanted, len(sentences))
    chosen.sort(key=lambda c: c[1][0].sentence.start_s)
    return [_insight(score, passage) for score, passage in chosen]


def insight_count(duration_s: float, settings: Settings) -> int:
    """How many insights an episode of this length should yield (about one per five minutes, within bounds)."""
    count = round(duration_s / 60 * settings.podbrief_insights_per_min)
    return max(settings.podbrief_insights_min, min(settings.podbrief_insights_max, count))


def _insight(score: float, passage: list[_Scored]) -> ExtractedInsight:
    return ExtractedInsight(
        text=" ".join(s.clean for s in passage),
        quote=" ".join(" ".join(s.sentence.text for s in passage).split()),
        start_s=passage[0].sentence.start_s,
        end_s=passage[-1].sentence.end_s,
        score=round(score, 4),
        extractor=EXTRACTOR,
    )


def _content(passage: list[_Scored]) -> frozenset[str]:
    return frozenset().union(*(s.content for s in passage))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / max(len(a | b), 1)


def _score_sentences(sentences: list[Sentence]) -> list[_Scored]:
    cleaned = [clean_text(s.text) for s in sentences]
    tokens = [WORD.findall(c) for c in cleaned]
    contents = [[t.lower() for t in toks if _is_content(t)] for toks in tokens]
    frequency: dict[str, int] = {}
    for content in contents:
        for word in set(content):
            frequency[word] = frequency.get(word, 0) + 1
    first, last = sentences[0].start_s, sentences[-1].end_s
    episode = _Episode(frequency, _speaker_names(sentences), _interviewers(sentences), first, last,
                       _edge_window(first, last))
    vetoed = _vetoed(sentences, episode)
    return [
        _Scored(s, cleaned[i], len(tokens[i]), frozenset(contents[i]), _info(cleaned[i], tokens[i], contents[i], episode),
                _penalty(s, cleaned[i], tokens[i], contents[i], episode), i in vetoed)
        for i, s in enumerate(sentences)
    ]


def _info(clean: str, toks: list[str], content: list[str], episode: _Episode) -> float:
    """How much a sentence says: content words, specifics (names, numbers), claims, the episode's topics."""
    lower, unique = clean.lower(), set(content)
    specifics = sum(1 for t in toks[1:] if t[0].isupper() and t.lower() not in FIRST_PERSON)
    specifics += sum(1 for t in toks if t[0].isdigit() or t.lower() in NUMBER_WORDS)
    topical = sum(1 for w in unique if episode.frequency[w] >= 3) / max(len(unique), 1)
    return (0.35 * min(len(unique) / 8, 1.0) + 0.25 * min(len(content) / max(len(toks), 1) / 0.5, 1.0)
            + 0.15 * min(specifics / 3, 1.0) + 0.15 * min(len(CLAIM_CUES.findall(lower)) / 2, 1.0)
            + 0.10 * topical + 0.08 * min(len(GENERAL.findall(lower)) / 2, 1.0)
            - 0.08 * min(len(NARRATIVE.findall(lower)) / 2, 1.0))


def _penalty(sentence: Sentence, clean: str, toks: list[str], content: list[str], episode: _Episode) -> float:
    """How much a sentence reads as chit-chat, housekeeping, a question or half a thought, or sits at an edge."""
    raw, lower = sentence.text, clean.lower()
    first_person = sum(1 for t in toks if t.lower() in FIRST_PERSON) / max(len(toks), 1)
    trimmed = 1 - len(toks) / max(len(WORD.findall(raw)), 1)  # share of words that were disfluencies
    repeated = 1 - len(set(content)) / max(len(content), 1)
    to_edge = min(sentence.start_s - episode.first_s, episode.last_s - sentence.end_s)
    return (0.3 * bool(QUESTION.search(raw.rstrip())) + 0.15 * len(BANTER.findall(lower))
            + 0.3 * bool(LAUGHTER.search(raw)) + 0.4 * bool(UNCLEAR.search(raw))
            + 0.25 * bool(DANGLING.match(raw.strip())) + 0.2 * raw.lstrip("\"'“‘([-— ")[:1].islower()
            + 0.25 * min(len(HOUSEKEEPING.findall(raw)), 2) + 0.15 * bool(REFERS_BACK.search(lower))
            + 0.15 * bool(episode.names & set(toks)) + 0.2 * min(first_person / 0.12, 1.0)
            + 0.6 * max(trimmed, 0.0) + 0.3 * repeated + 0.05 * min(len(META.findall(lower)), 3)
            + HOST_PENALTY * (sentence.speaker in episode.hosts)
            + EDGE_PENALTY * max(0.0, 1 - to_edge / episode.edge_s))


def _interviewers(sentences: list[Sentence]) -> set[str | None]:
    """Speakers who ask questions markedly more often than the rest: their statements tend to frame, not inform."""
    asked: dict[str | None, list[int]] = {}
    for s in sentences:
        counts = asked.setdefault(s.speaker, [0, 0])
        counts[0] += bool(QUESTION.search(s.text.rstrip()))
        counts[1] += 1
    overall = sum(q for q, _ in asked.values()) / len(sentences)
    if len(asked) < 2:
        return set()
    return {who for who, (q, n) in asked.items() if q / n >= max(HOST_QUESTION_RATE, HOST_RATIO * overall)}


def _speaker_names(sentences: list[Sentence]) -> set[str]:
    """First names of the speakers: a sentence that names one is talking to or about the people in the room."""
    return {part for s in sentences if s.speaker for part in s.speaker.split()[:1] if len(part) > 2 and part.istitle()}


def _is_content(token: str) -> bool:
    lower = token.lower()
    return len(lower) > 2 and lower[0].isalpha() and lower not in STOPWORDS


def _passages(scored: list[_Scored]) -> list[tuple[float, int, int]]:
    """Every run of 1-3 adjacent sentences of one speaker turn that could stand alone, with its score."""
    out = []
    for start, first in enumerate(scored):
        if first.vetoed or first.words < 4:
            continue
        lead = _lead_penalty(scored, start)
        for stop in range(start + 1, min(start + MAX_SENTENCES, len(scored)) + 1):
            last = scored[stop - 1]
            if last.vetoed or last.sentence.turn != first.sentence.turn:
                break
            passage = scored[start:stop]
            words = sum(s.words for s in passage)
            if words > MAX_WORDS:
                break
            quote = " ".join(s.sentence.text for s in passage)
            if words < MIN_WORDS or QUESTION.search(last.sentence.text.rstrip()) or _breaks_quotation(quote):
                continue
            info = sum(s.info * s.words for s in passage) / words + _cohesion(passage)
            penalty = max(s.penalty for s in passage) + 0.5 * sum(s.penalty for s in passage[1:]) / len(passage)
            score = info * _length_factor(words) - penalty - lead - _tail_penalty(scored, stop)
            out.append((_clamp(score), start, stop))
    return out


def _lead_penalty(scored: list[_Scored], start: int) -> float:
    """How much a passage starting here leans on what came before it."""
    first = scored[start]
    penalty = (0.2 * bool(BACKREF.match(first.clean)) + 0.08 * bool(SOFT_BACKREF.match(first.clean))
               + 0.1 * bool(RAW_LEAD.match(first.sentence.text)))
    if start and scored[start - 1].sentence.turn == first.sentence.turn:
        penalty += 0.15 * scored[start - 1].sentence.text.rstrip().endswith(CONTINUES)
    return penalty


def _tail_penalty(scored: list[_Scored], stop: int) -> float:
    """How much a passage ending before `stop` leaves unsaid when its speaker goes on (a set-up, a trailing off)."""
    last = scored[stop - 1]
    if stop >= len(scored) or scored[stop].sentence.turn != last.sentence.turn:
        return 0.0
    return 0.15 * bool(SETUP.match(last.clean)) + 0.1 * last.sentence.text.rstrip().endswith(CONTINUES)


def _breaks_quotation(text: str) -> bool:
    """True when a passage starts or ends inside a quotation (an odd number of straight or curly double quotes)."""
    return (text.count('"') + text.count("“") + text.count("”")) % 2 == 1


def _cohesion(passage: list[_Scored]) -> float:
    """A small bonus when the sentences of a passage keep to one subject (they share content words)."""
    shared = sum(len(a.content & b.content) for a, b in pairwise(passage))
    return min(0.04 * shared, 0.1)


def _length_factor(words: int) -> float:
    low, high = SWEET_WORDS
    if words < low:
        return 0.75 + 0.25 * (words - MIN_WORDS) / (low - MIN_WORDS)
    if words > high:
        return 1.0 - 0.3 * (words - high) / (MAX_WORDS - high)
    return 1.0


def _clamp(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def _vetoed(sentences: list[Sentence], episode: _Episode) -> set[int]:
    """Indices of sentences in a sponsor read, the intro, the outro, or housekeeping of their own."""
    first, last, edge = episode.first_s, episode.last_s, episode.edge_s  # times, not 0: transcripts may skip a cold open
    vetoed = {i for i, s in enumerate(sentences) if AD_STRONG.search(s.text) or len(HOUSEKEEPING.findall(s.text)) > 1}
    vetoed |= _ad_reads(sentences)
    intro = [i for i, s in enumerate(sentences) if s.start_s <= first + edge and INTRO.search(s.text)]
    if intro:
        vetoed.update(range(_turn_end(sentences, intro[-1], first + edge) + 1))
    outro = _outro_start(sentences, last - edge)
    if outro is not None:
        vetoed.update(range(outro, len(sentences)))  # not back to its turn's start: hosts close on content too
    return vetoed


def _edge_window(first: float, last: float) -> float:
    """Seconds at each end of an episode where intros and outros live."""
    return min(max((last - first) * EDGE_FRACTION, EDGE_MIN_S), EDGE_MAX_S)


def _outro_start(sentences: list[Sentence], edge_start_s: float) -> int | None:
    """The earliest outro signal reached from the end through signals no more than SIGNAL_CHAIN_S apart."""
    found, anchor = None, sentences[-1].end_s
    for i in range(len(sentences) - 1, -1, -1):
        s = sentences[i]
        if s.end_s < edge_start_s or anchor - s.end_s > SIGNAL_CHAIN_S:
            break
        if OUTRO.search(s.text):
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
        if not AD_STRONG.search(trigger.text):
            continue
        last = i
        for j in range(i + 1, len(sentences)):
            if sentences[j].start_s - trigger.start_s > AD_MAX_S:
                break
            if AD_STRONG.search(sentences[j].text) or HOUSEKEEPING.search(sentences[j].text):
                last = j
        vetoed.update(range(i, last + 1))
    return vetoed
