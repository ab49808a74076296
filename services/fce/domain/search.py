"""How a search box is understood and how results are ranked, on plain values.

One `q` box: an exact SIRET or SIREN (spaces allowed), else a name. Names are matched in tiers:
the exact name, then names starting with what was typed, then names holding every typed word in
any order, each word corrected against the vocabulary of indexed words when it is not one of
them (typos), accents and punctuation ignored throughout.

Within a tier results come by rank: open before closed, head office before secondary
establishment, bigger before smaller. The rank is one small number stored on each row, so that
an index gives results in rank order: frequent words match hundreds of thousands of the 11
million establishments, and sorting all of them for each page would cost seconds.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import IntEnum, StrEnum

from shared import referentials

# INSEE's headcount bands (tranche d'effectifs salariés), smallest first; "NN": no employee
# in the reference year (or unknown).
HEADCOUNT_BANDS: dict[str, str] = {
    "NN": "Unité non employeuse",
    "00": "0 salarié",
    "01": "1 ou 2 salariés",
    "02": "3 à 5 salariés",
    "03": "6 à 9 salariés",
    "11": "10 à 19 salariés",
    "12": "20 à 49 salariés",
    "21": "50 à 99 salariés",
    "22": "100 à 199 salariés",
    "31": "200 à 249 salariés",
    "32": "250 à 499 salariés",
    "41": "500 à 999 salariés",
    "42": "1 000 à 1 999 salariés",
    "51": "2 000 à 4 999 salariés",
    "52": "5 000 à 9 999 salariés",
    "53": "10 000 salariés et plus",
}
_SIZE = {band: order for order, band in enumerate(HEADCOUNT_BANDS)}
BIGGEST = len(HEADCOUNT_BANDS) - 1
CLOSED_PENALTY = 64  # open before closed, whatever the size
SECONDARY_PENALTY = 32  # then head office before secondary establishment


def size_order(band: str | None) -> int:
    """0 for an unknown or non-employer band, up to 15 for 10,000 employees and more."""
    return _SIZE.get(band or "NN", 0)


def establishment_rank(state: str, head_office: bool, band: str | None) -> int:
    """The establishment's place within a tier: smaller comes first."""
    closed = CLOSED_PENALTY if state == "F" else 0
    return closed + (0 if head_office else SECONDARY_PENALTY) + BIGGEST - size_order(band)


def company_rank(state: str, band: str | None) -> int:
    return (CLOSED_PENALTY if state == "C" else 0) + BIGGEST - size_order(band)


def possible_ranks(*, closed: bool | None, head_office: bool | None, bands: list[str],
                   companies: bool = False) -> list[int] | None:
    """The ranks a row can have under these filters (None: any). The rank follows each list
    column in its index, so a walk of the index skips the other ranks without reading the rows."""
    if closed is None and head_office is None and not bands:
        return None
    closed_options = (False, True) if closed is None else (closed,)
    head_options = (True,) if companies else (True, False) if head_office is None else (head_office,)
    sizes = {size_order(band) for band in bands} if bands else range(BIGGEST + 1)
    return sorted({(CLOSED_PENALTY if c else 0) + (0 if h else SECONDARY_PENALTY) + BIGGEST - size
                   for c in closed_options for h in head_options for size in sizes})


def ranks_decide_bands(bands: list[str]) -> bool:
    """Whether the ranks alone select these bands: every band has its own size but "NN", whose
    size (0) an unknown or missing band shares."""
    return "NN" not in bands


@dataclass(frozen=True)
class ColumnStatistics:
    """How often a column holds each value (PostgreSQL's statistics of the table)."""

    common: dict[str, float]  # the most common values and the share of rows holding each
    other: float  # the share of rows holding any one other value

    def share(self, values: Iterable[str]) -> float:
        return min(1.0, sum(self.common.get(value, self.other) for value in values))


# Without statistics (a table not analysed yet), each value is taken as common as any other.
DISTINCT_VALUES = {"commune_code": 35_000, "departement": 101, "naf": 732}


def no_statistics(column: str) -> ColumnStatistics:
    return ColumnStatistics({}, 1 / DISTINCT_VALUES.get(column, 200))


