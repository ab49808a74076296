"""The search box and the ranking, on plain values."""

import pytest

from services.fce.domain.search import (
    HEADCOUNT_BANDS,
    ColumnStatistics,
    ListFilter,
    QueryKind,
    WordFacts,
    WordMatch,
    as_in_table,
    code_problem,
    company_rank,
    driving_words,
    establishment_rank,
    gather_words,
    gathering_cost,
    interpret,
    next_words_walk,
    no_statistics,
    parse_near,
    possible_ranks,
    ranks_decide_bands,
    tsquery_text,
    walk_to_drive,
    word_matches,
    words_ranks,
    words_share,
    words_statistics,
    words_walk_bound,
)


@pytest.mark.parametrize(("typed", "kind", "text"), [
    ("732 829 320 00074", QueryKind.SIRET, "73282932000074"),
    ("732\u00a0829\u00a0320", QueryKind.SIREN, "732829320"),
    ("73282932", QueryKind.NAME, "73282932"),
    ("1664", QueryKind.NAME, "1664"),
    ("  Boulangerie  ", QueryKind.NAME, "Boulangerie"),
    ("", QueryKind.NONE, ""),
    (None, QueryKind.NONE, ""),
])
def test_the_box_tells_identifiers_from_names(typed, kind, text):
    query = interpret(typed)
    assert (query.kind, query.text) == (kind, text)


def test_a_name_ending_with_a_space_has_a_finished_last_word():
    assert interpret("boulangerie dup").prefix_last_word
    assert not interpret("boulangerie dupont ").prefix_last_word


def test_known_words_stay_unknown_words_get_their_corrections_and_the_last_is_a_prefix():
    facts = [
        WordFacts("boulangrie", known=False, prefix_known=False,
                  nearest=(("boulangerie", 0.4), ("boulanger", 0.5), ("orangerie", 0.8))),
        WordFacts("du", known=True, prefix_known=True),
        WordFacts("dup", known=False, prefix_known=True),
    ]
    matches = word_matches(facts, prefix_last_word=True)
    assert [m.alternatives for m in matches] == [("boulangrie", "boulangerie", "boulanger"), ("dup",)]
    assert [m.prefix for m in matches] == [False, True]
    assert tsquery_text(matches) == "('boulangrie' | 'boulangerie' | 'boulanger') & 'dup':*"


def test_a_word_too_far_from_every_indexed_word_matches_nothing_rather_than_anything():
    [match] = word_matches([WordFacts("zzyzx", False, False, (("zola", 0.9),))], prefix_last_word=False)
    assert match.alternatives == ("zzyzx",)


def test_stop_words_only_count_when_nothing_else_is_typed():
    facts = [WordFacts("de", True, True), WordFacts("la", True, True)]
    assert [m.alternatives for m in word_matches(facts, prefix_last_word=False)] == [("de",), ("la",)]
    facts.append(WordFacts("gare", True, True))
    assert [m.alternatives for m in word_matches(facts, prefix_last_word=False)] == [("gare",)]


def test_quotes_in_a_word_cannot_break_the_query():
    [match] = word_matches([WordFacts("l'a\\b", True, True)], prefix_last_word=False)
    assert tsquery_text([match]) == "'l''a\\\\b'"


def test_open_comes_before_closed_then_head_office_then_size():
    ranks = [
        establishment_rank("A", True, "11"),
        establishment_rank("A", True, "01"),
        establishment_rank("A", False, "53"),
        establishment_rank("A", False, None),
        establishment_rank("F", True, "53"),
        establishment_rank("F", False, "NN"),
    ]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
    assert company_rank("A", "NN") < company_rank("C", "53")
    assert company_rank("A", "53") < company_rank("A", "00")


@pytest.mark.parametrize(("kind", "value", "ok"), [
    ("naf", "62.01Z", True), ("naf", "6201Z", False), ("naf_section", "J", True), ("naf_section", "V", False),
    ("commune", "2A004", True), ("commune", "7510", False), ("departement", "974", True),
    ("departement", "2C", False), ("postcode", "75002", True), ("region", "11", True), ("region", "1", False),
    ("epci", "200054781", True), ("headcount_band", "NN", True), ("headcount_band", "99", False),
])
def test_filter_codes_have_their_format(kind, value, ok):
    assert (code_problem(kind, value) is None) is ok


def test_near_takes_a_point_and_a_bounded_radius():
    near = parse_near("48.8566,2.3522", None)
    assert (near.latitude, near.longitude, near.radius_km) == (48.8566, 2.3522, 10.0)
    for bad, radius in (("48.8566", None), ("95,2", None), ("48,2", 0), ("48,2", 500)):
        with pytest.raises(ValueError):
            parse_near(bad, radius)


BANDS = [None, *HEADCOUNT_BANDS]


