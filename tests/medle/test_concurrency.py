"""Races, with requests that really commit (the schema is emptied afterwards)."""

import asyncio

from tests.medle.conftest import ADMIN, OPERATOR_A, custody_act, finess


async def test_two_simultaneous_acts_with_the_same_number_give_one_201_and_one_409(committing_client_for, auth):
    medle = await committing_client_for("medle")
    admin = auth(**ADMIN)
    hospital = (await medle.post("/v1/hospitals", json={"finess": finess("59078099"), "name": "CH de Roubaix",
                                                         "commune": "59512", "kind": "umj"}, headers=admin)).json()
    await medle.post(f"/v1/hospitals/{hospital['id']}/members", json={"sub": OPERATOR_A["sub"], "role": "operator"},
                     headers=admin)
    asker = (await medle.post("/v1/askers", json={"name": "Commissariat de Roubaix", "type": "commissariat_police"},
                              headers=admin)).json()
    body = custody_act("RX-1", asker_id=asker["id"])
    first, second = await asyncio.gather(*(medle.post("/v1/acts", json=body, headers=auth(**OPERATOR_A))
                                           for _ in range(2)))
    assert sorted((first.status_code, second.status_code)) == [201, 409]
    listed = (await medle.get("/v1/acts", headers=auth(**OPERATOR_A))).json()["items"]
    assert [a["internal_number"] for a in listed] == ["RX-1"]
