"""One typed settings object, read from the environment (prefix ``DELTA_``)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A well-known value: anyone can read it here, so it is only good for a laptop.
DEMO_SECRET_KEY = "delta-demo-secret-not-for-production"  # noqa: S105

GiB = 1024**3
MiB = 1024**2


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DELTA_", extra="ignore", frozen=True)

    env: Literal["development", "test", "production"] = "development"
    home: Path = Path("var")
    database_url: str | None = None
    search_url: str | None = None
    site_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr = SecretStr(DEMO_SECRET_KEY)
    log_level: str = "INFO"

    # Publishing (docs/publishing.md): validation and DataStore loading run after the
    # upload commits, in a worker thread of each portal process.
    ingest_worker: bool = True
    ingest_poll_seconds: float = 2.0
    validation_max_errors: int = 1000
    max_xlsx_uncompressed_bytes: int = 1 * GiB
    max_xlsx_compression_ratio: int = 200
    datastore_auto_load: bool = True
    datastore_default_limit: int = 100
    datastore_max_limit: int = 32000
    datastore_search_sql_enabled: bool = False
    datastore_sql_timeout_ms: int = 10_000
    # Data-use applications: how long an approval lasts unless the reviewer says otherwise.
    application_grant_days: int = 365
    application_max_grant_days: int = 3 * 365

    # Explicit limits on input: every one of them is a setting, not a constant.
    max_json_body_bytes: int = 8 * MiB
    max_upload_bytes: int = 10 * GiB
    max_rows: int = 1000
    max_query_chars: int = 4000
    max_xml_bytes: int = 1 * MiB

    # Region nodes of the interchange (interregion/, docs/interregion.md).
    # The portal listens on node_base_port; the nodes 310000..340000 on +1..+4.
    node_host: str = "127.0.0.1"
    node_base_port: int = 8000
    # Where nodes fetch the signed federation registry; unset: the authority's file in home.
    node_registry_url: str | None = None
    # The pinned federation authority certificate; unset: the demo one under home/keys.
    node_authority_cert: Path | None = None
    node_clock_skew_seconds: int = 60
    node_assertion_lifetime_seconds: int = 300
    node_request_lifetime_seconds: int = 600
    node_session_minutes: int = 30
    # Seed the demo residents and companies on a node's first start (never in production).
    node_demo_accounts: bool = True

    # DCAT-AP catalogue, harvesting and metadata quality (docs/dcat.md).
    dcat_datasets_per_page: int = Field(100, ge=1, le=1000)
    # Each portal process runs a scheduler thread; a database lease lets only one run jobs.
    harvest_scheduler: bool = True
    harvest_poll_seconds: float = 30.0
    harvest_lease_seconds: float = 120.0
    harvest_http_timeout_seconds: float = 60.0
    harvest_max_pages: int = 10_000
    harvest_max_document_bytes: int = 200 * MiB
    # Link checks of the quality score; private addresses only where a test needs them.
    quality_link_timeout_seconds: float = 10.0
    quality_link_check_private: bool = False

    @model_validator(mode="after")
    def _refuse_demo_secret(self) -> Settings:
        if self.env != "development" and self.secret_key.get_secret_value() == DEMO_SECRET_KEY:
            raise ValueError(
                "DELTA_SECRET_KEY is the public demo secret; set a real one "
                "(demo secrets are only accepted with DELTA_ENV=development)"
            )
        return self

    @cached_property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()

    @cached_property
    def portal_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home_dir / 'portal.db'}"

    @property
    def uses_embedded_search(self) -> bool:
        return not self.search_url

    def ensure_home(self) -> Path:
        self.home_dir.mkdir(parents=True, exist_ok=True)
        return self.home_dir


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (used by tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
