from sqlalchemy import text

from services.medle import seed as demo
from shared.ids import finess_problem, siret_problem

ROLES = {"medle:admin", "medle:hospital_admin", "medle:operator", "medle:regional", "medle:report"}


async def test_the_demo_seed_loads_valid_hospitals_acts_staffing_and_tariffs(connection_for):
    from sqlalchemy.ext.asyncio import AsyncSession

    conn = await connection_for("medle")
    async with AsyncSession(bind=conn, join_transaction_mode="create_savepoint") as session:
        async with session.begin():
            await demo.seed(session, acts=600)
    hospitals = (await conn.execute(text("SELECT finess, siret, region FROM hospitals"))).all()
    assert len(hospitals) == 12 and len({r for _, _, r in hospitals}) >= 10
    assert all(finess_problem(f) is None for f, _, _ in hospitals)
    assert all(siret_problem(s) is None for _, s, _ in hospitals if s)
    acts = (await conn.execute(text(
        "SELECT count(*), count(DISTINCT profile), count(*) FILTER (WHERE weighted_minutes IS NOT NULL), "
        "min(examined_on), max(examined_on) FROM acts"))).one()
    assert acts[0] == 600 and acts[1] >= 8 and acts[2] > 500
    assert (acts[4] - acts[3]).days > 600  # two years of activity
    unique = await conn.scalar(text("SELECT count(DISTINCT (hospital_id, internal_number)) FROM acts"))
    assert unique == 600
    assert await conn.scalar(text("SELECT count(*) FROM tariffs")) == 12
    assert await conn.scalar(text("SELECT count(DISTINCT hospital_id) FROM staffing")) == 12
    assert await conn.scalar(text("SELECT count(*) FROM hospital_members")) == len(demo.MEMBERSHIPS)


def test_every_role_has_a_demo_account_with_a_fixed_subject():
    assert {role for account in demo.DEMO_ACCOUNTS for role in account["roles"]} == ROLES
    assert len({a["sub"] for a in demo.DEMO_ACCOUNTS}) == len(demo.DEMO_ACCOUNTS)
    members = {sub for _, sub, _ in demo.MEMBERSHIPS} | {sub for sub, _ in demo.SUPERVISOR_REGIONS}
    assert members <= {a["sub"] for a in demo.DEMO_ACCOUNTS} | {c["id"] for c in demo.DEMO_CLIENTS}
