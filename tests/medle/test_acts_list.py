import csv
import datetime as dt
import io

from openpyxl import load_workbook

from tests.medle.conftest import (
    ADMIN,
    MINISTRY,
    OPERATOR_A,
    OPERATOR_B,
    create,
    custody_act,
    last_weekday,
    paris,
    victim_act,
)


async def _seed(medle, auth, world):
    """Five Lille acts on five days, one Bordeaux act."""
    evry = (await medle.post("/v1/askers", json={"name": "Gendarmerie d'Évry-Courcouronnes", "type": "gendarmerie"},
                             headers=auth(**ADMIN))).json()
    days = [last_weekday(1) - dt.timedelta(days=7 * n) for n in range(5)]
    bodies = [
        custody_act("L-1", days[0], asker_id=world.police["id"], pv_number="PV-100"),
        custody_act("L-2", days[1], asker_id=world.police["id"], pv_number="PV-100"),
        victim_act("L-3", days[2], asker_id=evry["id"], pv_number="PV-200", examinations=["toxicologie"]),
        victim_act("L-4", days[3], sans_plainte=True, violence_natures=["attentat"], attack="Attentat de Nîmes"),
        {**custody_act("L-5", days[4], asker_id=world.prosecutor["id"]), "act_types": ["somatique", "psychiatrique"]},
    ]
    ids = [(await create(medle, auth, OPERATOR_A, body)).json()["id"] for body in bodies]
    await create(medle, auth, OPERATOR_B, custody_act("B-1", days[0], asker_id=world.police["id"]))
    return ids, days, evry


async def _numbers(medle, auth, account=OPERATOR_A, **params) -> list[str]:
    r = await medle.get("/v1/acts", params=params, headers=auth(**account))
    assert r.status_code == 200, r.text
    return [a["internal_number"] for a in r.json()["items"]]


async def test_the_list_shows_the_callers_hospital_most_recent_first(medle, auth, world):
    await _seed(medle, auth, world)
    assert await _numbers(medle, auth) == ["L-1", "L-2", "L-3", "L-4", "L-5"]
    assert await _numbers(medle, auth, sort="examined_at") == ["L-5", "L-4", "L-3", "L-2", "L-1"]
    assert await _numbers(medle, auth, OPERATOR_B) == ["B-1"]


async def test_the_list_pages_with_a_cursor_and_a_link_header(medle, auth, world):
    await _seed(medle, auth, world)
    seen, params = [], {"limit": 2}
    while True:
        r = await medle.get("/v1/acts", params=params, headers=auth(**OPERATOR_A))
        seen += [a["internal_number"] for a in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            assert "link" not in r.headers
            break
        assert 'rel="next"' in r.headers["link"]
        params = {"limit": 2, "cursor": cursor}
    assert seen == ["L-1", "L-2", "L-3", "L-4", "L-5"]


async def test_a_forged_cursor_is_a_422(medle, auth, world):
    r = await medle.get("/v1/acts", params={"cursor": "not-a-cursor"}, headers=auth(**OPERATOR_A))
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "cursor"]


async def test_the_list_filters_by_every_criterion_of_the_spec(medle, auth, world):
    _, days, evry = await _seed(medle, auth, world)
    assert await _numbers(medle, auth, profile="victime_vivante") == ["L-3", "L-4"]
    assert await _numbers(medle, auth, act_type="psychiatrique") == ["L-5"]
    assert await _numbers(medle, auth, pv_number="PV-100") == ["L-1", "L-2"]
    assert await _numbers(medle, auth, internal_number="L-3") == ["L-3"]
    assert await _numbers(medle, auth, asker_id=[evry["id"], world.prosecutor["id"]]) == ["L-3", "L-5"]
    assert await _numbers(medle, auth, **{"from": days[3].isoformat(), "to": days[1].isoformat()}) == [
        "L-2", "L-3", "L-4"]
    assert await _numbers(medle, auth, sans_plainte="true") == ["L-4"]
    assert await _numbers(medle, auth, period_of_day="jour_ouvrable", profile="garde_a_vue") == ["L-1", "L-2", "L-5"]
    assert await _numbers(medle, auth, ADMIN, hospital_id=world.bordeaux["id"]) == ["B-1"]
    # Asking for another hospital's acts gives none of them.
    assert await _numbers(medle, auth, hospital_id=world.bordeaux["id"]) == []