def words_statistics(elements: list[str], frequencies: list[float]) -> ColumnStatistics:
    """PostgreSQL's statistics of a table's words (a tsvector's most common elements, then the
    least and the most of their frequencies): each listed word's share of the rows; any other
    word is rarer than the least listed."""
    listed = dict(zip(elements, frequencies[: len(elements)], strict=True))
    return ColumnStatistics(listed, min(listed.values(), default=0.0))


@dataclass(frozen=True)
class ListFilter:
    """A filter keeping the rows whose column holds one of `values` rows; the column has an index
    (column, rank, id) that gives each value's rows in rank order."""

    name: str
    values: int
    share: float  # estimated share of the rows kept


DESCENT_COST = 3.0  # starting an index walk reads a few pages: as much as checking 3 rows
ENTRY_COST = 0.1  # reading one more index entry, when no filter needs its row


def walk_to_drive(lists: list[ListFilter], rows: float, limit: int, checks_rows: bool,
                  ranked: float = 1.0) -> str | None:
    """The list filter whose walks (one per value, each stopping after `limit` matches) cost least
    to fill a page, or None when one walk of the whole rank index, checking every row, costs less
    (the filters keep most rows). The filters are assumed independent: a région with a rare NAF
    section is walked by the section's codes. `checks_rows`: some filter besides the lists and the
    rank needs the row itself, so that a walk reads rows, not only index entries. `ranked`: the
    share of rows of the possible ranks, the only ones any walk reads."""
    rows = max(rows * ranked, 1.0)
    kept = math.prod(f.share for f in lists)
    best, best_cost = None, min(rows, limit / max(kept, 1 / rows))
    for walked in lists:
        others = math.prod(f.share for f in lists if f is not walked)
        read = min(walked.share * rows, walked.values * limit / max(others, 1 / rows))
        cost = walked.values * DESCENT_COST + read * (1.0 if checks_rows or len(lists) > 1 else ENTRY_COST)
        if cost < best_cost:
            best, best_cost = walked.name, cost
    return best


class Tier(IntEnum):
    """How a row matched `q`; lower is better. Exact name and prefix share one index range (the
    exact name is the smallest string with that prefix), so they page together."""

    IDENTIFIER = 0
    NAME = 1  # exact name, then names starting with q, by (name, rank)
    WORDS = 3  # every word in any order, typos corrected, by rank
    ALL = 4  # no q: filters only, by rank


class QueryKind(StrEnum):
    NONE = "none"
    SIRET = "siret"
    SIREN = "siren"
    NAME = "name"


@dataclass(frozen=True)
class Query:
    kind: QueryKind
    text: str = ""  # the identifier's digits, or the name as typed
    prefix_last_word: bool = True  # the user may still be typing the last word


_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")


def interpret(q: str | None) -> Query:
    """What the box holds: an identifier's digits (9 or 14 of them, spaces allowed; whether it is
    a valid one is for the caller to check), a name, or nothing."""
    if q is None or not q.strip():
        return Query(QueryKind.NONE)
    compact = _SPACES.sub("", q)
    if compact.isascii() and compact.isdigit():
        if len(compact) == 14:
            return Query(QueryKind.SIRET, compact)
        if len(compact) == 9:
            return Query(QueryKind.SIREN, compact)
    return Query(QueryKind.NAME, q.strip(), prefix_last_word=not q[-1].isspace())


# Words too common to narrow anything down: every third name holds one.
STOP_WORDS = frozenset(
    {"de", "du", "des", "la", "le", "les", "l", "d", "et", "a", "au", "aux", "en", "sur", "sous", "par", "pour"}
)
# A last word typed as a prefix is searched as the indexed words it starts when there are at most
# this many: the GIN index then skips through them along the other words, where a prefix makes
# it read every entry of every such word ('association' as a prefix: 700,000 at 11 M).
PREFIX_EXPANSION = 32
MIN_CORRECTED_LENGTH = 3  # a 1- or 2-letter word has no trigram to correct it by
MAX_DISTANCE = 0.65  # pg_trgm distance (1 - similarity) beyond which a word is not a correction
MAX_CORRECTIONS = 3
# Corrections as near as the nearest one, give or take this: 'scirie' is 'scierie' or 'scie'
# (0.5), not also 'sci' (0.625), which half a million names hold.
CORRECTION_MARGIN = 0.1


