"""`fabrique accounts|clients|keys|token`, against the test database (committed, then removed)."""

import asyncio
import os
import subprocess
import sys

import asyncpg
import pytest
from typer.testing import CliRunner

from gateway import cli
from shared.auth import KeySet, SigningKey, verify_access_token
from shared.database import admin_url, asyncpg_dsn

runner = CliRunner()


async def _sql(query: str, *args):
    conn = await asyncpg.connect(asyncpg_dsn(admin_url()))
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


@pytest.fixture
def cleanup(prepared_database):
    kids = {r["kid"] for r in asyncio.run(_sql("SELECT kid FROM identity.signing_keys"))}
    yield
    asyncio.run(_sql("DELETE FROM identity.accounts WHERE username LIKE 'cli-test%'"))
    asyncio.run(_sql("DELETE FROM identity.api_keys WHERE name LIKE 'cli-test%'"))
    asyncio.run(_sql("DELETE FROM identity.clients WHERE name LIKE 'cli-test%'"))
    asyncio.run(_sql("DELETE FROM identity.signing_keys WHERE NOT (kid = ANY($1::text[]))", list(kids)))


def invoke(*args: str, input: str | None = None):
    result = runner.invoke(cli.app, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


def test_account_created_on_the_command_line_gets_a_valid_token(cleanup):
    invoke("accounts", "create", "cli-test-judge", "--password", "a long password", "--role", "mjpm:judge",
           "--scope", "mjpm:read", "--scope", "mjpm:measures:write", "--sub", "cli-test-judge-sub")
    assert "cli-test-judge" in invoke("accounts", "list")
    token = invoke("token", "cli-test-judge").strip()
    rows = asyncio.run(_sql("SELECT kid, private_pem FROM identity.signing_keys"))
    keyset = KeySet([SigningKey(r["kid"], r["private_pem"]).public_jwk() for r in rows])
    principal = asyncio.run(verify_access_token(token, keyset))
    assert principal.sub == "cli-test-judge-sub"
    assert principal.scopes == {"mjpm:read", "mjpm:measures:write"} and principal.roles == {"mjpm:judge"}


def test_password_is_prompted_when_not_given(cleanup):
    invoke("accounts", "create", "cli-test-prompted", input="a long password\na long password\n")
    rows = asyncio.run(_sql("SELECT 1 FROM identity.accounts WHERE username = 'cli-test-prompted'"))
    assert len(rows) == 1


def test_duplicate_account_fails_cleanly(cleanup):
    invoke("accounts", "create", "cli-test-twice", "--password", "a long password")
    result = runner.invoke(cli.app, ["accounts", "create", "cli-test-twice", "--password", "a long password"])
    assert result.exit_code == 1 and "already exists" in result.output


def test_disabled_account_gets_no_token(cleanup):
    invoke("accounts", "create", "cli-test-leaver", "--password", "a long password")
    invoke("accounts", "disable", "cli-test-leaver")
    assert runner.invoke(cli.app, ["token", "cli-test-leaver"]).exit_code == 1


def test_client_secret_is_printed_once_and_only_its_hash_is_stored(cleanup):
    output = invoke("clients", "create", "cli-test-partner", "--scope", "fce:read", "--rate-limit", "120")
    secret = output.split("client_secret")[1].split()[0]
    stored = asyncio.run(_sql("SELECT secret_hash, rate_limit_per_minute FROM identity.clients "
                              "WHERE name = 'cli-test-partner'"))[0]
    assert secret not in stored["secret_hash"] and stored["rate_limit_per_minute"] == 120
    invoke("clients", "revoke", "cli-test-partner")


def test_api_keys_and_signing_keys(cleanup):
    output = invoke("keys", "create", "cli-test-key", "--scope", "dora:read")
    key = output.split("key ")[1].split()[0]
    assert key.startswith("fab_")
    invoke("keys", "revoke", key[:12])
    revoked = asyncio.run(_sql("SELECT revoked_at FROM identity.api_keys WHERE name = 'cli-test-key'"))[0]
    assert revoked["revoked_at"] is not None
    assert "published" in invoke("keys", "rotate-signing", "--publish-s", "0")
    assert "signing kid" in invoke("keys", "list")


def test_the_gateway_commands_are_at_the_top_level_of_fabrique():
    result = subprocess.run([sys.executable, "-m", "shared.cli", "--help"], capture_output=True, text=True,
                            env={**os.environ, "COLUMNS": "200"}, timeout=60)
    assert result.returncode == 0, result.stderr
    for command in ("accounts", "clients", "keys", "token"):
        assert f" {command} " in result.stdout, result.stdout
