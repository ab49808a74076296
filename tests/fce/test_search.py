"""Search of establishments and companies: the q box, filters, ranking, pages, facets."""

import pytest

from services.fce.domain import search as search_rules
from services.fce.domain.search import ColumnStatistics, establishment_rank
from services.fce.repository import search as searching
from shared.referentials import great_circle_km
from tests.fce.conftest import Named


async def search(client, headers, **params):
    response = await client.get("/v1/establishments/search", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def sirets(page):
    return [item["siret"] for item in page["items"]]


async def test_a_siret_typed_with_spaces_finds_its_establishment(fce, agent):
    siret = Named.dupont_marseille
    spaced = f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    page = await search(fce, agent, q=spaced)
    assert sirets(page) == [siret]
    assert page["items"][0]["match"] == "siret"


async def test_a_siren_finds_the_establishments_head_office_first_and_closed_last(fce, agent):
    page = await search(fce, agent, q=Named.dupont)
    assert sirets(page) == [Named.dupont_paris, Named.dupont_marseille, Named.dupont_lyon]


async def test_a_name_typed_without_accents_and_with_a_typo_is_found(fce, agent):
    page = await search(fce, agent, q="patiserie eclair")
    assert page["items"][0]["company_name"] == "PÂTISSERIE ÉCLAIR DE LUMIÈRE"
    assert page["items"][0]["match"] == "words"


async def test_a_name_prefix_as_the_user_types_finds_the_company(fce, agent):
    page = await search(fce, agent, q="boulangerie verm")
    assert page["items"][0]["siret"] == Named.dupont_paris
    assert page["items"][0]["match"] == "name_prefix"


async def test_words_in_another_order_are_found_after_the_exact_and_prefix_names(fce, agent):
    page = await search(fce, agent, q="vermandois", limit=100)
    matches = [(item["company_name"], item["match"]) for item in page["items"]]
    assert ("VERMANDOIS ET FILS", "name_prefix") in matches
    assert ("BOULANGERIE VERMANDOIS", "words") in matches
    order = [match for _, match in matches]
    assert order == sorted(order, key=["exact_name", "name_prefix", "words"].index)


async def test_the_exact_name_comes_first(fce, agent):
    page = await search(fce, agent, q="La Poste")
    assert page["items"][0]["match"] == "exact_name"
    assert page["items"][0]["siret"] == Named.la_poste_head_office


async def test_an_enseigne_is_searched_too(fce, agent):
    page = await search(fce, agent, q="au bon pain")
    assert Named.dupont_paris in sirets(page)


async def test_filters_combine(fce, agent):
    page = await search(fce, agent, q="vermandois", departement="13")
    assert sirets(page) == [Named.dupont_marseille]
    page = await search(fce, agent, q="vermandois", region="84", state="F")  # Auvergne-Rhône-Alpes: Lyon
    assert sirets(page) == [Named.dupont_lyon]
    page = await search(fce, agent, q="vermandois", region="84", state="A")
    assert sirets(page) == []
    page = await search(fce, agent, q="vermandois", head_office="true", naf="10.71C")
    assert sirets(page) == [Named.dupont_paris]


async def test_place_filters_by_commune_postcode_epci_and_distance(fce, agent):
    toulouse = {Named.fils, Named.moreau}
    checks = {
        "commune": ({"commune": "31555"}, lambda item: item["address"]["commune_code"] == "31555"),
        "postcode": ({"postcode": "31000"}, lambda item: item["address"]["postcode"] == "31000"),
        "epci": ({"epci": "243100518"}, lambda item: item["epci"] == "243100518"),
        "near": ({"near": "43.6045,1.4440", "radius_km": "3"},
                 lambda item: great_circle_km(43.6045, 1.4440, item["latitude"], item["longitude"]) <= 3),
    }
    for name, (params, holds) in checks.items():
        page = await search(fce, agent, limit=1000, **params)
        assert all(holds(item) for item in page["items"]), name
        assert toulouse <= {s[:9] for s in sirets(page)}, name
    page = await search(fce, agent, q="tolosane", near="43.6045,1.4440", radius_km="5")
    assert [s[:9] for s in sirets(page)] == [Named.moreau]
    page = await search(fce, agent, q="tolosane", near="48.8566,2.3522", radius_km="50")
    assert sirets(page) == []


async def test_social_economy_and_employer_filters(fce, agent):
    page = await search(fce, agent, q="garonne", ess="true")
    assert [s[:9] for s in sirets(page)] == [Named.tilleuls]
    page = await search(fce, agent, q="marielle durantaye", employer="false")
    assert [s[:9] for s in sirets(page)] == [Named.durand]


async def test_pages_go_beyond_one_page_without_duplicates_or_gaps(fce, agent):
    seen, cursor, pages = [], None, 0
    while True:
        params = {"state": "A", "limit": 200, **({"cursor": cursor} if cursor else {})}
        page = await search(fce, agent, **params)
        seen += sirets(page)
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    total = (await search(fce, agent, state="A", facets="state", limit=1))["total"]
    assert pages > 1
    assert len(seen) == len(set(seen)) == total


async def test_pages_of_a_name_search_cross_tiers_without_duplicates(fce, agent):
    everything = sirets(await search(fce, agent, q="vermandois", limit=1000))
    seen, cursor = [], None
    while True:
        page = await search(fce, agent, q="vermandois", limit=2, **({"cursor": cursor} if cursor else {}))
        seen += sirets(page)
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(everything) > 2
    assert seen == everything


async def test_facets_add_up_to_the_total(fce, agent):
    page = await search(fce, agent, facets="departement,naf_section,headcount_band,state", limit=1)
    total = page["total"]
    assert total >= 1500
    for name, values in page["facets"].items():
        assert sum(v["count"] for v in values) == total, name


async def test_facets_count_the_search_not_the_registry(fce, agent):
    page = await search(fce, agent, q="vermandois", facets="departement")
    counts = {v["value"]: v["count"] for v in page["facets"]["departement"]}
    assert counts["13"] == 1 and counts["69"] == 1
    assert sum(counts.values()) == page["total"]


async def test_facet_values_come_with_their_names(fce, agent):
    page = await search(fce, agent, q="vermandois", facets="departement,region,naf_section,naf,headcount_band,state",
                        limit=1)
    labels = {name: {v["value"]: v["label"] for v in values} for name, values in page["facets"].items()}
    assert labels["departement"]["13"] == "Bouches-du-Rhône" and labels["region"]["93"] == "Provence-Alpes-Côte d'Azur"
    assert labels["state"]["A"] == "Actif"
    for name in ("naf_section", "naf", "headcount_band"):
        assert all(label for value, label in labels[name].items() if value is not None), name


async def test_sort_by_siret_is_in_siret_order(fce, agent):
    page = await search(fce, agent, sort="siret", limit=50)
    assert sirets(page) == sorted(sirets(page))


async def test_an_unknown_sort_or_facet_is_refused_naming_it(fce, agent):
    response = await fce.get("/v1/establishments/search", params={"sort": "random()"}, headers=agent)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "sort"]
    response = await fce.get("/v1/establishments/search", params={"facets": "password"}, headers=agent)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "facets"]