@dataclass(frozen=True)
class WordFacts:
    """What the vocabulary says about one typed word."""

    word: str
    known: bool  # an indexed word as such
    prefix_known: bool  # some indexed word starts with it
    nearest: tuple[tuple[str, float], ...] = ()  # (word, trigram distance), closest first
    # How many names hold each word named here (the word itself, its nearest): the vocabulary's
    # frequencies, which only steer how a page is read, never what it holds.
    frequencies: dict[str, int] = field(default_factory=dict, compare=False)
    prefix_frequency: int = 0  # names holding a word that starts with it (itself included)
    # Every indexed word starting with it (itself included), when they are few (see PREFIX_EXPANSION).
    prefix_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class WordMatch:
    alternatives: tuple[str, ...]  # any of them will do
    prefix: bool = False  # the first alternative also matches as a prefix
    names: int = 0  # how many names hold one of the alternatives (at most: a name may hold several)
    alone: dict[str, int] = field(default_factory=dict, compare=False)  # names holding each alternative


def as_in_table(facts: WordFacts, words: ColumnStatistics | None, names: float) -> WordFacts:
    """The word's frequencies as the searched table holds its words, in the vocabulary's units
    (`names` names): the vocabulary counts the words of every company's names and of every
    establishment's own (enseigne, usual name) together, which misjudges how often either table
    holds them ('touraine': 0.88 % of names, in 0.45 % of the establishments at 1 M, which their
    statistics put at 0.41 %). The words the statistics list take their share; the others are at
    most as frequent as the least listed. The words starting with the typed one change as much as
    it does."""
    if words is None:
        return facts
    frequencies = {word: round(words.common[word] * names) if word in words.common
                   else min(frequency, round(words.other * names)) for word, frequency in facts.frequencies.items()}
    typed = facts.frequencies.get(facts.word)
    prefix = facts.prefix_frequency
    if typed:
        prefix = round(prefix * frequencies[facts.word] / typed)
    return replace(facts, frequencies=frequencies, prefix_frequency=prefix)


def word_matches(facts: list[WordFacts], prefix_last_word: bool) -> list[WordMatch]:
    """For each significant typed word, the indexed words that count as it (itself, or its
    corrections when it is unknown); stop words drop out unless nothing else is left."""
    significant = [f for f in facts if f.word not in STOP_WORDS] or facts
    matches = []
    for fact in significant:
        is_last = fact is facts[-1]
        prefix = is_last and prefix_last_word
        own = fact.prefix_frequency if prefix else fact.frequencies.get(fact.word, 0)
        if prefix and fact.prefix_words:  # the words it starts, one by one: whole words to the index
            matches.append(WordMatch(fact.prefix_words, names=own))
            continue
        if fact.known or (prefix and fact.prefix_known):
            matches.append(WordMatch((fact.word,), prefix=prefix, names=own, alone={fact.word: own}))
            continue
        best = min((distance for _, distance in fact.nearest), default=MAX_DISTANCE)
        corrections = tuple(
            word for word, distance in fact.nearest[:MAX_CORRECTIONS]
            if distance <= min(MAX_DISTANCE, best + CORRECTION_MARGIN) and word != fact.word
        )
        if len(fact.word) < MIN_CORRECTED_LENGTH or not corrections:
            matches.append(WordMatch((fact.word,), prefix=prefix, names=own))  # matches nothing, and says so
        else:
            alone = {fact.word: own, **{word: fact.frequencies.get(word, 0) for word in corrections}}
            matches.append(WordMatch((fact.word, *corrections), prefix=prefix, names=sum(alone.values()),
                                     alone=alone))
    return matches


def words_share(matches: list[WordMatch], names: float) -> float:
    """The share of names matching every word: one word's own (itself, its corrections, or as a
    prefix); several words taken as independent, unless an alternative of every one of them holds
    them all (two typos of one word). Words that go together are underestimated: that only steers
    how a page is read, and a walk that finds them sparser than expected gives way."""
    if not matches:
        return 0.0
    independent = math.prod(min(1.0, match.names / max(names, 1.0)) for match in matches)
    common = set.intersection(*(set(match.alternatives) for match in matches))
    return max([independent, *(min(1.0, matches[0].alone.get(word, 0) / max(names, 1.0)) for word in common)])


