"""Features of transcript sentences: how much each says, and how much it reads as chit-chat or half a thought.

Every rule here is generic (lexical signals, position, shape of a sentence); nothing is keyed to a show.
The weights inside `info` and `penalty` are the ones measured in the README's insights table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import takewhile

from .gates import HOUSEKEEPING, EpisodeContext, edge_window
from .sentences import Sentence, clean_text

HOST_QUESTION_RATE, HOST_RATIO, HOST_PENALTY = 0.12, 1.25, 0.06  # who counts as the interviewer, and the cost
EDGE_PENALTY = 0.12  # at the very start or end, fading to nothing at the edge window's inner side

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
                    r"i can't wait|miss (?:you|him|her|them)|i'd (?:also |really )?love(?! to\b)|i would love(?! to\b)|"
                    r"i feel like|we should have|so fun|so cool)\b")
WISH = re.compile(r"\b(?:i would (?:really |also )?love to|i'd (?:really |also )?love to|i wish|hopefully)\b")  # not a takeaway
WISH_COST = 0.2  # found 13/30 and 36/114 at 0, 0.1 and 0.2: a reader's gain, not the yardsticks'
GENERAL = re.compile(r"\b(?:is|are|isn't|aren't|can|can't|should|must|means|makes|have to|has to|need to|needs to|"
                     r"tends? to|always|never|every|most|anyone|everyone|whoever|whenever)\b")  # general claims
NARRATIVE = re.compile(r"\b(?:was|were|had|did|used to|remember|went|said|told|the other day|back then|yesterday)\b")
QUESTION = re.compile(r"\?[\"'”’)]*$|^\W*(?:can|could|would|will|do|does|did|is|are|have|has)\s+(?:you|we|they|it|there)\b|"
                      r"(?:^|[,;]\s*)(?:so\s+|and\s+|but\s+)?(?:do|does|did|would|could|can|will|are|have)\s+you\s+"
                      r"(?:think|know|see|feel|believe|expect|agree|say)\b", re.I)
META = re.compile(r"\b(?:episodes?|shows?|podcasts?|listeners?|listening|hosts?|guests?)\b", re.I)  # talk about the show
LEADS_IN = r"^\W*(?:(?:so|and|but|well|now|i think|i mean),? )*"  # words a speaker opens on before saying anything
DANGLING = re.compile(LEADS_IN + r"(?:if|when|whenever|because|although|while|unless)\b(?:[^,;:—-]*|.*\.\.\.|.*…)$", re.I)
SETUP = re.compile(r"^\W*(?:say|imagine|suppose|let's say|picture this|for example|for instance)\b", re.I)
LAUGHTER = re.compile(r"[\[(](?:laugh\w*|chuckles?|crosstalk)[\])]|\b(?:haha\w*|lol)\b", re.I)
UNCLEAR = re.compile(r"[\[(](?:unintelligible|inaudible|crosstalk)[^\])]*[\])]", re.I)
BACKREF = re.compile(r"^(?:that's|that is|that was|those|these|they|them|their|he|she|his|her|which|also|too|same|"
                     r"another|but|because|or|then|otherwise|instead|still|plus|in fact|even so|second(?:ly)?|"
                     r"third(?:ly)?|finally|again|as a result|(?:one|two|three|four|five) (?:is|was)|"
                     r"(?:two|three|four|five)(?=[,:])|number (?:one|two|three|four|five)|"
                     r"therefore|however|meanwhile|anyway|obviously|notice|"
                     r"similarly|likewise|whereas|though|yet|and yet|so then|what \w+ said|(?:the )?(?:first|second|third|fourth|"
                     r"fifth|last|next) (?:is|one|thing|point|part|was)\b|"
                     r"an? (?:second|third|fourth|fifth|sixth)\b(?! of\b))\b", re.I)  # "A fourth company": another item
REFERS_BACK = re.compile(r"\b(?:like you said|as you said|you mentioned|as i said|i mentioned|you said|going back to|"
                         r"earlier|that point|your point|the same thing|those things|these things|that stuff|"
                         r"this stuff|all that|as well|(?:my|a|specific|quick|follow-up|last|next|another) question|"
                         r"question for you|let me ask|i want to ask|"
                         r"tell us|let's talk)\b", re.I)
OPINION = re.compile(r"\bI (?:think|believe|would argue|'d argue|'m convinced)\b|\bin my (?:view|opinion|experience)\b|"
                     r"\bfrom my (?:point of view|perspective)\b", re.I)  # a claim, not a story about the speaker
QUOTED = re.compile(r"[\"“]([^\"“”]+)[\"”]")
FIRST_PERSON = frozenset({"i", "i'm", "i've", "i'd", "i'll", "me", "my", "myself"})
SOFT_BACKREF = re.compile(r"^(?:it|it's|this|that|there)\b", re.I)
POINTING = frozenset({"this", "these"})
SENTENCE_ENDS = frozenset({".", "!", "?", '"', "”"})
INTRODUCING = frozenset({"that", "which", "who", "called", "named", "where", "-", "—", ":", "("})  # "this tool that..."
SITUATION = frozenset({"time", "week", "year", "point", "kind", "sort", "thing", "things", "stuff", "episode", "show",
                       "podcast", "conversation", "morning", "days", "moment", "world", "space", "case", "stage",
                       "idea", "type", "way", "whole"})  # "this week", "this space": the moment, not a thing named before
HEADLINE_BONUS = 0.1  # a passage that opens on a headline opens on its subject; found 12 -> 13 of 30, 35 of 114 either way
STORY_COST = 0.1  # an anecdote's opening ("There was a bill the other day"); 0.1 and 0.2: 13/30 and 28/114, as without
UNRESOLVED_COST = 0.15  # per unnamed "this library", up to two; found 13/30 (dev), 26/114 (bench/labelled): was 13, 21
STORY = re.compile(LEADS_IN + r"(?:there (?:was|were)|i remember|one time|back (?:in|when)|years ago)\b|\bthe other day\b",
                   re.I)  # a story's opening: the point, if any, comes later
RAW_LEAD = re.compile(r"^\W*(?:and|but|or|because|i mean|like|yeah|yes|no(?=[,.!])|right|exactly|well(?!-))\b", re.I)  # goes on
CONTINUES = ("...", "…", "-", "—", ",", ":")  # a sentence ending so leaves its thought to the next one
WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*|\d[\d.,:%]*")
TOKEN = re.compile(r"[a-z][a-z'’]*|[^\sa-z]")  # words and single marks, of lower-cased text


@dataclass(frozen=True)
class Scored:
    """A sentence with its cleaned text and the scores passages are built from."""

    sentence: Sentence
    clean: str
    words: int
    content: frozenset[str]
    info: float  # 0..1: how much it says
    penalty: float  # subtracted from a passage that contains it
    opening: float  # subtracted from a passage that starts with it: half a thought, a question
    gate: str | None  # why it may not be an insight (sponsor read, intro, ...), or None


@dataclass(frozen=True)
class Episode:
    """What scoring a sentence needs to know about the whole episode."""

    frequency: dict[str, int]  # in how many sentences each content word occurs
    context_words: frozenset[str]  # content words of the episode's title and description
    names: set[str]
    hosts: set[str | None]
    first_s: float
    last_s: float
    edge_s: float


def score_sentences(sentences: list[Sentence], gates: list[str | None], context: EpisodeContext) -> list[Scored]:
    """Clean and score every sentence of an episode; `gates` says which may not be an insight, and why."""
    cleaned = [clean_text(s.text) for s in sentences]
    tokens = [WORD.findall(c) for c in cleaned]
    contents = [[t.lower() for t in toks if is_content(t)] for toks in tokens]
    frequency: dict[str, int] = {}
    for content in contents:
        for word in set(content):
            frequency[word] = frequency.get(word, 0) + 1
    first, last = sentences[0].start_s, sentences[-1].end_s
    about = WORD.findall(context.about())
    episode = Episode(frequency, frozenset(t.lower() for t in about if is_content(t)), speaker_names(sentences),
                      interviewers(sentences), first, last, edge_window(first, last))
    return [
        Scored(s, cleaned[i], len(tokens[i]), frozenset(contents[i]), _info(cleaned[i], tokens[i], contents[i], episode),
               _penalty(s, cleaned[i], tokens[i], contents[i], episode), _opening(s), gates[i])
        for i, s in enumerate(sentences)
    ]


def _info(clean: str, toks: list[str], content: list[str], episode: Episode) -> float:
    """How much a sentence says: content words, specifics (names, numbers), claims, the episode's topics."""
    lower, unique = clean.lower(), set(content)
    specifics = sum(1 for t in toks[1:] if t[0].isupper() and t.lower() not in FIRST_PERSON)
    specifics += sum(1 for t in toks if t[0].isdigit() or t.lower() in NUMBER_WORDS)
    topical = sum(1 for w in unique if episode.frequency[w] >= 3 or w in episode.context_words) / max(len(unique), 1)
    return (0.35 * min(len(unique) / 8, 1.0) + 0.25 * min(len(content) / max(len(toks), 1) / 0.5, 1.0)
            + 0.15 * min(specifics / 3, 1.0) + 0.15 * min(len(CLAIM_CUES.findall(lower)) / 2, 1.0)
            + 0.10 * topical + 0.08 * min(len(GENERAL.findall(lower)) / 2, 1.0)
            - 0.08 * min(len(NARRATIVE.findall(lower)) / 2, 1.0))


