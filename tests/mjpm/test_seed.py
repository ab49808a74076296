from sqlalchemy import text

from services.mjpm.domain.enums import Role
from services.mjpm.seed import DEMO_ACCOUNTS, EDITOR_CLIENT_ID, seed
from tests.mjpm.conftest import LILLE


async def test_the_demo_seed_fills_every_state_and_lets_the_demo_judge_work(db, mjpm, auth):
    await seed(db)
    await db.flush()
    counts = dict((await db.execute(text("SELECT status, count(*) FROM measures GROUP BY status"))).all())
    assert set(counts) == {"en_attente", "en_cours", "eteinte", "annulee"} and sum(counts.values()) == 20_000
    assert await db.scalar(text("SELECT count(*) FROM managers")) == 500
    assert await db.scalar(text("SELECT count(DISTINCT departement) FROM managers")) >= 5
    assert await db.scalar(text("SELECT count(*) FROM antennas")) > 0
    counters = (await db.execute(text("SELECT sum(in_progress), sum(reserved) FROM managers"))).one()
    assert tuple(counters) == (counts["en_cours"], counts["en_attente"])
    linked = set((await db.execute(text("SELECT sub FROM memberships"))).scalars())
    assert linked >= {a["sub"] for a in DEMO_ACCOUNTS if a["sub"] not in ("mjpm-demo-ministry", "mjpm-demo-admin")}
    assert EDITOR_CLIENT_ID in linked
    assert {r for a in DEMO_ACCOUNTS for r in a["roles"]} == {r.value for r in Role}

    judge = next(a for a in DEMO_ACCOUNTS if a["sub"] == "mjpm-demo-judge")
    headers = auth(judge["sub"], scopes=judge["scopes"], roles=judge["roles"])
    match = (await mjpm.get("/v1/managers/match", params={"commune": LILLE}, headers=headers)).json()
    assert match["items"]
    response = await mjpm.post("/v1/measures:reserve", headers=headers, json={
        "rg": "25/99999", "manager_id": match["items"][0]["manager_id"], "nature": "tutelle"})
    assert response.status_code == 201, response.text
