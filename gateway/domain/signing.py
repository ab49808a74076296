"""Signing-key rotation without downtime: a new key is published before it signs, and an old one
stays published after it stops signing until every token it signed has expired."""

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class KeyPeriod:
    kid: str
    active_from: dt.datetime
    retired_at: dt.datetime | None


def signing_kid(keys: list[KeyPeriod], now: dt.datetime) -> str | None:
    """The newest key already active and not retired."""
    usable = [k for k in keys if k.active_from <= now and (k.retired_at is None or k.retired_at > now)]
    return max(usable, key=lambda k: k.active_from).kid if usable else None


def published_kids(keys: list[KeyPeriod], now: dt.datetime, token_lifetime: dt.timedelta) -> list[str]:
    """Pending, active and recently retired keys: a retired key verifies its tokens until they expire."""
    grace = token_lifetime + dt.timedelta(minutes=5)
    return [k.kid for k in keys if k.retired_at is None or k.retired_at + grace > now]
