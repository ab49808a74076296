"""The search box and the ranking, on plain values."""

import pytest

from services.fce.domain.search import (
    QueryKind,
    WordFacts,
    code_problem,
    company_rank,
    establishment_rank,
    interpret,
    parse_near,
    tsquery_text,
    word_matches,
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
