"""Races that only real commits show: two judges reserving the last place at the same moment."""

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from shared.testing import engine_for
from tests.mjpm.conftest import Factory

RACERS = 8


async def test_concurrent_reservations_of_the_last_place_let_exactly_one_win(committing_client_for, as_role):
    mjpm = await committing_client_for("mjpm")
    async with AsyncSession(await engine_for("mjpm"), expire_on_commit=False) as session:
        make = Factory(session)
        court = await make.court()
        manager = await make.manager(approved_capacity=3)
        await make.measure(court, manager, status="en_cours")
        await make.measure(court, manager, status="en_attente")
        for n in range(RACERS):
            await make.member(f"judge-{n}", court=court)
        await session.commit()

    async def reserve(n: int):
        return await mjpm.post("/v1/measures:reserve", headers=as_role(f"judge-{n}", "judge"),
                               json={"rg": f"24/{n:05d}", "manager_id": manager.id, "nature": "tutelle"})

    responses = await asyncio.gather(*(reserve(n) for n in range(RACERS)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (RACERS - 1), [r.text for r in responses]
    body = (await mjpm.get(f"/v1/managers/{manager.id}", headers=as_role("judge-0", "judge"))).json()
    assert (body["reserved"], body["in_progress"], body["remaining"]) == (2, 1, 0)


async def test_concurrent_reservations_of_the_same_rg_create_one_measure(committing_client_for, as_role):
    mjpm = await committing_client_for("mjpm")
    async with AsyncSession(await engine_for("mjpm"), expire_on_commit=False) as session:
        make = Factory(session)
        court = await make.court()
        manager = await make.manager(approved_capacity=100)
        for n in range(RACERS):
            await make.member(f"judge-{n}", court=court)
        await session.commit()

    responses = await asyncio.gather(*(
        mjpm.post("/v1/measures:reserve", headers=as_role(f"judge-{n}", "judge"),
                  json={"rg": "24/00001", "manager_id": manager.id, "nature": "tutelle"})
        for n in range(RACERS)))
    assert sorted(r.status_code for r in responses) == [201] + [409] * (RACERS - 1)