def _penalty(sentence: Sentence, clean: str, toks: list[str], content: list[str], episode: Episode) -> float:
    """How much a sentence reads as chit-chat, housekeeping, a question or half a thought, or sits at an edge."""
    raw, lower = sentence.spoken, clean.lower()
    first_person = _first_person(clean, toks)
    trimmed = 1 - len(toks) / max(len(WORD.findall(raw)), 1)  # share of words that were disfluencies
    repeated = 1 - len(set(content)) / max(len(content), 1)
    to_edge = min(sentence.start_s - episode.first_s, episode.last_s - sentence.end_s)
    return (0.15 * len(BANTER.findall(lower)) + 0.3 * bool(LAUGHTER.search(raw)) + 0.4 * bool(UNCLEAR.search(raw))
            + 0.25 * min(len(HOUSEKEEPING.findall(raw)), 2) + 0.15 * bool(REFERS_BACK.search(lower))
            + 0.15 * bool(episode.names & set(toks)) + 0.2 * min(first_person / 0.12, 1.0)
            + 0.6 * max(trimmed, 0.0) + 0.3 * repeated + 0.05 * min(len(META.findall(lower)), 3)
            + WISH_COST * bool(WISH.search(lower))
            + HOST_PENALTY * (sentence.speaker in episode.hosts)
            + EDGE_PENALTY * max(0.0, 1 - to_edge / episode.edge_s))


