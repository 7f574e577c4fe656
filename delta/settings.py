"""One typed settings object, read from the environment (prefix ``DELTA_``)."""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
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
    # An Elasticsearch index built for another catalogue (database): "rebuild" it from
    # this database at start, or "refuse" to start (docs/search.md). Never served.
    search_foreign_index: Literal["rebuild", "refuse"] = "rebuild"
    # Exact result cache per portal process (docs/search.md), in MiB of stored JSON; 0: off.
    search_result_cache_mb: int = Field(default=64, ge=0, le=4096)
    site_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr = SecretStr(DEMO_SECRET_KEY)
    log_level: str = "INFO"

    # Publishing (docs/publishing.md): validation and DataStore loading run after the
    # upload commits, in a worker thread of each portal process.
    ingest_worker: bool = True
    ingest_poll_seconds: float = 2.0
    # Download counts are written in batches this often (and at shutdown); other
    # processes show them within twice this. 0: written and read per request.
    download_count_flush_seconds: float = 5.0
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

    # Web pages (open_portal/web, docs/web.md): browser sessions, lockout, e-mail.
    web_session_hours: int = 12
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    # "log" writes mails to the log (development); "smtp://host:port" sends them.
    mailer: str = "log"
    mail_from: str = "noreply@delta.example"
    verification_hours: int = 48
    # An unfinished resumable upload is kept this long after it was started.
    resumable_upload_hours: int = 24

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
    # Refused requests (docs/interregion.md, "Refusals cannot flood the audit log"): a
    # client refused node_refusal_limit times in a window gets 429 until it ends (0: off);
    # identical refusals within node_audit_fold_seconds are one record and a count (0: off).
    node_refusal_limit: int = Field(20, ge=0)
    node_refusal_window_seconds: float = Field(60.0, gt=0)
    node_audit_fold_seconds: float = Field(60.0, ge=0)

    # DataStore SQL and search (issue 10; docs/publishing.md). User SQL runs on a
    # connection of its own: on PostgreSQL as a login role that may only SELECT from
    # DataStore tables (unset URL: the portal's URL with that role as user, no password,
    # which suits a trust-auth local server), on SQLite behind an authorizer.
    datastore_sql_role: str = "delta_datastore_sql"
    datastore_sql_database_url: str | None = None
    datastore_sql_max_result_bytes: int = 32 * MiB
    datastore_sql_max_value_bytes: int = 128 * 1024  # SQLite: longest string, blob or row
    datastore_sql_work_mem_kb: int = 16 * 1024  # PostgreSQL: per sort or hash
    datastore_sql_temp_file_limit_kb: int = 1024 * 1024  # PostgreSQL: spill to disk
    datastore_max_sort_keys: int = 20
    datastore_max_filter_values: int = 10_000

    # CORS on the portal's API (the new user's path, docs/ckan-api.md): pages of other
    # sites may call read actions anonymously; "*" is every site, "" none. Write actions
    # and requests carrying a user's token only from the sites listed in cors_write_origins.
    cors_origins: str = "*"
    cors_write_origins: str = ""

    # Operations (delta/observability.py, docs/operations.md): logs, request IDs, health,
    # shutdown, and serving downloads through nginx.
    # "json" (one object per line) or "text"; unset: json in production, text elsewhere.
    log_format: Literal["json", "text"] | None = None
    # One log line per request (method, route, path, status, duration, request ID).
    access_log: bool = False
    # Accept a well-formed X-Request-ID from callers (nginx, other nodes); else always make one.
    trust_request_id: bool = True
    readiness_timeout_seconds: float = 3.0
    # On SIGTERM, requests in flight get this long to finish before the process exits.
    shutdown_grace_seconds: float = 30.0
    # Behind nginx: the internal location (e.g. /_storage/) that serves uploaded files; the
    # portal authorises a download and answers with X-Accel-Redirect, nginx sends the bytes.
    accel_redirect: str | None = None

    @model_validator(mode="after")
    def _check_cors_origins(self) -> Settings:
        _ = self.cors_read_origin_set, self.cors_write_origin_set
        return self

    @model_validator(mode="after")
    def _check_database_url(self) -> Settings:
        if self.database_url:
            from sqlalchemy.engine import make_url
            from sqlalchemy.exc import ArgumentError

            try:
                backend = make_url(self.database_url).get_backend_name()
            except ArgumentError:
                backend = ""
            if backend not in ("sqlite", "postgresql"):
                raise ValueError(
                    "DELTA_DATABASE_URL is not a PostgreSQL or SQLite URL "
                    "(e.g. postgresql://user@host:5432/portal)"
                )
        return self

    @property
    def cors_read_origin_set(self) -> frozenset[str] | None:
        """None: every origin may read."""
        return origin_list(self.cors_origins, setting="DELTA_CORS_ORIGINS", wildcard=True)

    @property
    def cors_write_origin_set(self) -> frozenset[str]:
        found = origin_list(
            self.cors_write_origins, setting="DELTA_CORS_WRITE_ORIGINS", wildcard=False
        )
        return found or frozenset()

    # Signed exchange between nodes and e-licences (interregion/exchange, interregion/licences,
    # docs/licences.md).
    node_exchange_timeout_seconds: float = 10.0
    node_exchange_rate_per_minute: int = 1200
    # Status lists: how long verifiers may cache one, and how long past that a stale copy
    # may still be used while the issuer is unreachable.
    licence_status_ttl_seconds: int = 300
    licence_status_grace_seconds: int = 600
    licence_presentation_seconds: int = 300
    licence_consent_seconds: int = 600

    # Cross-region window cases (interregion/cases/, docs/windows.md).
    case_max_material_bytes: int = 10 * MiB
    case_max_materials: int = 40
    # The delivery worker: how often it looks for due messages, how many go in one POST,
    # and the retry backoff (exponential from base to max, with full jitter).
    case_delivery_poll_seconds: float = 1.0
    case_delivery_batch: int = 50
    # A claimed message is left to its worker this long (a killed worker's claims then lapse).
    case_delivery_lease_seconds: float = 30.0
    case_retry_base_seconds: float = 2.0
    case_retry_max_seconds: float = 300.0
    # A message still undelivered after this long shows up for supervisors.
    case_stuck_after_seconds: int = 3600
    # Where applicants' notifications go: "log", or "module:factory" of a Notifier.
    case_notifier: str = "log"
    case_matter_list_ttl_seconds: int = 3600
    case_staff_token_days: int = 90
    case_track_max_failures: int = 5
    case_track_lock_minutes: int = 15
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

    @property
    def json_logs(self) -> bool:
        return (self.log_format or ("json" if self.env == "production" else "text")) == "json"

    @field_validator("accel_redirect")
    @classmethod
    def _internal_location(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not re.fullmatch(r"/[A-Za-z0-9_\-/]*", value) or "//" in value:
            raise ValueError("an nginx location path such as /_storage/")
        return value.rstrip("/") + "/"

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


# The new user's path (issue 10): links follow the address a server listens on
# when DELTA_SITE_URL is unset. Settings.site_url stays the one place that knows
# the site URL; serving commands fill it in before anything reads it.
SITE_URL_VARIABLE = "DELTA_SITE_URL"
_WILDCARD_HOSTS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104


def site_url_for(host: str, port: int) -> str:
    """The base URL of a server listening on ``host:port`` (a wildcard means this machine)."""
    host = _WILDCARD_HOSTS.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve_site_url(host: str, port: int) -> str:
    """DELTA_SITE_URL if given; otherwise the listening address, exported to the
    environment so this process and the server's workers (which read settings
    afresh) all print links to where the server really is."""
    given = os.environ.get(SITE_URL_VARIABLE, "").strip()
    if given:
        return given
    os.environ[SITE_URL_VARIABLE] = url = site_url_for(host, port)
    return url


def is_wildcard_host(host: str) -> bool:
    return host in _WILDCARD_HOSTS


_ORIGIN = re.compile(
    r"^https?://[a-z0-9.\-]+(:[0-9]{1,5})?$|^https?://\[[0-9a-f:.]+\](:[0-9]{1,5})?$"
)


def origin_list(value: str, *, setting: str, wildcard: bool) -> frozenset[str] | None:
    """A comma-separated CORS origin setting as a set; None means every origin ("*")."""
    origins = {item.strip().lower().rstrip("/") for item in value.split(",") if item.strip()}
    if "*" in origins:
        if not wildcard:
            raise ValueError(
                f"{setting}: name each site ('*' is refused: these act with users' tokens)"
            )
        if len(origins) > 1:
            raise ValueError(f"{setting}: '*' means every site; give it alone or list sites")
        return None
    bad = sorted(o for o in origins if not _ORIGIN.match(o))
    if bad:
        raise ValueError(f"{setting}: not an origin (scheme://host[:port]): {', '.join(bad)}")
    return frozenset(origins)