@pytest.mark.parametrize(("state", "head_office", "bands"), [
    ("A", None, []), ("F", None, []), (None, True, []), ("A", False, ["11", "12", "21"]), (None, None, ["NN"]),
    (None, None, ["53", "00"]),
])
def test_the_possible_ranks_are_exactly_those_of_the_establishments_the_filters_keep(state, head_office, bands):
    ranks = possible_ranks(closed=None if state is None else state == "F", head_office=head_office, bands=bands)
    for s in ("A", "F"):
        for h in (True, False):
            for band in BANDS:
                kept = (state in (None, s) and head_office in (None, h) and (not bands or band in bands))
                rank = establishment_rank(s, h, band)
                if kept:
                    assert rank in ranks
                elif ranks_decide_bands(bands) or band in bands or not bands:
                    # a band of the same size as a kept one ("NN" and none) needs the band condition too
                    assert rank not in ranks or (band is None and "NN" in bands)


def test_companies_ranks_have_no_head_office_part_and_no_filter_means_any_rank():
    assert possible_ranks(closed=False, head_office=None, bands=["53"], companies=True) == [company_rank("A", "53")]
    assert possible_ranks(closed=True, head_office=None, bands=[], companies=True) == [
        company_rank("C", band) for band in reversed(HEADCOUNT_BANDS)]
    assert possible_ranks(closed=None, head_office=None, bands=[]) is None
    assert not ranks_decide_bands(["11", "NN"]) and ranks_decide_bands(["11", "12"])


def test_statistics_give_the_share_of_common_values_and_a_guess_for_the_others():
    stats = ColumnStatistics({"75": 0.05, "13": 0.03}, other=0.001)
    assert stats.share(["75", "13"]) == pytest.approx(0.08)
    assert stats.share(["2A", "2B"]) == pytest.approx(0.002)
    assert no_statistics("departement").share(["2A", "2B"]) == pytest.approx(2 / 101)


def test_a_large_area_with_a_rare_sector_is_walked_by_the_sectors_codes():
    région = ListFilter("departement", values=8, share=0.18)
    rare_section = ListFilter("naf", values=4, share=0.00025)
    assert walk_to_drive([région, rare_section], rows=11_000_000, limit=21, checks_rows=True) == "naf"


def test_a_small_area_with_a_common_sector_is_walked_by_its_départements():
    corse = ListFilter("departement", values=2, share=0.005)
    industry = ListFilter("naf", values=600, share=0.13)
    assert walk_to_drive([corse, industry], rows=11_000_000, limit=21, checks_rows=True) == "departement"


def test_filters_that_keep_most_rows_are_checked_along_the_rank_index_instead_of_walked():
    région = ListFilter("departement", values=13, share=0.18)
    trade = ListFilter("naf", values=300, share=0.17)
    assert walk_to_drive([région, trade], rows=1_000_000, limit=21, checks_rows=True) is None


def test_communes_around_a_point_are_walked_in_the_index_alone_when_no_other_filter_needs_the_rows():
    around = ListFilter("commune_code", values=70, share=0.03)
    assert walk_to_drive([around], rows=1_000_000, limit=21, checks_rows=False) == "commune_code"
    assert walk_to_drive([around], rows=1_000_000, limit=21, checks_rows=True) is None


def test_only_the_rows_of_the_possible_ranks_count_as_read():
    région = ListFilter("departement", values=20, share=0.3)
    section = ListFilter("naf", values=80, share=0.05)
    assert walk_to_drive([région, section], rows=1_000_000, limit=51, checks_rows=True) is None
    assert walk_to_drive([région, section], rows=1_000_000, limit=51, checks_rows=True, ranked=0.05) == "naf"


def test_a_words_share_counts_its_corrections_and_prefixes_and_several_words_are_taken_as_independent():
    facts = [
        WordFacts("boulangrie", False, False, (("boulangerie", 0.4), ("boulanger", 0.5)),
                  {"boulangerie": 300, "boulanger": 100}),
        WordFacts("paris", True, True, (), {"paris": 2000}),
        WordFacts("dup", False, True, (), {"dup": 0}, prefix_frequency=50),
    ]
    matches = word_matches(facts, prefix_last_word=True)
    assert [m.names for m in matches] == [400, 2000, 50]
    assert words_share(matches[:1], names=10_000) == pytest.approx(0.04)
    assert words_share(matches[2:], names=10_000) == pytest.approx(0.005)
    assert words_share(matches, names=10_000) == pytest.approx(0.04 * 0.2 * 0.005)
    assert words_share([], names=10_000) == 0.0


