"""Typed settings, read from the environment (prefix `SMSGATE_`) with embedded defaults.

The defaults run the whole gateway with nothing else installed: a SQLite file under
`./data`, the API on 127.0.0.1:8080 and, when no SMPP connection is configured, the built-in
SMSC simulator on loopback.
"""

from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process settings. Connections and routing live in the TOML file named by `config`."""

    model_config = SettingsConfigDict(env_prefix="SMSGATE_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = None  # default: sqlite+aiosqlite:///<data_dir>/smsgate.db
    config: Path | None = None  # TOML file with [[smpp]] connections
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    default_country_code: str = Field(default="1", pattern=r"^[0-9]{1,3}$")
    log_level: str = "info"
    # Simulator used when no [[smpp]] connection is configured (loopback only).
    simulator_port: int = Field(default=2775, ge=0, le=65535)
    dispatch: bool = True  # run the dispatcher in this process (`serve --no-dispatch`: API only)
    access_log: bool = True

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'smsgate.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")