def _first_person(clean: str, toks: list[str]) -> float:
    """Share of words that make a sentence about the speaker; "I think" frames an opinion and quotes are reported."""
    framed = len(OPINION.findall(clean)) + sum(1 for t in WORD.findall(" ".join(QUOTED.findall(clean)))
                                              if t.lower() in FIRST_PERSON)
    return max(sum(1 for t in toks if t.lower() in FIRST_PERSON) - framed, 0) / max(len(toks), 1)


def _opening(sentence: Sentence) -> float:
    """How much a passage that starts with this sentence starts mid-thought: a question, a dangling clause, lower case
    (in a transcript that capitalises its sentences).

    Inside a passage the same sentence is fine: "Is there an ideal length? Nope." and "... Because it compiles."
    """
    raw = sentence.text
    return (0.3 * bool(QUESTION.search(raw.rstrip())) + 0.25 * bool(DANGLING.match(raw.strip()))
            + 0.2 * (sentence.cased and raw.lstrip("\"'“‘([-— ")[:1].islower()))


def interviewers(sentences: list[Sentence]) -> set[str | None]:
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


def speaker_names(sentences: list[Sentence]) -> set[str]:
    """First names of the speakers: a sentence that names one is talking to or about the people in the room."""
    return {part for s in sentences if s.speaker for part in s.speaker.split()[:1] if len(part) > 2 and part.istitle()}


def is_content(token: str) -> bool:
    lower = token.lower()
    return len(lower) > 2 and lower[0].isalpha() and lower not in STOPWORDS


def lead_penalty(scored: list[Scored], start: int) -> float:
    """How much a passage starting here leans on what came before it, or opens mid-thought."""
    first = scored[start]
    penalty = first.opening + (0.2 * bool(BACKREF.match(first.clean)) + 0.08 * bool(SOFT_BACKREF.match(first.clean))
               + 0.1 * bool(RAW_LEAD.match(first.sentence.text)) + STORY_COST * bool(STORY.search(first.clean)))
    if start and scored[start - 1].sentence.turn == first.sentence.turn:
        penalty += 0.15 * scored[start - 1].sentence.text.rstrip().endswith(CONTINUES)
    if start + 1 < len(scored) and scored[start + 1].sentence.turn == first.sentence.turn:
        penalty -= HEADLINE_BONUS * first.sentence.is_headline  # the story it heads follows
    return penalty


def unresolved_cost(text: str) -> float:
    """What a passage loses for each thing it points at but never names ("on this library", the library unnamed).

    "this" and "these" inside a sentence, with the next one or two words: the last content word of them is the thing
    pointed at. It is named when the passage says it again, or right after ("these three programs - Docker Official
    Images, ..."), or introduces it ("this tool that ..."); "this week" points at the moment, not at a thing. A
    sentence that opens on "This" is left to the opening rules: there it is mostly a pronoun ("This cuts the cost").
    """
    tokens = TOKEN.findall(text.lower())
    unnamed = 0
    for i, token in enumerate(tokens):
        if token not in POINTING or i == 0 or tokens[i - 1] in SENTENCE_ENDS:
            continue
        phrase = list(takewhile(lambda t: t[0].isalpha(), tokens[i + 1:i + 3]))
        nouns = [t for t in phrase if is_content(t)]
        if not nouns or nouns[-1] in SITUATION:
            continue
        after = tokens[i + 1 + len(phrase):i + 2 + len(phrase)]
        if tokens.count(nouns[-1]) == 1 and not (after and after[0] in INTRODUCING):
            unnamed += 1
    return UNRESOLVED_COST * min(unnamed, 2)


def tail_penalty(scored: list[Scored], stop: int) -> float:
    """How much a passage ending before `stop` leaves unsaid when its speaker goes on (a set-up, a trailing off)."""
    last = scored[stop - 1]
    if stop >= len(scored) or scored[stop].sentence.turn != last.sentence.turn:
        return 0.0
    return 0.15 * bool(SETUP.match(last.clean)) + 0.1 * last.sentence.text.rstrip().endswith(CONTINUES)