def test_the_index_gathers_whole_words_and_a_prefix_only_when_it_is_the_rarest():
    hamel, perrot, associes = (WordMatch((word,), prefix=word == "associes", names=names, alone={word: names})
                               for word, names in (("hamel", 900), ("perrot", 1_200), ("associes", 189_000)))
    names = 4_000_000
    assert driving_words([hamel, perrot, associes], names) == [hamel, perrot]
    assert driving_words([associes], names) == [associes]
    # A mistyped last word no name starts with costs the index nothing as a prefix: it drives.
    typo = WordMatch(("associiation", "association"), prefix=True, names=250_000,
                     alone={"associiation": 0, "association": 250_000})
    assert driving_words([hamel, typo], names) == [hamel, typo]
    # 'brasserie' as a prefix adds 45,000 entries, and saves reading most of the 31,000 'michel'.
    michel = WordMatch(("micchel", "michel"), names=31_000, alone={"micchel": 0, "michel": 31_000})
    brasserie = WordMatch(("brasserie",), prefix=True, names=45_000, alone={"brasserie": 45_000})
    assert driving_words([michel, brasserie], names) == [michel, brasserie]


def test_two_typos_of_one_word_match_as_often_as_that_word():
    first = WordMatch(("atnilles", "alpilles", "antilles"), names=32_000,
                      alone={"atnilles": 0, "alpilles": 700, "antilles": 31_300})
    second = WordMatch(("antliles", "antilles"), prefix=True, names=31_300, alone={"antliles": 0, "antilles": 31_300})
    assert words_share([first, second], names=4_000_000) == pytest.approx(31_300 / 4_000_000)


def test_rare_words_are_gathered_and_frequent_ones_walked_in_rank_order():
    # 51 rows of 1 M: walking checks 51 / share rows, gathering fetches share × 1 M matches, each
    # costing 2.55 walked rows; they meet near 4,500 matches, where a walk checks 11,400 rows.
    assert words_walk_bound(1_000_000, 51) == 11_404
    assert gather_words(2_300, rows=1_000_000, limit=51)
    assert gather_words(4_000, rows=1_000_000, limit=51)
    assert not gather_words(5_000, rows=1_000_000, limit=51)  # 12,750 to gather, 10,200 rows to walk
    assert not gather_words(25_000, rows=1_000_000, limit=51)
    assert words_walk_bound(10, 51) == 51
    # Two words matching 20 names together, the rarer 20,000 alone: the index gives those 20,000.
    assert gather_words(20, rows=1_000_000, limit=51)
    assert not gather_words(2_000, rows=1_000_000, limit=51, gathered=60_000)


def test_a_walk_for_words_goes_on_as_far_as_the_rows_it_found_need_then_gives_way_to_gathering():
    # 30,000 matches: gathering them costs as much as walking 76,500 rows.
    first = next_words_walk(30_000, rows=1_000_000, limit=51)
    assert first == 11_404
    # 34 of 51 rows found in 11,404: the 17 others need about 5,700 more rows (1.5 times that, to be safe).
    assert next_words_walk(30_000, 1_000_000, 51, read=11_404, found=34, last=first) == 8_604
    # None found: twice as far, while the walks check fewer rows than gathering costs.
    assert next_words_walk(30_000, 1_000_000, 51, read=11_404, found=0, last=first) == 22_808
    assert next_words_walk(30_000, 1_000_000, 51, read=34_212, found=0, last=22_808) is None
    # 14 found: the 37 others need about 30,100 more rows, still less than gathering.
    assert next_words_walk(30_000, 1_000_000, 51, read=11_404, found=14, last=first) == 45_260
    assert next_words_walk(30_000, 1_000_000, 51, read=11_404, found=5, last=first) is None
    # Near the crossover, the first walk goes as far as twice what the frequency says, short of gathering.
    assert next_words_walk(8_000, rows=1_000_000, limit=51) == 12_750
    assert next_words_walk(6_000, rows=1_000_000, limit=51) == 15_300


def test_with_filters_a_frequent_word_in_a_small_area_is_walked_and_a_rare_word_gathered():
    # 11 M rows; a département keeps 3 %. "associes" matches 189,000 names: gathering reads them
    # all from the GIN index, walking the département finds a page in about 51 / 1.7 % = 3,000 rows.
    assert not gather_words(189_000, rows=11_000_000, limit=51, kept=0.03)
    # 600 matches: gathering them costs less than walking the whole département for so few.
    assert gather_words(600, rows=11_000_000, limit=51, kept=0.03)
    # A commune of 2,000 rows is walked whole sooner than 40,000 matches gathered.
    assert not gather_words(40_000, rows=11_000_000, limit=51, kept=2_000 / 11_000_000)