def driving_words(matches: list[WordMatch], names: float) -> list[WordMatch]:
    """The words whose matches the GIN index gives, the others being checked on the rows it gives:
    every whole word, and a word typed as a prefix when the rows it saves reading cost more than
    the entries it adds. The index reads every word starting with a prefix, whole, where it skips
    through whole words along the rarest: in "hamel perrot et associes", 'associes' as a prefix
    read 189,000 entries to save a few rows; in "micchel brasserie", leaving 'brasserie' out read
    74,000 rows of 'michel' for 940 matches."""
    whole = math.prod(min(1.0, match.names / max(names, 1.0)) for match in matches if not match.prefix)
    driving = []
    for match in matches:
        saved = names * whole * (1.0 - min(1.0, match.names / max(names, 1.0)))
        if not match.prefix or GIN_ENTRY_COST * match.alone.get(match.alternatives[0], 0) <= saved:
            driving.append(match)
    return driving


# Costs against checking one row of a walk (index entry, row, words: 1.2-1.6 µs), measured on 14 to
# 16 words each at 1 and 11 million establishments and 4.2 million companies: a match of the words
# read from the GIN index into a bitmap 0.2-0.4 µs, then its row fetched through the bitmap 2.5-3.6
# µs (median 3.0; a walk's index scan alone took 0.9 µs a row). An entry of a filter's own index read
# into a bitmap 0.37 µs, an entry of the rarest of several words, along which the index skips
# through the others, 0.22 µs.
GIN_ENTRY_COST = 0.25
GATHERED_ROW_COST = 2.3
FILTER_ENTRY_COST = 0.15
GIN_SKIP_COST = 0.1
GATHERED_MATCH_COST = GIN_ENTRY_COST + GATHERED_ROW_COST  # a match gathered without filters


def words_walk_bound(rows: float, limit: int) -> int:
    """How many rows a walk of the rank index checks, at first, for a page of words: past it,
    gathering the matches costs less than walking on, unless they are very many (where limit × rows
    / matches, the walk, equals GATHERED_MATCH_COST × matches, the gathering)."""
    return max(limit, math.ceil(math.sqrt(GATHERED_MATCH_COST * limit * max(rows, 1.0))))


def gathering_cost(expected: float, rows: float, kept: float = 1.0, rarest: float | None = None) -> float:
    """What gathering the `expected` matches (of `rows`) of the words the index reads costs, in rows
    a walk checks. No filter: every match and its row, for its rank. Filters keeping a share `kept`
    of the rows: every match of the GIN index wherever it is, then the rows of the matches, or, when
    the planner ANDs the filters' own index, that index's entries and the rows it keeps. Several
    words: the index also reads the `rarest` one's entries."""
    skipped = 0.0 if rarest is None else GIN_SKIP_COST * rarest
    if kept >= 1.0:
        return GATHERED_MATCH_COST * expected + skipped
    anded = FILTER_ENTRY_COST * kept * rows + GATHERED_ROW_COST * kept * expected
    return skipped + GIN_ENTRY_COST * expected + min(GATHERED_ROW_COST * expected, anded)


def walk_rows(expected: float, rows: float, limit: int) -> float:
    """How many rows a walk in rank order checks to find `limit` of the `expected` matches among `rows`."""
    return limit * rows / max(expected, 1.0)


def gather_words(expected: float, rows: float, limit: int, kept: float = 1.0, gathered: float | None = None,
                 rarest: float | None = None) -> bool:
    """Whether to gather the words' matches (the GIN index) and keep the best `limit` by rank,
    rather than walk the rank index (or the rows the filters keep, a share `kept` of the rows)
    checking each row: the walk checks about limit / (the words' share) rows, at most every kept
    row. So rare words are gathered, frequent ones walked, and, without filters, a page costs at
    most about sqrt(GATHERED_MATCH_COST × limit × rows) walked rows either way when the words'
    frequency is right.
    `expected`: rows matching every word; `gathered`: matches the index gives (see `driving_words`),
    `rarest`: matches of the rarest of them, when several."""
    cost = gathering_cost(expected if gathered is None else gathered, rows, kept, rarest)
    return cost <= min(kept * rows, walk_rows(expected, rows, limit))


