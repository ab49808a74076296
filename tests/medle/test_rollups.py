"""The monthly rollups the reports read are kept by triggers: they must always equal a recount."""

from sqlalchemy import text

from tests.medle.conftest import ADMIN, OPERATOR_A, OPERATOR_B, create, custody_act, paris, victim_act
from tests.medle.test_reports import FIRST, SECOND, _day

COUNTS = "SELECT * FROM act_counts WHERE acts > 0 ORDER BY month, hospital_id, profile"
PVS = "SELECT hospital_id, pv_number, acts FROM pv_counts WHERE acts > 0 ORDER BY 1, 2"
SIZES = "SELECT month, hospital_id, size, pvs FROM pv_sizes WHERE pvs <> 0 ORDER BY 1, 2, 3"


async def _snapshot(conn):
    return [[tuple(r) for r in (await conn.execute(text(query))).all()] for query in (COUNTS, PVS, SIZES)]


async def test_the_rollups_always_equal_a_recount_of_the_acts(medle, auth, world, connection_for):
    police = world.police["id"]
    a = (await create(medle, auth, OPERATOR_A, custody_act("R1", _day(FIRST, 1), asker_id=police,
                                                           pv_number="PV-1"))).json()
    b = (await create(medle, auth, OPERATOR_A, victim_act("R2", _day(FIRST, 2), asker_id=police, pv_number="PV-1",
                                                          itt_days=12))).json()
    await medle.post("/v1/acts:batch", json={"acts": [
        custody_act(f"R-{n}", _day(SECOND, 1 + n % 3), asker_id=police, pv_number=f"PV-{n % 2}") for n in range(6)]},
        headers=auth(**OPERATOR_A))
    await create(medle, auth, OPERATOR_B, custody_act("R1", _day(FIRST, 1), asker_id=police, pv_number="PV-1"))
    # an act moves month, profile and PV; another is deleted; the weighting changes
    await medle.patch(f"/v1/acts/{a['id']}", json={"examined_at": paris(_day(SECOND, 2)), "pv_number": "PV-9"},
                      headers=auth(**OPERATOR_A))
    await medle.patch(f"/v1/acts/{b['id']}", json={"itt_days": None, "examinations": ["toxicologie"]},
                      headers=auth(**OPERATOR_A))
    await medle.delete(f"/v1/acts/{b['id']}", headers=auth(**OPERATOR_A))
    await medle.put("/v1/weighting", json={"weightings": [{"profile": "garde_a_vue", "act_type": "somatique",
                                                           "minutes": 33}]}, headers=auth(**ADMIN))

    conn = await connection_for("medle")
    kept = await _snapshot(conn)
    await conn.execute(text("SELECT medle.rebuild_act_rollups()"))
    assert await _snapshot(conn) == kept
    counts, pvs, sizes = kept
    assert sum(row[3] for row in counts) == 8  # 2 + 6 + 1 acts, one deleted
    assert (world.lille["id"], "PV-1", 3) in pvs  # R-5 (R1 moved to PV-9, R2 deleted)
    assert sum(row[3] for row in sizes) == len(pvs)  # every PV in one size, once