def test_gathering_with_filters_costs_the_words_matches_anywhere_and_the_filters_index():
    # No filter: each match from the GIN index (0.25 of a walked row), then its row (2.3).
    assert gathering_cost(10_000, rows=1_000_000) == pytest.approx(25_500)
    # 64,000 matches, a département of 338,000 rows: the GIN matches, then the département's
    # index ANDed and the rows both keep (cheaper than fetching the 64,000 rows).
    cost = gathering_cost(64_000, rows=11_000_000, kept=338_000 / 11_000_000)
    assert cost == pytest.approx(0.25 * 64_000 + 0.15 * 338_000 + 2.3 * 64_000 * 338_000 / 11_000_000)
    # A walk that found 25 rows of 51 in 4,154 goes on rather than gather at that cost...
    assert next_words_walk(1_970, 338_000, 51, read=4_154, found=25, last=4_154, gather=cost) == 6_532
    # ... but gathers when that costs less than the 4,320 rows the 26 others need.
    assert next_words_walk(1_970, 338_000, 51, read=4_154, found=25, last=4_154, gather=4_000) is None


def test_a_last_word_starting_few_indexed_words_is_searched_as_those_words():
    facts = [WordFacts("michel", True, True, (), {"michel": 300}),
             WordFacts("brass", False, True, (), {"brass": 0}, prefix_frequency=900,
                       prefix_words=("brasserie", "brasseries"))]
    matches = word_matches(facts, prefix_last_word=True)
    assert tsquery_text(matches) == "'michel' & ('brasserie' | 'brasseries')"
    assert matches[1].names == 900 and not matches[1].prefix
    # Too many words start with it (none listed): a prefix.
    many = [facts[0], WordFacts("b", False, True, (), {"b": 0}, prefix_frequency=90_000)]
    assert tsquery_text(word_matches(many, prefix_last_word=True)) == "'michel' & 'b':*"


def test_corrections_are_as_near_as_the_nearest_give_or_take_a_little():
    facts = [WordFacts("scirie", False, False, (("scie", 0.5), ("scierie", 0.5), ("sci", 0.625)),
                       {"scie": 36, "scierie": 42_000, "sci": 504_000})]
    assert word_matches(facts, prefix_last_word=False)[0].alternatives == ("scirie", "scie", "scierie")


# Companies per rank at 11 M (4.2 M): few large ones at the best ranks, most without employees.
RANKS_11M = ColumnStatistics({str(rank): count / 4_200_000 for rank, count in {
    0: 452, 1: 710, 2: 1_823, 3: 4_603, 4: 7_317, 5: 14_739, 6: 22_515, 7: 44_336, 8: 73_436, 9: 146_365,
    10: 184_041, 11: 257_076, 12: 331_534, 13: 502_154, 14: 316_422, 15: 1_787_227, 79: 504_110}.items()}, 0.0)


def test_a_word_of_thousands_of_names_is_looked_for_in_the_best_ranks_first():
    # 'reunion': 9,400 companies of 4.2 M; 204 expected in ranks 0-7 (96,000 companies), whose
    # index entries cost less than the 23,000 rows a walk would check or the 9,400 gathered.
    assert words_ranks(9_400, 9_400, 4_200_000, 51, RANKS_11M) == 7
    # Deeper pages: from the cursor's rank on.
    assert words_ranks(9_400, 9_400, 4_200_000, 51, RANKS_11M, first=9) == 9


def test_rare_and_very_frequent_words_are_not_looked_for_by_ranks():
    # 300 matches: ranks holding 204 of them are most of the registry; gathering the 300 costs less.
    assert words_ranks(300, 300, 4_200_000, 51, RANKS_11M) is None
    # 120,000 matches: a walk finds 51 in 1,800 rows, where the index would read all 120,000.
    assert words_ranks(120_000, 120_000, 4_200_000, 51, RANKS_11M) is None
    # The last rank left: nothing is saved.
    assert words_ranks(9_400, 9_400, 4_200_000, 51, RANKS_11M, first=79) is None


def test_the_searched_tables_statistics_of_its_words_correct_the_vocabularys_frequencies():
    # PostgreSQL lists a tsvector's most common words with their shares, then the least and the most.
    words = words_statistics(["sarl", "touraine"], [0.05, 0.0041, 0.0041, 0.05])
    assert words == ColumnStatistics({"sarl": 0.05, "touraine": 0.0041}, 0.0041)
    # 'touraine' typed as a prefix: 3,400 of 390,000 names in the vocabulary, 0.41 % of the
    # establishments; 'tourainelle' (in the vocabulary only) is at most as frequent as the least listed.
    typed = WordFacts("touraine", True, True, (), {"touraine": 3_400, "tourainelle": 2_000}, 3_420)
    corrected = as_in_table(typed, words, names=390_000)
    assert corrected.frequencies == {"touraine": 1_599, "tourainelle": 1_599}
    assert corrected.prefix_frequency == round(3_420 * 1_599 / 3_400)
    assert as_in_table(typed, None, names=390_000) == typed
