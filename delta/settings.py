"""One typed settings object, read from the environment (prefix ``DELTA_``)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
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

    # Explicit limits on input: every one of them is a setting, not a constant.
    max_json_body_bytes: int = 8 * MiB
    max_upload_bytes: int = 10 * GiB
    max_rows: int = 1000
    max_query_chars: int = 4000
    max_xml_bytes: int = 1 * MiB

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