async def test_an_invalid_siret_in_the_box_is_a_422_saying_why(fce, agent):
    response = await fce.get("/v1/establishments/search", params={"q": "732 829 320 00075"}, headers=agent)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["loc"] == ["query", "q"] and "check digit" in error["msg"]


async def test_invalid_filter_codes_are_refused_naming_the_parameter(fce, agent):
    response = await fce.get("/v1/establishments/search",
                             params={"naf": "6201", "departement": "XX", "near": "north"}, headers=agent)
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["errors"]} == {
        ("query", "naf"), ("query", "departement"), ("query", "near")}


async def test_companies_are_searched_by_name_and_filtered_by_their_head_office(fce, agent):
    response = await fce.get("/v1/companies/search", params={"q": "vermandois", "departement": "75"}, headers=agent)
    assert response.status_code == 200
    assert [item["siren"] for item in response.json()["items"]] == [Named.dupont]
    response = await fce.get("/v1/companies/search", params={"q": Named.dupont_lyon}, headers=agent)
    assert [item["siren"] for item in response.json()["items"]] == [Named.dupont]


async def test_company_facets_add_up(fce, agent):
    response = await fce.get("/v1/companies/search", params={"facets": "state,legal_category", "limit": 1},
                             headers=agent)
    page = response.json()
    for values in page["facets"].values():
        assert sum(v["count"] for v in values) == page["total"]


