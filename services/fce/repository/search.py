"""Search of establishments and companies: the SQL of domain/search.py's tiers, filters, facets.

Each tier is one index range read in the order of the page (keyset): exact name and prefix on
(name_norm, rank_key, id) (or (departement, name_norm, ...) for one département), words gathered
from the GIN index (rare ones), from it within the best ranks first (a common word's thousands of
names, without filters: `words_ranks`) or checked along the rows the filters keep in rank order
(frequent ones, see domain/search.py's `gather_words`), no words on (rank_key, id) or, when a list
filter is selective, on (column, rank_key, id) for each of its values (a walk). A page takes rows
from the first tier with any left after the cursor, then the next ones, so a deep page costs what
the first does.
"""

import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import (
    Column,
    ColumnElement,
    SmallInteger,
    Table,
    Text,
    and_,
    any_,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession

from services.fce.domain.search import (
    MAX_DISTANCE,
    PREFIX_EXPANSION,
    ColumnStatistics,
    CompanySort,
    EstablishmentSort,
    Filters,
    ListFilter,
    Query,
    QueryKind,
    Tier,
    WordFacts,
    as_in_table,
    driving_words,
    gather_words,
    gathering_cost,
    next_words_walk,
    no_statistics,
    possible_ranks,
    ranks_decide_bands,
    tsquery_text,
    walk_to_drive,
    word_matches,
    words_ranks,
    words_share,
    words_statistics,
)
from services.fce.models import Company, Establishment
from services.fce.repository.sirene_sql import city_of_arrondissement
from shared.pagination import PageParams, after, decode_cursor, encode_cursor
from shared.referentials import EARTH_RADIUS_KM

# A page reads a few hundred index entries: starting parallel workers would cost more. A GIN
# bitmap of a frequent word (300,000 rows at 11 million) outgrows the default 4 MB and turns lossy:
# then every row of its pages is checked again, 460,000 of them for one page. Corrections of a
# mistyped word are the vocabulary's words similar enough to it (pg_trgm's %, see MAX_DISTANCE).
_SERIAL = text("SELECT set_config('max_parallel_workers_per_gather', '0', true), set_config('work_mem', '64MB', true), "
               "set_config('pg_trgm.similarity_threshold', :similarity, true)")
_SERIAL_PARAMETERS = {"similarity": str(1 - MAX_DISTANCE)}
_PARALLEL = text("SET LOCAL max_parallel_workers_per_gather TO DEFAULT")
LAST_CHARACTER = "\U0010ffff"  # above any character: name_norm < prefix + it bounds a prefix range
NO_DATE = date(1, 1, 1)


@dataclass(frozen=True)
class Target:
    """What is searched: establishments (by SIRET) or companies (by SIREN)."""

    name: str
    table: Table
    id: Column

    @property
    def c(self):
        return self.table.c


ESTABLISHMENTS = Target("establishments", Establishment.__table__, Establishment.__table__.c.siret)
COMPANIES = Target("companies", Company.__table__, Company.__table__.c.siren)


@dataclass(frozen=True)
class NameTerms:
    norm: str  # the typed name as stored names are normalised ("" when nothing is left)
    tsquery: str | None  # every significant word, corrected when unknown
    share: float | None = None  # estimated share of names matching the words (steers how pages are read)
    driving: str | None = None  # the words read from the GIN index, when not all of them (see driving_words)
    driving_share: float | None = None  # estimated share of names matching those
    rarest_share: float | None = None  # share of names holding the rarest of those, when several


# For each typed word: is it an indexed word, does one start with it, and the nearest ones by
# trigrams when it is neither (those sharing enough trigrams, from the vocabulary's GIN trigram
# index, under a millisecond); with the number of names holding each (for the last word, typed as
# a prefix: holding a word starting with it, summed over the first PREFIX_WORDS such words, enough
# to tell a frequent prefix). One range of the vocabulary's btree gives the word and those
# starting with it.
PREFIX_WORDS = 200
_WORD_FACTS = text(
    """
    WITH w AS (SELECT t.word COLLATE "C" AS word, t.i FROM unnest(fce.name_words(:q)) WITH ORDINALITY AS t(word, i)),
         n AS (SELECT count(*) AS words FROM w)
    SELECT w.i, w.word, k.frequency IS NOT NULL AS known, k.prefix_known, k.frequency, k.prefix_frequency,
           k.prefix_words,
           near.word AS near_word, near.distance, near.frequency AS near_frequency
    FROM w CROSS JOIN n
    CROSS JOIN LATERAL (
        SELECT max(r.frequency) FILTER (WHERE r.word = w.word) AS frequency,
               coalesce(bool_or(r.word > w.word), false) AS prefix_known,
               sum(r.frequency)::bigint AS prefix_frequency,
               CASE WHEN count(*) <= :expansion THEN array_agg(r.word::text ORDER BY r.word) END AS prefix_words
        FROM (SELECT v.word, v.frequency FROM fce.name_words v WHERE v.word >= w.word AND v.word < w.word || :last
              ORDER BY v.word LIMIT :prefix_words) r
    ) k
    LEFT JOIN LATERAL (
        SELECT v.word, (v.word <-> w.word)::float8 AS distance, v.frequency FROM fce.name_words v
        WHERE k.frequency IS NULL AND length(w.word) >= 3 AND (NOT k.prefix_known OR w.i < n.words OR NOT :prefix)
          AND v.word % w.word
        ORDER BY v.word <-> w.word LIMIT 3
    ) near ON true
    ORDER BY w.i, near.distance
    """
)


async def name_terms(session: AsyncSession, query: Query, names: float, words: ColumnStatistics | None = None
                     ) -> NameTerms:
    """The words typed, as the vocabulary knows them; `names`: how many names the vocabulary
    counted (one a company), to turn its frequencies into shares; `words`: the searched table's own
    statistics of its words, which say better how often it holds them (see `as_in_table`)."""
    rows = (await session.execute(_WORD_FACTS, {"q": query.text, "prefix": query.prefix_last_word,
                                                "last": LAST_CHARACTER, "prefix_words": PREFIX_WORDS,
                                                "expansion": PREFIX_EXPANSION})).all()
    facts: dict[int, WordFacts] = {}
    for i, word, known, prefix_known, frequency, prefix_frequency, prefix_words, near_word, distance, near_frequency \
            in rows:
        fact = facts.get(i) or WordFacts(word, known, prefix_known, (), {word: frequency or 0}, prefix_frequency or 0,
                                         tuple(prefix_words or ()))
        if near_word is not None:
            fact = replace(fact, nearest=(*fact.nearest, (near_word, distance)),
                           frequencies={**fact.frequencies, near_word: near_frequency})
        facts[i] = fact
    ordered = [as_in_table(facts[i], words, names) for i in sorted(facts)]
    matches = word_matches(ordered, query.prefix_last_word)
    norm = " ".join(f.word for f in ordered)
    if not matches:
        return NameTerms(norm, None, 0.0)
    driving = driving_words(matches, names)
    return NameTerms(norm, tsquery_text(matches), words_share(matches, names),
                     tsquery_text(driving) if len(driving) < len(matches) else None, words_share(driving, names),
                     min(words_share([match], names) for match in driving) if len(driving) > 1 else None)


# Communes of an EPCI, including the arrondissements of Paris, Lyon and Marseille (which the
# referential lists without EPCI: it is their city's).
_EPCI_COMMUNES = text(
    f"""
    SELECT c.code FROM ref.communes c
    LEFT JOIN ref.communes city ON c.kind = 'arrondissement' AND city.code = {city_of_arrondissement("c")}
    WHERE coalesce(c.epci, city.epci) = ANY(:epci)
    """
)
_POSTCODE_COMMUNES = text("SELECT code FROM ref.communes WHERE postcodes && CAST(:postcodes AS text[])")
# Communes whose centre is within the radius: a box on the coordinates, then the great circle.
_NEAR_COMMUNES = text(
    f"""
    WITH p AS (SELECT CAST(:lat AS float8) AS lat, CAST(:lon AS float8) AS lon, CAST(:dlat AS float8) AS dlat,
                      CAST(:dlon AS float8) AS dlon, CAST(:radius AS float8) AS radius)
    SELECT c.code FROM ref.communes c, p
    WHERE c.latitude BETWEEN p.lat - p.dlat AND p.lat + p.dlat AND c.longitude BETWEEN p.lon - p.dlon AND p.lon + p.dlon
      AND 2 * {EARTH_RADIUS_KM} * asin(sqrt(power(sin(radians(c.latitude - p.lat) / 2), 2)
          + cos(radians(p.lat)) * cos(radians(c.latitude)) * power(sin(radians(c.longitude - p.lon) / 2), 2)))
          <= p.radius
    """
)


# A list filter on one of these columns (each has an index on (column, rank_key, id)) may be read
# value by value in rank order: a page then costs a few index reads per value instead of fetching
# and sorting every row of a région or a NAF section.
WALKABLE_COLUMNS = ("commune_code", "departement", "region", "naf", "naf_section")


@dataclass
class Conditions:
    other: list[ColumnElement]
    lists: dict[str, tuple[Column, list[str]]]  # list filters on walkable columns
    walk: tuple[str, Column, list[str]] | None = None  # the column read value by value, and its values
    share: float = 1.0  # estimated share of the rows kept (by the lists and the ranks; others unknown)

    def all(self) -> list[ColumnElement]:
        return [*self.other, *(_one_of(column, values) for column, values in self.lists.values())]

    def besides(self, listed: str | None) -> list[ColumnElement]:
        """Every condition but the list filter `listed`'s own."""
        return [*self.other, *(_one_of(column, values) for name, (column, values) in self.lists.items()
                               if name != listed)]

    def besides_walk(self) -> list[ColumnElement]:
        """Every condition but the walked column's own (each walk reads one of its values)."""
        return self.besides(self.walk[0] if self.walk else None)


def _one_of(column: Column, values: list[str]) -> ColumnElement:
    """One array parameter, whatever the number of values (a 200 km radius holds thousands of
    communes); one value is an equality, which the planner knows leaves the index in rank order."""
    if len(values) == 1:
        return column == values[0]
    return column == any_(literal(values, ARRAY(Text))) if values else false()


# PostgreSQL's statistics of a table's walkable columns, to choose which one to walk. They change
# with imports only and steer the plan, never the results: read again after a few minutes.
_STATISTICS = text(
    """
    SELECT c.reltuples, s.attname, s.most_common_vals::text::text[] AS common, s.most_common_freqs AS freqs,
           s.n_distinct, s.null_frac, s.most_common_elems::text::text[] AS elements,
           s.most_common_elem_freqs AS element_freqs
    FROM pg_class c LEFT JOIN pg_stats s
      ON s.schemaname = 'fce' AND s.tablename = c.relname AND s.attname = ANY(:columns)
    WHERE c.oid = CAST(:table AS regclass)
    """
)
STATISTICS_SECONDS = 300.0
UNKNOWN_ROWS = 1e7
_statistics: dict[str, tuple[float, float, dict[str, ColumnStatistics]]] = {}


async def table_statistics(session: AsyncSession, target: Target) -> tuple[float, dict[str, ColumnStatistics]]:
    """(rows, statistics of each walkable column and of the words of its names, "search_vector")
    of the target's table."""
    cached = _statistics.get(target.name)
    if cached and time.monotonic() - cached[0] < STATISTICS_SECONDS:
        return cached[1], cached[2]
    rows, columns = 0.0, {}
    for row in (await session.execute(_STATISTICS, {"table": f"fce.{target.name}",
                                                    "columns": [*WALKABLE_COLUMNS, "rank_key", "search_vector"]}
                                      )).mappings():
        # -1: never analysed nor indexed; walking then is the safe bet of a large table.
        rows = float(row["reltuples"]) if row["reltuples"] >= 0 else UNKNOWN_ROWS
        if row["attname"] is None:
            continue
        if row["attname"] == "search_vector":
            if row["elements"]:
                columns["search_vector"] = words_statistics(row["elements"], row["element_freqs"])
            continue
        common = dict(zip(row["common"] or [], row["freqs"] or [], strict=True))
        distinct = row["n_distinct"] if row["n_distinct"] >= 0 else -row["n_distinct"] * rows
        others = max(distinct - len(common), 1.0)
        columns[row["attname"]] = ColumnStatistics(common, max(1.0 - row["null_frac"] - sum(common.values()), 0.0)
                                                   / others)
    _statistics[target.name] = (time.monotonic(), rows, columns)
    return rows, columns


async def filter_conditions(session: AsyncSession, target: Target, filters: Filters, limit: int) -> Conditions:
    """SQL of the filters, and which list filter to walk. Places are indexed codes: an EPCI or a
    postcode is its communes, near= the communes around. State, head office and size are the
    rank's parts: a condition on the rank, read in the index."""
    c = target.c
    conditions: list[ColumnElement] = []
    companies = target is COMPANIES
    ranks = possible_ranks(closed=None if filters.state is None else filters.state in ("F", "C"),
                           head_office=None if companies else filters.head_office,
                           bands=filters.headcount_band, companies=companies)
    if ranks is not None:
        conditions.append(c.rank_key == any_(literal(ranks, ARRAY(SmallInteger))))
    if filters.headcount_band and not ranks_decide_bands(filters.headcount_band):
        conditions.append(_one_of(c.headcount_band, filters.headcount_band))
    for column, values in ((c.epci, filters.epci), (c.postcode, filters.postcode)):
        if values:
            conditions.append(_one_of(column, values))
    for column, value in ((c.employer, filters.employer), (c.ess, filters.ess)):
        if value is not None:
            conditions.append(column.is_(value))

    communes: set[str] | None = set(filters.commune) if filters.commune else None

    def narrow(codes) -> None:
        nonlocal communes
        communes = set(codes) if communes is None else communes & set(codes)

    if filters.epci:
        narrow((await session.execute(_EPCI_COMMUNES, {"epci": filters.epci})).scalars())
    if filters.postcode:
        narrow((await session.execute(_POSTCODE_COMMUNES, {"postcodes": filters.postcode})).scalars())
    if filters.near:
        near = filters.near
        dlat = near.radius_km / 111.0 + 0.01
        dlon = near.radius_km / (111.0 * max(math.cos(math.radians(near.latitude)), 0.01)) + 0.01
        narrow((await session.execute(_NEAR_COMMUNES, {
            "lat": near.latitude, "lon": near.longitude, "dlat": dlat, "dlon": dlon, "radius": near.radius_km,
        })).scalars())

    asked = {"departement": filters.departement, "region": filters.region, "naf": filters.naf,
             "naf_section": filters.naf_section}
    lists = {name: (c[name], sorted(values)) for name, values in asked.items() if values}
    if communes is not None:  # empty: the places hold no commune, nothing matches
        lists["commune_code"] = (c.commune_code, sorted(communes))
    found = Conditions(conditions, lists)
    if ranks is None and not lists:
        return found
    rows, statistics = await table_statistics(session, target)
    candidates = [ListFilter(name, len(values), (statistics.get(name) or no_statistics(name)).share(values))
                  for name, (_, values) in lists.items()]
    ranked = 1.0 if ranks is None else (statistics.get("rank_key") or no_statistics("rank_key")).share(
        str(rank) for rank in ranks)
    found.share = ranked * math.prod(candidate.share for candidate in candidates)
    if candidates and all(values for _, values in lists.values()):
        walked = walk_to_drive(candidates, rows, limit, checks_rows=len(conditions) > (ranks is not None),
                               ranked=ranked)
        if walked in lists:
            found.walk = (walked, *lists[walked])
    return found


@dataclass(frozen=True)
class Branch:
    tier: Tier
    condition: ColumnElement
    order: list[ColumnElement]  # ascending keyset columns, the last one unique


def branches(target: Target, query: Query, terms: NameTerms | None) -> list[Branch]:
    """The tiers of a relevance search, best first."""
    c = target.c
    ranked = [c.rank_key, target.id]
    if query.kind == QueryKind.NONE:
        return [Branch(Tier.ALL, true(), ranked)]
    if query.kind in (QueryKind.SIRET, QueryKind.SIREN):
        if target is COMPANIES:
            return [Branch(Tier.IDENTIFIER, c.siren == query.text[:9], ranked)]
        if query.kind == QueryKind.SIRET:
            return [Branch(Tier.IDENTIFIER, c.siret == query.text, ranked)]
        return [Branch(Tier.IDENTIFIER, c.siret.between(f"{query.text}00000", f"{query.text}99999"), ranked)]
    found = []
    prefix = None
    if terms and terms.norm:
        prefix = and_(c.name_norm >= terms.norm, c.name_norm < terms.norm + LAST_CHARACTER)
        found.append(Branch(Tier.NAME, prefix, [c.name_norm, *ranked]))
    if terms and terms.tsquery:
        words = c.search_vector.op("@@")(cast(literal(terms.driving or terms.tsquery), TSQUERY))
        if terms.driving:  # the other words checked on the rows found: a function call, which no index serves
            words = and_(words, func.ts_match_vq(c.search_vector, cast(literal(terms.tsquery), TSQUERY)))
        if prefix is not None:
            words = and_(words, or_(c.name_norm.is_(None), c.name_norm < terms.norm,
                                    c.name_norm >= terms.norm + LAST_CHARACTER))
        found.append(Branch(Tier.WORDS, words, ranked))
    return found or [Branch(Tier.WORDS, false(), ranked)]


def matched(target: Target, query: Query, terms: NameTerms | None) -> ColumnElement:
    """Every row the query matches, whatever its tier (for facets, counts and other sorts)."""
    found = [branch.condition for branch in branches(target, query, terms)]
    return found[0] if len(found) == 1 else or_(*found)


def _columns(target: Target):
    return [column for column in target.table.c if column.name not in ("search_vector",)]


def _ranked_select(target: Target, branch: "Branch", conditions: Conditions, extra: list[ColumnElement],
                   limit: int, walk: bool):
    """The branch's rows in (rank_key, id) order. Walked: for each value of the walked column, its
    first `limit` rows in rank order (one index range each), then the best `limit` of them; the
    statement is the same whatever the number of values (one array), so is its plan."""
    columns = _columns(target)
    if not walk or conditions.walk is None:
        return select(*columns).where(branch.condition, *conditions.all(), *extra).order_by(*branch.order).limit(limit)
    _, column, values = conditions.walk
    value = func.unnest(literal(values, ARRAY(Text))).table_valued("value").render_derived(name="walked")
    first = (select(target.c.rank_key, target.id).where(column == value.c.value, branch.condition,
                                                        *conditions.besides_walk(), *extra)
             .order_by(*branch.order).limit(limit).lateral("first"))
    best = (select(first.c.rank_key, first.c[target.id.name]).select_from(value).join(first, true())
            .order_by(first.c.rank_key, first.c[target.id.name]).limit(limit).subquery("best"))
    return (select(*columns).select_from(best.join(target.table, target.id == best.c[target.id.name]))
            .order_by(best.c.rank_key, best.c[target.id.name]))


def _names_in_one_place(target: Target, conditions: Conditions, norm: str, start: list | None):
    """The name tier within one département (or one région): the rows of the (place, name_norm,
    rank_key, id) index between two rows, the first after the cursor. The same rows and order as the
    prefix with the place's equality, which the planner may read through the name index instead,
    dropping the other places' rows: it estimated the names starting 'fleurs' in the Aube at 1 row,
    and read 13,000 at 11 M. Bounds on rows of the place's index alone leave it no other choice.
    None when the filters hold no single place."""
    c = target.c
    for place in ("departement", "region"):
        column, values = conditions.lists.get(place, (None, []))
        if len(values) == 1:
            keys = (column, c.name_norm, c.rank_key, target.id)
            here = literal(values[0], column.type)
            if start is None:
                first = tuple_(*keys[:2]) >= tuple_(here, literal(norm, c.name_norm.type))
            else:  # after the cursor's row: its (name, rank, id)
                after = (literal(value, key.type) for value, key in zip(start, keys[1:], strict=True))
                first = tuple_(*keys) > tuple_(here, *after)
            last = tuple_(*keys[:2]) < tuple_(here, literal(norm + LAST_CHARACTER, c.name_norm.type))
            return select(*_columns(target)).where(first, last, *conditions.besides(place)).order_by(*keys)
    return None


def _after(order: list[ColumnElement], start: list | None) -> list[ColumnElement]:
    return [] if start is None else [after([(column, False) for column in order], start)]


def _gathered_select(target: Target, branch: Branch, conditions: Conditions, start: list | None, limit: int,
                     last_rank: int | None = None):
    """Every row of the branch, in no order (rare words: the planner reads their GIN bitmap, with
    any other index it finds worth it), then the best `limit` after the cursor by rank. Materialised
    so that the planner cannot read the rank index instead for the order and the limit; the cursor
    is applied after, else the planner would AND the GIN bitmap with the rank index's whole tail
    (it underestimates a row comparison's range: 160k rows for 380k). Up to `last_rank` only, when
    given: the planner ANDs that range of the rank index (from the cursor's rank)."""
    within = []
    if last_rank is not None:
        within = [target.c.rank_key <= last_rank, *([] if start is None else [target.c.rank_key >= start[0]])]
    found = (select(target.c.rank_key, target.id).where(branch.condition, *conditions.all(), *within)
             .cte("found").prefix_with("MATERIALIZED"))
    order = [found.c.rank_key, found.c[target.id.name]]
    best = select(*order).where(*_after(order, start)).order_by(*order).limit(limit).subquery("best")
    return (select(*_columns(target)).select_from(best.join(target.table, target.id == best.c[target.id.name]))
            .order_by(best.c.rank_key, best.c[target.id.name]))


def _walk_keys(target: Target, branch: Branch, conditions: Conditions, start: list | None, bound: int,
               checked: bool = False):
    """The keys (rank_key, id) of the next `bound` rows the filters keep after `start`, in rank
    order, and with `checked` whether each matches the branch (hit): one range of an index, each
    row checked as it comes, or, when the walked filter has several values, each value's first
    `bound` rows merged (one index range each, the same statement whatever their number), then
    the rows of the merged keys checked."""
    hit = [branch.condition.label("hit")] if checked else []
    if conditions.walk is None or len(conditions.walk[2]) == 1:
        return (select(target.c.rank_key, target.id, *hit).where(*conditions.all(), *_after(branch.order, start))
                .order_by(*branch.order).limit(bound))
    _, column, values = conditions.walk
    value = func.unnest(literal(values, ARRAY(Text))).table_valued("value").render_derived(name="walked")
    first = (select(target.c.rank_key, target.id)
             .where(column == value.c.value, *conditions.besides_walk(), *_after(branch.order, start))
             .order_by(*branch.order).limit(bound).lateral("first"))
    keys = (select(first.c.rank_key, first.c[target.id.name]).select_from(value).join(first, true())
            .order_by(first.c.rank_key, first.c[target.id.name]).limit(bound))
    if not checked:
        return keys
    keys = keys.subquery("keys")
    return (select(keys.c.rank_key, keys.c[target.id.name], *hit)
            .select_from(keys.join(target.table, target.id == keys.c[target.id.name])))


def _bounded_walk(target: Target, branch: Branch, conditions: Conditions, start: list | None, limit: int,
                  bound: int):
    """The branch's first `limit` rows among the next `bound` rows the filters keep (fewer when
    they are sparser than that). Only the keys go through the walk, the rows found are read after."""
    checked = _walk_keys(target, branch, conditions, start, bound, checked=True).subquery("checked")
    order = [checked.c.rank_key, checked.c[target.id.name]]
    kept = select(*order).where(checked.c.hit).order_by(*order).limit(limit).subquery("kept")
    return (select(*_columns(target)).select_from(kept.join(target.table, target.id == kept.c[target.id.name]))
            .order_by(kept.c.rank_key, kept.c[target.id.name]))


def _walk_end(target: Target, branch: Branch, conditions: Conditions, start: list | None, bound: int):
    """The keys of the `bound`-th row the filters keep after `start` (none: there are fewer)."""
    keys = _walk_keys(target, branch, conditions, start, bound).subquery("keys")
    return select(keys.c.rank_key, keys.c[target.id.name]).order_by(
        keys.c.rank_key, keys.c[target.id.name]).offset(bound - 1).limit(1)


async def _words_rows(session: AsyncSession, target: Target, branch: Branch, terms: NameTerms,
                      conditions: Conditions, start: list | None, limit: int, ranked: bool = True) -> list:
    """The words tier's rows, read as the words' frequencies say. Rare words are gathered; frequent
    ones are walked in rank order through the rows the filters keep (the rank index without
    filters), walk after walk until gathering costs less (see `next_words_walk`). Without filters,
    words in between, which the index reads as one, are first looked for in the best ranks (see
    `words_ranks`)."""
    rows, statistics = await table_statistics(session, target)
    expected = (terms.share or 0.0) * rows
    filtered = bool(conditions.all())
    kept = conditions.share if filtered else 1.0
    gathered = rows * (terms.driving_share if terms.driving_share is not None else terms.share or 0.0)
    rarest = None if terms.rarest_share is None else terms.rarest_share * rows
    last_rank = None
    if ranked and not filtered and rarest is None and "rank_key" in statistics:
        last_rank = words_ranks(expected, gathered, rows, limit, statistics["rank_key"], start[0] if start else None)
    if last_rank is not None:
        found = list((await session.execute(_gathered_select(target, branch, conditions, start, limit, last_rank)))
                     .mappings())
        if len(found) == limit:
            return found
        # The rest is in the next ranks: after any row of the last rank read.
        rest = await _words_rows(session, target, branch, terms, conditions, [last_rank, LAST_CHARACTER],
                                 limit - len(found), ranked=False)
        return found + rest
    gather = gathering_cost(gathered, rows, kept, rarest)
    if gather_words(expected, rows, limit, kept, gathered, rarest):
        return list((await session.execute(_gathered_select(target, branch, conditions, start, limit))).mappings())
    # The walk's own index: the kept rows, where the words are assumed as frequent as anywhere.
    rows = max(rows * kept, 1.0)
    expected = (terms.share or 0.0) * rows
    found: list[dict] = []
    read = 0
    bound = next_words_walk(expected, rows, limit, gather=gather)
    while bound is not None:
        found += (await session.execute(_bounded_walk(target, branch, conditions, start, limit - len(found),
                                                      bound))).mappings()
        if len(found) == limit:
            return found
        end = (await session.execute(_walk_end(target, branch, conditions, start, bound))).first()
        if end is None:
            return found  # the kept rows ended within the walk
        start = list(end)
        read += bound
        bound = next_words_walk(expected, rows, limit, read, len(found), bound, gather)
    rest = await session.execute(_gathered_select(target, branch, conditions, start, limit - len(found)))
    return found + list(rest.mappings())


# Without words to match, the rows of a page are the first ones of each filtered index walk: the
# planner, misled by correlated filters (a région's small firms of a sector), would rather fetch
# every row of the région and sort them, which grows with the registry. No sort: index order
# (only the few rows the walks found are sorted, which no index can spare).
_NO_SORT = text("SET LOCAL enable_sort = off")
_SORT = text("SET LOCAL enable_sort TO DEFAULT")


async def relevance_page(session: AsyncSession, target: Target, query: Query, terms: NameTerms | None,
                         conditions: Conditions, page: PageParams) -> tuple[list[dict], str | None]:
    """One page in tier order; the cursor is (tier, name, rank, id) of the page's last row."""
    position = decode_cursor(page.cursor, 4) if page.cursor else None
    rows: list[dict] = []
    for branch in branches(target, query, terms):
        if position and branch.tier < position[0]:
            continue
        start = None  # the cursor's keyset values, in this tier
        if position and branch.tier == position[0]:
            start = position[1:] if branch.tier == Tier.NAME else position[2:]
        extra = _after(branch.order, start)
        limit = page.limit + 1 - len(rows)
        found = None
        if branch.tier == Tier.WORDS and terms is not None:
            found = await _words_rows(session, target, branch, terms, conditions, start, limit)
        if found is None and branch.tier == Tier.NAME:  # one range of the name index, whatever the filters
            stmt = _names_in_one_place(target, conditions, terms.norm, start)
            if stmt is None:
                stmt = select(*_columns(target)).where(branch.condition, *conditions.all(), *extra) \
                    .order_by(*branch.order)
            found = (await session.execute(stmt.limit(limit))).mappings()
        elif found is None:  # walked when the filter has several values (one is a plain index range)
            walk = branch.tier == Tier.ALL or bool(conditions.walk and len(conditions.walk[2]) > 1)
            stmt = _ranked_select(target, branch, conditions, extra, limit, walk)
            if branch.tier == Tier.ALL:
                await session.execute(_NO_SORT)
            found = list((await session.execute(stmt)).mappings())
            if branch.tier == Tier.ALL:
                await session.execute(_SORT)
        rows.extend({**row, "tier": branch.tier} for row in found)
        if len(rows) > page.limit:
            break
    if len(rows) <= page.limit:
        return rows, None
    rows = rows[: page.limit]
    last = rows[-1]
    name = last["name_norm"] if last["tier"] == Tier.NAME else ""
    return rows, encode_cursor([int(last["tier"]), name, last["rank_key"], last[target.id.name]])


def sort_columns(target: Target, sort: str) -> list[tuple[ColumnElement, bool]]:
    c = target.c
    if sort in (EstablishmentSort.SIRET, CompanySort.SIREN):
        return [(target.id, False)]
    if sort == EstablishmentSort.NAME:
        return [(func.coalesce(c.name_norm, ""), False), (target.id, False)]
    created = func.coalesce(c.created_on, NO_DATE)
    return [(created, sort == EstablishmentSort.CREATED_ON_DESC), (target.id, False)]


async def sorted_page(session: AsyncSession, target: Target, condition: ColumnElement,
                      conditions: Conditions, sort: str, page: PageParams) -> tuple[list[dict], str | None]:
    columns = sort_columns(target, sort)
    stmt = select(*_columns(target), *[column.label(f"_k{i}") for i, (column, _) in enumerate(columns)])
    stmt = stmt.where(condition, *conditions.all())
    if page.cursor:
        stmt = stmt.where(after(columns, decode_cursor(page.cursor, len(columns))))
    stmt = stmt.order_by(*[column.desc() if desc else column.asc() for column, desc in columns]).limit(page.limit + 1)
    rows = [dict(row) for row in (await session.execute(stmt)).mappings()]
    if len(rows) <= page.limit:
        return rows, None
    rows = rows[: page.limit]
    return rows, encode_cursor([rows[-1][f"_k{i}"] for i in range(len(columns))])


async def facets(session: AsyncSession, target: Target, condition: ColumnElement, conditions: Conditions,
                 names: list[str]) -> tuple[int, dict[str, list[tuple[object, int]]]]:
    """The total and the count of each value of each facet, in one pass over the matches."""
    columns = [target.c[name] for name in names]
    sets = ", ".join([f"({name})" for name in names] + ["()"])
    stmt = (select(*columns, func.count().label("n"), func.grouping(*columns).label("g"))
            .where(condition, *conditions.all()).group_by(text(f"GROUPING SETS ({sets})")))
    total = 0
    counts: dict[str, list[tuple[object, int]]] = {name: [] for name in names}
    everything = (1 << len(names)) - 1
    for row in (await session.execute(stmt)).all():
        grouped = row.g
        if grouped == everything:
            total = row.n
            continue
        for i, name in enumerate(names):
            if grouped == everything & ~(1 << (len(names) - 1 - i)):
                counts[name].append((row[i], row.n))
    for name in names:
        counts[name].sort(key=lambda item: (-item[1], str(item[0])))
    return total, counts


EXPORT_CHUNK = 1000


async def every_row(session: AsyncSession, target: Target, query: Query, terms: NameTerms | None,
                    conditions: Conditions, sort: str, chunk: int = EXPORT_CHUNK) -> AsyncIterator[dict]:
    """Every match, page after page in the search's own order: an export has no ceiling."""
    cursor = None
    condition = matched(target, query, terms)
    while True:
        page = PageParams(limit=chunk, cursor=cursor)
        if sort == "relevance":
            rows, cursor = await relevance_page(session, target, query, terms, conditions, page)
        else:
            rows, cursor = await sorted_page(session, target, condition, conditions, sort, page)
        for row in rows:
            yield row
        if cursor is None:
            return


async def _terms(session: AsyncSession, target: Target, query: Query) -> NameTerms | None:
    if query.kind != QueryKind.NAME:
        return None
    names, _ = await table_statistics(session, COMPANIES)  # the vocabulary counts each company's name once
    _, statistics = await table_statistics(session, target)
    return await name_terms(session, query, names, statistics.get("search_vector"))


@dataclass
class Result:
    rows: list[dict]
    next_cursor: str | None
    total: int | None = None
    facets: dict[str, list[tuple[object, int]]] | None = None


async def search(session: AsyncSession, target: Target, query: Query, filters: Filters, sort: str,
                 page: PageParams, facet_names: list[str]) -> Result:
    await session.execute(_SERIAL, _SERIAL_PARAMETERS)
    terms = await _terms(session, target, query)
    conditions = await filter_conditions(session, target, filters, page.limit + 1)
    if sort == "relevance":
        rows, cursor = await relevance_page(session, target, query, terms, conditions, page)
    else:
        rows, cursor = await sorted_page(session, target, matched(target, query, terms), conditions, sort, page)
    result = Result(rows, cursor)
    if facet_names:  # counting every match is the one scan that gains from both cores
        await session.execute(_PARALLEL)
        result.total, result.facets = await facets(session, target, matched(target, query, terms), conditions,
                                                   facet_names)
    for row in rows:
        row["match"] = match_of(target, query, terms, row)
    return result


def match_of(target: Target, query: Query, terms: NameTerms | None, row: dict) -> str | None:
    """How a row matched the box, for the client to show."""
    if query.kind in (QueryKind.SIRET, QueryKind.SIREN):
        return query.kind.value
    if query.kind == QueryKind.NONE:
        return None
    name = row.get("name_norm") or ""
    if terms and terms.norm and name == terms.norm:
        return "exact_name"
    if terms and terms.norm and name.startswith(terms.norm):
        return "name_prefix"
    return "words"


async def export_rows(session: AsyncSession, target: Target, query: Query, filters: Filters, sort: str
                      ) -> AsyncIterator[dict]:
    await session.execute(_SERIAL, _SERIAL_PARAMETERS)
    terms = await _terms(session, target, query)
    conditions = await filter_conditions(session, target, filters, EXPORT_CHUNK + 1)
    async for row in every_row(session, target, query, terms, conditions, sort):
        yield row