async def test_free_text_ignores_accents_and_case(medle, auth, world):
    await _seed(medle, auth, world)
    assert await _numbers(medle, auth, q="nimes") == ["L-4"]  # the named attack
    assert await _numbers(medle, auth, q="EVRY") == ["L-3"]  # the asker's name
    assert await _numbers(medle, auth, q="pv-1") == ["L-1", "L-2"]
    assert await _numbers(medle, auth, q="100%") == []  # a wildcard typed is a character


async def test_an_unknown_filter_value_is_named(medle, auth, world):
    r = await medle.get("/v1/acts", params={"profile": "witness"}, headers=auth(**OPERATOR_A))
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "profile", 0]


async def test_the_export_streams_every_matching_act_as_csv(medle, auth, world):
    await _seed(medle, auth, world)
    r = await medle.get("/v1/acts:export", params={"format": "csv", "profile": "garde_a_vue"},
                        headers=auth(**OPERATOR_A))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["internal_number"] for row in rows] == ["L-5", "L-2", "L-1"]
    assert rows[0]["act_types"] == "somatique, psychiatrique"
    assert rows[0]["asker"] == "Parquet de Bordeaux"
    assert {row["hospital_finess"] for row in rows} == {world.lille["finess"]}


async def test_the_export_opens_in_french_excel_and_as_xlsx(medle, auth, world):
    await _seed(medle, auth, world)
    excel = await medle.get("/v1/acts:export", params={"format": "csv", "excel": "true"}, headers=auth(**OPERATOR_A))
    assert excel.content.startswith("\ufeff".encode()) and ";" in excel.text.splitlines()[0]
    xlsx = await medle.get("/v1/acts:export", params={"format": "xlsx"}, headers=auth(**OPERATOR_A))
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("id", "hospital_id", "hospital_finess", "internal_number") and len(rows) == 6


async def test_the_export_is_csv_or_xlsx_and_only_of_readable_hospitals(medle, auth, world):
    await _seed(medle, auth, world)
    r = await medle.get("/v1/acts:export", params={"format": "json"}, headers=auth(**OPERATOR_A))
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "format"]
    other = await medle.get("/v1/acts:export", params={"format": "csv"}, headers=auth(**OPERATOR_B))
    assert [row["internal_number"] for row in csv.DictReader(io.StringIO(other.text))] == ["B-1"]
    assert (await medle.get("/v1/acts:export", params={"format": "csv"}, headers=auth(**MINISTRY))).status_code == 403
    assert (await medle.get("/v1/acts:export", params={"format": "csv"})).status_code == 401


async def test_an_export_is_audited(medle, auth, world, connection_for):
    from sqlalchemy import text

    await medle.get("/v1/acts:export", params={"format": "csv", "profile": "garde_a_vue"}, headers=auth(**OPERATOR_A))
    conn = await connection_for("medle")
    row = (await conn.execute(text("SELECT actor, after FROM audit_log WHERE action = 'export'"))).one()
    assert row[0] == OPERATOR_A["sub"] and row[1]["filters"]["profiles"] == ["garde_a_vue"]


async def test_overseas_acts_are_dated_on_their_own_clock(medle, auth, world):
    admin = auth(**ADMIN)
    from tests.medle.conftest import finess

    guadeloupe = (await medle.post("/v1/hospitals", json={
        "finess": finess("97010001"), "name": "CHU de Guadeloupe", "commune": "97120", "kind": "umj"},
        headers=admin)).json()
    day = last_weekday(2)
    # 02:30 in Paris is 21:30 the evening before in Pointe-à-Pitre.
    body = custody_act("G-1", asker_id=world.police["id"]) | {"examined_at": paris(day, 2, 30)}
    r = await create(medle, auth, ADMIN, body, hospital_id=guadeloupe["id"])
    assert r.status_code == 201, r.text
    assert r.json()["examined_on"] == (day - dt.timedelta(days=1)).isoformat()
    assert r.json()["period_of_day"] == "soiree"