async def test_partner_clients_may_search(fce, partner):
    page = await search(fce, partner, q="la poste")
    assert page["items"]


async def test_searching_needs_a_token_and_an_agent_or_client(fce, reporter, auth):
    assert (await fce.get("/v1/establishments/search")).status_code == 401
    assert (await fce.get("/v1/establishments/search", headers=reporter)).status_code == 403
    no_scope = auth("agent-2", scopes=[], roles=["fce:agent"])
    assert (await fce.get("/v1/companies/search", headers=no_scope)).status_code == 403


async def test_a_misspelt_filter_is_a_422_naming_it_not_a_search_of_all_france(fce, agent):
    response = await fce.get("/v1/establishments/search", params={"department": "75", "q": "boulangerie"},
                             headers=agent)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["query", "department"]
    assert "not a parameter" in error["msg"] and "departement" in error["msg"]
    response = await fce.get("/v1/companies/export", params={"format": "csv", "nafs": "62.01Z"}, headers=agent)
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["query", "nafs"]


async def test_the_caller_is_checked_before_the_parameters(fce, reporter):
    wrong = {"q": "123 456 789 00000", "department": "75"}  # an invalid SIRET and an unknown parameter
    assert (await fce.get("/v1/establishments/search", params=wrong)).status_code == 401
    assert (await fce.get("/v1/establishments/search", params=wrong, headers=reporter)).status_code == 403
    assert (await fce.get("/v1/establishments/12345678900000")).status_code == 401