def next_words_walk(expected: float, rows: float, limit: int, read: int = 0, found: int = 0,
                    last: int = 0, gather: float | None = None) -> int | None:
    """How many rows the next walk of the rank index checks for a page of `limit` words' rows, or
    None to gather the matches instead. `read` rows checked so far found `found` of them, the last
    walk checking `last`. The words tier can be far sparser than the words (the names starting
    with them are the name tier's), so a walk that falls short goes on as far as the density it
    saw needs (half as far again, to be safe), while that is less than gathering the `expected`
    matches and all the walks together stay under three times that; twice as far as the last
    when it saw none, while all the walks together stay under it. Never the rest of the index.
    The first walk may go twice as far as the words' frequency says it needs, short of gathering
    (near the crossover, a walk stopped just short costs two statements more). `gather`: what
    gathering costs instead (see `gathering_cost`; by default, without filters)."""
    gather = gathering_cost(expected, rows) if gather is None else gather
    if read == 0:
        return max(words_walk_bound(rows, limit), min(math.ceil(2 * walk_rows(expected, rows, limit)),
                                                      math.ceil(gather)))
    if not found:
        bound = 2 * last
        return bound if read + bound <= gather else None
    needed = (limit - found) * read / found
    bound = math.ceil(1.5 * needed) + limit
    return bound if needed <= gather and read + bound <= 3 * gather else None


# A frequent word's best rows are among the best ranks: its matches there, the GIN index's ANDed
# with a range of the rank index, cost the range's entries, where gathering every match reads a row
# for each and a walk checks rows in rank order until enough match. At 11 M, 'reunion' (9,400 of
# 4.2 M companies): ranks 0-5 (30,000 rows) in 5-8 ms, against 34 ms gathered and 36 ms walked.
# Costs against checking a row of a walk: the GIN index's matches and the rows as gathered ones
# (above), an entry of the rank index read into a bitmap 0.08 µs. The range is made to hold four
# times the rows wanted, as the words' frequency is an estimate.
RANKS_MARGIN = 4
RANKED_MATCH_COST = GIN_ENTRY_COST
RANK_ENTRY_COST = 0.06
RANKED_ROW_COST = GATHERED_ROW_COST


def words_ranks(expected: float, gathered: float, rows: float, limit: int, ranks: ColumnStatistics,
                first: int | None = None) -> int | None:
    """The last rank of the best ranks in which to look first for a page of `limit` rows matching
    words that `expected` rows match (the index giving `gathered` matches), when reading them costs
    less than walking or gathering: from `first` (the cursor's; else from the best) to where
    RANKS_MARGIN × limit matches are expected. None when that takes every rank left, or costs more.
    The ranks too rare for the statistics to list count for nothing here; they are read all the same."""
    share = expected / max(rows, 1.0)
    counts = sorted((int(rank), frequency * rows) for rank, frequency in ranks.common.items()
                    if first is None or int(rank) >= first)
    held = 0.0
    for i, (rank, count) in enumerate(counts):
        held += count
        if held * share >= RANKS_MARGIN * limit:
            cost = RANKED_MATCH_COST * gathered + RANK_ENTRY_COST * held + RANKED_ROW_COST * held * share
            cheaper = cost < min(walk_rows(expected, rows, limit), gathering_cost(gathered, rows))
            return rank if cheaper and i < len(counts) - 1 else None
    return None


def tsquery_text(matches: list[WordMatch]) -> str:
    """The tsquery (text form) of word matches: AND of words, OR of each word's alternatives."""
    groups = []
    for match in matches:
        lexemes = [_lexeme(word) + (":*" if match.prefix and i == 0 else "")
                   for i, word in enumerate(match.alternatives)]
        groups.append(lexemes[0] if len(lexemes) == 1 else "(" + " | ".join(lexemes) + ")")
    return " & ".join(groups)


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


class EstablishmentSort(StrEnum):
    RELEVANCE = "relevance"
    SIRET = "siret"
    NAME = "name"
    CREATED_ON = "created_on"
    CREATED_ON_DESC = "-created_on"


