import json
import os

import pytest
from sqlalchemy import text

from gateway.keyring import loaded_key
from gateway.settings import get_gateway_settings
from shared.auth import access_token_claims
from tests.gateway.support import Recorder, ThreadedServer, free_port

BODY_LIMIT = 4096
ADMIN = {"scopes": ["gateway:admin"]}


@pytest.fixture(scope="session")
def make_token(signing_key):
    """The kit's make_token, signing with the key parsed once (the kit's SigningKey.sign parses the
    PEM at every call, ~80 ms here): same key, same claims, same token format."""
    key = loaded_key(signing_key.kid, signing_key.private_pem)

    def make(sub: str = "user-1", **claims) -> str:
        return key.sign(access_token_claims(sub, **claims))

    return make


@pytest.fixture(scope="session")
def recorder_server():
    recorder = Recorder()
    with ThreadedServer(recorder) as server:
        yield recorder, server


@pytest.fixture(scope="session")
def gateway_settings(recorder_server):
    """Routes to the recording upstream (`rec`, with public routes) and to a closed port (`down`)."""
    _, server = recorder_server
    env = {
        "FABRIQUE_GATEWAY_ROUTES": json.dumps({
            "rec": {"url": server.url, "public": [["GET", "/v1/public"], ["POST", "/v1/forms/{form}/answers"]]},
            "down": f"http://127.0.0.1:{free_port()}",
        }),
        "FABRIQUE_GATEWAY_BODY_LIMIT_BYTES": str(BODY_LIMIT),
        "FABRIQUE_GATEWAY_READ_TIMEOUT_S": "0.3",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    get_gateway_settings.cache_clear()
    yield get_gateway_settings()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_gateway_settings.cache_clear()


@pytest.fixture
def recorder(recorder_server) -> Recorder:
    recorder_server[0].requests.clear()
    return recorder_server[0]


@pytest.fixture
async def identity_conn(connection_for):
    return await connection_for("identity")


@pytest.fixture
async def gateway(gateway_settings, client_for, identity_conn, signing_key):
    """The gateway app in the test's transaction, signing with the test key (so `auth(...)` and
    `make_token(...)` tokens are the gateway's own)."""
    await identity_conn.execute(text("UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL"))
    await identity_conn.execute(
        text("INSERT INTO signing_keys (kid, private_pem, active_from) VALUES (:kid, :pem, now())"),
        {"kid": signing_key.kid, "pem": signing_key.private_pem})
    client = await client_for("gateway")
    yield client
    await client._transport.app.state.gateway.close()


@pytest.fixture
def gateway_app(gateway):
    return gateway._transport.app