async def every_item(client, headers, **params):
    """Every match of a search, page after page."""
    items, cursor = [], None
    while True:
        page = await search(client, headers, limit=1000, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def in_rank_order(items):
    """Open before closed, head office first, bigger first (fce.md §2), then SIRET."""
    return sorted(items, key=lambda item: (
        establishment_rank(item["state"], item["head_office"], item["headcount"]["band"]), item["siret"]))


async def pages_of(client, headers, limit, **params):
    seen, cursor = [], None
    while True:
        page = await search(client, headers, limit=limit, **params, **({"cursor": cursor} if cursor else {}))
        seen += sirets(page)
        cursor = page["next_cursor"]
        if not cursor:
            return seen


def walking(monkeypatch, walk):
    """Make the search read the registry by this walk (or the rank index), whatever the statistics say."""
    monkeypatch.setattr(searching, "walk_to_drive", lambda *args, **kwargs: walk)


@pytest.mark.parametrize("walk", [None, "region", "naf_section"])
async def test_filters_only_give_the_right_rows_in_rank_order_whichever_index_is_read(fce, agent, monkeypatch,
                                                                                       walk):
    filters = {"region": ["84", "11"], "naf_section": ["G", "C", "F"], "state": "A"}
    everywhere = await every_item(fce, agent, region=["84", "11"])
    expected = [item["siret"] for item in in_rank_order(everywhere)
                if item["activity"]["naf_section"] in filters["naf_section"] and item["state"] == "A"]
    walking(monkeypatch, walk)
    seen = await pages_of(fce, agent, 7, **filters)
    assert len(expected) > 14
    assert seen == expected


@pytest.mark.parametrize("walk", [None, "region", "naf_section"])
async def test_a_rare_sector_with_sizes_over_a_large_area_finds_its_few_rows(fce, agent, monkeypatch, walk):
    bands = ["00", "01", "02", "NN"]
    everywhere = await every_item(fce, agent, region=["84", "11", "76"])
    expected = [item["siret"] for item in in_rank_order(everywhere)
                if item["activity"]["naf_section"] == "K" and item["headcount"]["band"] in bands
                and not item["head_office"]]
    walking(monkeypatch, walk)
    seen = await pages_of(fce, agent, 2, region=["84", "11", "76"], naf_section="K", headcount_band=bands,
                          head_office="false")
    assert expected and seen == expected


@pytest.mark.parametrize("walk", [None, "commune_code"])
async def test_near_with_hundreds_of_communes_gives_every_row_within_the_radius_in_rank_order(fce, agent,
                                                                                              monkeypatch, walk):
    everywhere = await every_item(fce, agent)
    expected = [item["siret"] for item in in_rank_order(everywhere)
                if item["latitude"] is not None and item["state"] == "A"
                and great_circle_km(43.6045, 1.4440, item["latitude"], item["longitude"]) <= 150]
    walking(monkeypatch, walk)
    seen = await pages_of(fce, agent, 5, near="43.6045,1.4440", radius_km="150", state="A")
    assert len(expected) > 10
    assert seen == expected


@pytest.mark.parametrize("walk", [None, "departement"])
async def test_a_name_with_filters_walked_by_départements_keeps_its_tiers(fce, agent, monkeypatch, walk):
    expected = [item["siret"] for item in (await search(fce, agent, q="vermandois", limit=1000))["items"]
                if item["departement"] in ("13", "69", "31")]
    walking(monkeypatch, walk)
    assert await pages_of(fce, agent, 1, q="vermandois", departement=["13", "69", "31"]) == expected
    assert len(expected) == 3


def reading_words(monkeypatch, gather: bool, walks: list[int] | None = None, ranks: int | None = None):
    """Make the words tier gather its matches, or walk the rank index (walks checking so many rows
    each, then gather), whatever the words' frequency says; with `ranks`, look first in the best
    ranks, from the first one left to `ranks` further."""
    def words_ranks(expected, gathered, rows, limit, statistics, first=None):
        return None if ranks is None else (first or 0) + ranks

    monkeypatch.setattr(searching, "words_ranks", words_ranks)
    monkeypatch.setattr(searching, "gather_words", lambda *args, **kwargs: gather)
    if walks is not None:
        def next_walk(expected, rows, limit, read=0, found=0, last=0, gather=None):
            done = [sum(walks[:i]) for i in range(len(walks))]
            return walks[done.index(read)] if read in done else None
        monkeypatch.setattr(searching, "next_words_walk", next_walk)


@pytest.mark.parametrize(("gather", "walks"), [(True, None), (False, [10**9]), (False, [3]), (False, [2, 4, 8])])
@pytest.mark.parametrize("q", ["de", "sci", "fils", "vermandois", "vermandois fi"])
async def test_pages_of_a_word_are_the_same_whether_its_matches_are_gathered_or_walked(fce, agent, monkeypatch,
                                                                                       q, gather, walks):
    # "de" has many rows in both tiers, "sci" starts nearly every name holding it (a sparse words tier).
    reading_words(monkeypatch, gather=False, walks=[10**9])
    everything = (await search(fce, agent, q=q, limit=1000))["items"]
    words = [item for item in everything if item["match"] == "words"]
    assert words and [item["siret"] for item in words] == [item["siret"] for item in in_rank_order(words)]
    reading_words(monkeypatch, gather, walks)
    assert (await search(fce, agent, q=q, limit=1000))["items"] == everything
    assert await pages_of(fce, agent, 7, q=q) == [item["siret"] for item in everything]


@pytest.mark.parametrize("ranks", [0, 1, 3, 40])
@pytest.mark.parametrize("q", ["de", "sci", "vermandois"])
async def test_pages_of_a_word_looked_for_in_the_best_ranks_first_are_the_same(fce, agent, monkeypatch, q, ranks):
    reading_words(monkeypatch, gather=True)
    everything = (await search(fce, agent, q=q, limit=1000))["items"]
    reading_words(monkeypatch, gather=False, walks=[2, 4, 8], ranks=ranks)
    assert (await search(fce, agent, q=q, limit=1000))["items"] == everything
    assert await pages_of(fce, agent, 7, q=q) == [item["siret"] for item in everything]


async def test_the_best_ranks_read_first_include_those_too_rare_for_the_statistics(fce, agent, monkeypatch):
    reading_words(monkeypatch, gather=True)
    everything = (await search(fce, agent, q="de", limit=1000))["items"]
    monkeypatch.undo()
    # The statistics list only the common ranks; the best ones, held by few rows, may be missing.
    listed = searching.table_statistics

    async def without_the_best_ranks(session, target):
        rows, columns = await listed(session, target)
        ranks = columns["rank_key"]
        best = sorted(ranks.common, key=int)[:2]
        kept = {rank: share for rank, share in ranks.common.items() if rank not in best}
        return rows, {**columns, "rank_key": ColumnStatistics(kept, ranks.other)}

    chosen = []

    def words_ranks(*args, **kwargs):
        chosen.append(search_rules.words_ranks(*args, **kwargs))
        return chosen[-1]

    monkeypatch.setattr(searching, "table_statistics", without_the_best_ranks)
    monkeypatch.setattr(searching, "words_ranks", words_ranks)
    for cost in ("RANKED_MATCH_COST", "RANK_ENTRY_COST", "RANKED_ROW_COST"):
        monkeypatch.setattr(search_rules, cost, 0.0)  # the best ranks first, whatever the words
    assert await pages_of(fce, agent, 7, q="de") == [item["siret"] for item in everything]
    assert any(rank is not None for rank in chosen)


FILTERS = {
    "one département": ({"departement": "13"}, lambda item: item["departement"] == "13"),
    "three départements, open": ({"departement": ["13", "69", "75"], "state": "A"},
                                 lambda item: item["departement"] in ("13", "69", "75") and item["state"] == "A"),
    "a région and a sector": ({"region": "84", "naf_section": ["G", "C"]},
                              lambda item: item["region"] == "84" and item["activity"]["naf_section"] in ("G", "C")),
}


@pytest.mark.parametrize(("gather", "walks"), [(True, None), (False, [10**9]), (False, [3]), (False, [2, 4, 8])])
@pytest.mark.parametrize("filtered", list(FILTERS))
@pytest.mark.parametrize("q", ["de", "sci"])
async def test_pages_of_a_word_with_filters_are_its_matches_the_filters_keep_however_read(
        fce, agent, monkeypatch, q, filtered, gather, walks):
    params, keeps = FILTERS[filtered]
    everything = (await search(fce, agent, q=q, limit=1000))["items"]
    expected = [item["siret"] for item in everything if keeps(item)]
    reading_words(monkeypatch, gather, walks)
    assert len(expected) > 2 and await pages_of(fce, agent, 2, q=q, **params) == expected


async def test_company_pages_of_a_word_are_the_same_whether_gathered_or_walked(fce, agent, monkeypatch):
    async def companies(**params):
        seen, cursor = [], None
        while True:
            response = await fce.get("/v1/companies/search", params={**params, **(
                {"cursor": cursor} if cursor else {})}, headers=agent)
            page = response.json()
            seen += [item["siren"] for item in page["items"]]
            if not (cursor := page["next_cursor"]):
                return seen

    reading_words(monkeypatch, gather=True)
    gathered = await companies(q="de", limit=5)
    reading_words(monkeypatch, gather=False, walks=[4, 8])
    assert len(gathered) > 10 and await companies(q="de", limit=5) == gathered
    reading_words(monkeypatch, gather=False, walks=[4, 8], ranks=2)
    assert await companies(q="de", limit=5) == gathered
