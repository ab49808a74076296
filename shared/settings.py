"""Settings of the whole suite, read from the environment (prefix FABRIQUE_)."""

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Ports of PLATFORM.md; a service not listed here gets the next free one after 8108.
KNOWN_PORTS = {
    "gateway": 8000,
    "fce": 8101,
    "permits": 8102,
    "mjpm": 8103,
    "medle": 8104,
    "dora": 8105,
    "carnet": 8106,
    "tumeplay": 8107,
    "cje": 8108,
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FABRIQUE_", extra="ignore")

    # Unset: the embedded PostgreSQL in data_dir/postgres is started and used.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("FABRIQUE_DATABASE_URL", "DATABASE_URL")
    )
    data_dir: Path = PROJECT_ROOT / ".data"
    # Each service connects as its own role; in production the password comes from a secret.
    service_role_password: str = "fabrique-dev"
    statement_timeout_ms: int = 15_000
    pool_size: int = 10

    host: str = "127.0.0.1"
    # Added to every port of the table: a second copy of the suite (a test of `fabrique run`) can
    # run beside a developer's.
    port_offset: int = 0
    # Unset: the local gateway, http://<host>:<its port>.
    gateway_url: str | None = None
    # Where services fetch the gateway's public keys; a file path wins over the URL.
    jwks_url: str | None = None
    jwks_file: Path | None = None
    token_issuer: str = "fabrique-gateway"
    token_audience: str = "fabrique"
    access_token_minutes: int = 15

    redis_url: str | None = None
    log_level: str = "INFO"
    # FastAPI's native OpenTelemetry (traces, metrics, logs to the configured providers). Off: the
    # kit's Prometheus metrics and JSON logs are what we run on, and merely checking for providers
    # costs every request.
    opentelemetry: bool = False
    log_json: bool = True
    small_cell_threshold: int = 5

    def port_of(self, name: str, all_names: list[str] | None = None) -> int:
        if name in KNOWN_PORTS:
            return KNOWN_PORTS[name] + self.port_offset
        extra = sorted(n for n in (all_names or [name]) if n not in KNOWN_PORTS)
        return 8109 + extra.index(name) + self.port_offset

    @property
    def gateway_base_url(self) -> str:
        return self.gateway_url or f"http://{self.host}:{self.port_of('gateway')}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
