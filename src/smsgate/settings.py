"""Typed settings, read from the environment (prefix `SMSGATE_`) with embedded defaults.

The defaults run the whole gateway with nothing else installed: a SQLite file under
`./data`, the API on 127.0.0.1:8080 and, when no SMPP connection is configured, the built-in
SMSC simulator on loopback.
"""

import ipaddress
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from smsgate.domain.phone import (
    DEFAULT_REGION,
    country_code,
    region_error,
    region_for_country_code,
)


class Settings(BaseSettings):
    """Process settings. Connections and routing live in the TOML file named by `config`."""

    model_config = SettingsConfigDict(env_prefix="SMSGATE_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = None  # default: sqlite+aiosqlite:///<data_dir>/smsgate.db
    config: Path | None = None  # TOML file with [[smpp]] connections
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # Phone numbers written without a country code are numbers of this region (ISO 3166, e.g.
    # US, GB; libphonenumber's numbering plans). SMSGATE_DEFAULT_COUNTRY_CODE, the older setting,
    # names the country code's main region instead ("44" -> GB). Default: US.
    default_region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    default_country_code: str | None = Field(default=None, pattern=r"^[1-9][0-9]{0,2}$")
    log_level: str = "info"
    log_format: Literal["text", "json"] = "text"  # json: one JSON object per line
    # Simulator used when no [[smpp]] connection is configured (loopback only).
    simulator_port: int = Field(default=2775, ge=0, le=65535)
    # A receipt the gateway refused (e.g. disk full) is delivered again by the simulator, as a
    # real SMSC would: after the delay, doubling up to the maximum, this many times at most.
    # The defaults retry for 12 to 25 minutes (the delays have jitter).
    simulator_receipt_retries: int = Field(default=30, ge=0)
    simulator_receipt_retry_delay: float = Field(default=1.0, gt=0)
    simulator_receipt_retry_max_delay: float = Field(default=60.0, gt=0)
    dispatch: bool = True  # run the dispatcher in this process (`serve --no-dispatch`: API only)
    access_log: bool = True
    # `serve`'s HTTP worker processes in front of the gateway (`serve --api-workers N`);
    # None: 1 where two or more CPUs are usable and this process dispatches, else 0.
    api_workers: int | None = Field(default=None, ge=0, le=64)
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
    # --- message history (README "Delivery") ---
    # Days a finished message (and its parts and events) is kept, then deleted; 0: for ever.
    message_retention_days: int = Field(default=90, ge=0, le=36500)
    # --- webhooks (README "Webhooks") ---
    # Allow webhook URLs on loopback and private networks (development and tests only; the
    # cloud metadata addresses stay refused).
    webhook_allow_private: bool = False
    # --- operator console (/console) ---
    console_idle_timeout: float = Field(default=1800.0, gt=0)  # seconds without a page: log out

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

    @field_validator("default_region")
    @classmethod
    def _check_region(cls, value: str | None) -> str | None:
        reason = None if value is None else region_error(value)
        if reason is not None:
            raise ValueError(reason)
        return value

    @field_validator("default_country_code")
    @classmethod
    def _check_country_code(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        region_for_country_code(value)  # ValueError: no region has it
        region = info.data.get("default_region")
        if region is not None and str(country_code(region)) != value:
            raise ValueError(
                f"the default region {region} has the country code "
                f"{country_code(region)}, not {value}"
            )
        return value

    @property
    def resolved_default_region(self) -> str:
        """The region of numbers written without a country code (see `default_region`)."""
        if self.default_region is not None:
            return self.default_region
        if self.default_country_code is not None:
            return region_for_country_code(self.default_country_code)
        return DEFAULT_REGION

    @field_validator("simulator_receipt_retry_max_delay")
    @classmethod
    def _check_retry_delays(cls, value: float, info: ValidationInfo) -> float:
        first = info.data.get("simulator_receipt_retry_delay")
        if first is not None and value < first:
            raise ValueError("must be at least simulator_receipt_retry_delay")
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