class CompanySort(StrEnum):
    RELEVANCE = "relevance"
    SIREN = "siren"
    NAME = "name"
    CREATED_ON = "created_on"
    CREATED_ON_DESC = "-created_on"


ESTABLISHMENT_FACETS = ("departement", "region", "naf_section", "naf", "headcount_band", "state", "head_office")
COMPANY_FACETS = ("departement", "region", "naf_section", "naf", "headcount_band", "state", "legal_category", "ess")
STATES = {"A": "Actif", "F": "Fermé", "C": "Cessée"}  # A for both; F for an establishment, C for a company


# What a facet's values are called, for a client to show without a referential of its own.
_FACET_LABELS: dict[str, Callable[[], dict[str, str]]] = {
    "departement": functools.partial(referentials.names, "departements.csv"),
    "region": functools.partial(referentials.names, "regions.csv"),
    "naf": functools.partial(referentials.names, "naf.csv"),
    "naf_section": lambda: referentials.NAF_SECTION_LABELS,
    "headcount_band": lambda: HEADCOUNT_BANDS,
    "state": lambda: STATES,
}


def facet_label(facet: str, value: object) -> str | None:
    labels = _FACET_LABELS.get(facet)
    return labels().get(value) if labels and isinstance(value, str) else None


@dataclass(frozen=True)
class Near:
    latitude: float
    longitude: float
    radius_km: float


@dataclass
class Filters:
    """Every filter of a search; empty lists mean no restriction, several lists all apply."""

    state: str | None = None
    head_office: bool | None = None
    naf: list[str] = field(default_factory=list)
    naf_section: list[str] = field(default_factory=list)
    commune: list[str] = field(default_factory=list)
    postcode: list[str] = field(default_factory=list)
    departement: list[str] = field(default_factory=list)
    region: list[str] = field(default_factory=list)
    epci: list[str] = field(default_factory=list)
    headcount_band: list[str] = field(default_factory=list)
    employer: bool | None = None
    ess: bool | None = None
    near: Near | None = None


# Formats of the codes a filter takes, and what to say when one is not.
CODE_FORMATS: dict[str, tuple[re.Pattern, str]] = {
    "naf": (re.compile(r"\d\d\.\d\d[A-Z]"), "a NAF rev. 2 code looks like 62.01Z"),
    "naf_section": (re.compile(r"[A-U]"), "a NAF section is one letter from A to U"),
    "commune": (re.compile(r"(\d\d|2A|2B)\d{3}"), "a commune code INSEE has 5 characters, like 75056 or 2A004"),
    "postcode": (re.compile(r"\d{5}"), "a postcode has 5 digits"),
    "departement": (re.compile(r"\d\d|2A|2B|97[1-8]|98[4-9]"), "a département code is like 01, 2A or 974"),
    "region": (re.compile(r"\d\d"), "a région code has 2 digits, like 11 or 84"),
    "epci": (re.compile(r"\d{9}"), "an EPCI code (SIREN of the EPCI) has 9 digits"),
    "headcount_band": (re.compile("|".join(HEADCOUNT_BANDS)),
                       "a headcount band is one of " + ", ".join(HEADCOUNT_BANDS)),
}


def code_problem(kind: str, value: str) -> str | None:
    pattern, message = CODE_FORMATS[kind]
    return None if pattern.fullmatch(value) else f"{value!r}: {message}"


MAX_RADIUS_KM = 200.0


def parse_near(near: str, radius_km: float | None) -> Near:
    """`near=48.85,2.35` and a radius (10 km when not given); ValueError saying what is wrong."""
    try:
        latitude, longitude = (float(part) for part in near.split(","))
    except ValueError:
        raise ValueError("near is 'latitude,longitude' in decimal degrees, like 48.8566,2.3522") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError("near is out of range: latitude within ±90, longitude within ±180")
    radius = 10.0 if radius_km is None else radius_km
    if not 0 < radius <= MAX_RADIUS_KM:
        raise ValueError(f"radius_km is more than 0 and at most {MAX_RADIUS_KM:g}")
    return Near(latitude, longitude, radius)

