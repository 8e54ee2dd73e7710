"""Typed settings, read from the environment (prefix `SMSGATE_`) with embedded defaults.

The defaults run the whole gateway with nothing else installed: a SQLite file under
`./data`, the API on 127.0.0.1:8080 and, when no SMPP connection is configured, the built-in
SMSC simulator on loopback.
"""

import ipaddress
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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
    # --- HTTP front door (README, "Security") ---
    # Peers whose X-Forwarded-For names the client (addresses or networks, comma-separated).
    # Default none: the peer address is the client, whatever a request's headers say.
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    header_timeout: float = Field(default=10.0, gt=0)  # request line and headers, from 1st byte
    body_timeout: float = Field(default=10.0, gt=0)  # a request's body, after its headers
    max_connections: int = Field(default=1000, ge=1)  # open HTTP connections per process
    # --- several processes on one PostgreSQL database (docs/deployment.md) ---
    # Unique per process; the default (host, pid, random) is never reused by a restart.
    node_id: str | None = Field(default=None, min_length=1, max_length=64)
    # A node silent this long is dead: its `sending` messages are queued again and its SMPP
    # bind slots taken over. Takeover completes within node_timeout + 2 heartbeats.
    node_timeout: float = Field(default=15.0, gt=0)
    heartbeat_interval: float | None = Field(default=None, gt=0)  # default: node_timeout / 5
    poll_interval: float = Field(default=1.0, gt=0)  # dispatcher poll when no wake-up arrives
    dispatch_batch: int = Field(default=500, ge=1, le=10_000)  # messages per claim

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(item.strip() for item in value.split(",") if item.strip())
        if isinstance(value, list | tuple):
            for item in value:
                ipaddress.ip_network(item, strict=False)  # ValueError names the bad entry
        return value

    @field_validator("heartbeat_interval")
    @classmethod
    def _check_heartbeat(cls, value: float | None, info: ValidationInfo) -> float | None:
        timeout = info.data.get("node_timeout")
        if value is not None and timeout is not None and value * 2 > timeout:
            raise ValueError("must be at most half of node_timeout")
        return value

    @property
    def resolved_heartbeat_interval(self) -> float:
        """Seconds between heartbeats (and lease renewals)."""
        if self.heartbeat_interval is not None:
            return self.heartbeat_interval
        return self.node_timeout / 5

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'smsgate.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")
