"""The TOML configuration file (`SMSGATE_CONFIG`): SMPP connections and routing.

Validated by pydantic; any problem becomes one `ConfigError` line that names the file and the
key (`smpp[0].port: ...`), which the CLI prints instead of a traceback.
"""

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid."""


class SmppConnectionConfig(BaseModel):
    """One named SMPP account at a carrier's SMSC."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64)
    host: str
    port: int = Field(ge=1, le=65535)
    system_id: str = Field(max_length=15)
    password: str = Field(max_length=8)
    system_type: str = Field(default="", max_length=12)
    bind: Literal["transmitter", "receiver", "transceiver"] = "transceiver"
    binds: int = Field(default=1, ge=1, le=64)  # sessions to open
    window: int = Field(default=100, ge=1, le=10_000)  # outstanding submit_sm per session
    max_tps: float = Field(default=0, ge=0)  # over all sessions; 0 = unlimited
    request_receipts: bool = True
    default: bool = False  # route for sender codes without an explicit connection
    source_ton: int = Field(
        default=-1, ge=-1, le=6
    )  # -1: 3 (network specific) for short codes, else 1 (international)
    source_npi: int = Field(default=1, ge=0, le=18)
    dest_ton: int = Field(default=1, ge=0, le=6)
    dest_npi: int = Field(default=1, ge=0, le=18)
    enquire_link_interval: float = Field(default=30.0, gt=0)  # seconds
    response_timeout: float = Field(default=30.0, gt=0)  # seconds to wait for a *_resp
    reconnect_initial: float = Field(default=1.0, gt=0)  # backoff after a failed bind
    reconnect_max: float = Field(default=60.0, gt=0)
    throttle_backoff: float = Field(default=1.0, gt=0)  # pause after ESME_RTHROTTLED/RMSGQFUL


class GatewayConfig(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    smpp: tuple[SmppConnectionConfig, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> "GatewayConfig":
        names = [c.name for c in self.smpp]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate connection name {duplicates[0]}")
        if sum(c.default for c in self.smpp) > 1:
            raise ValueError("more than one connection has default = true")
        return self

    @property
    def default_connection(self) -> str | None:
        """The connection for sender codes with none of their own."""
        for connection in self.smpp:
            if connection.default:
                return connection.name
        return self.smpp[0].name if len(self.smpp) == 1 else None

    def connection(self, name: str) -> SmppConnectionConfig | None:
        return next((c for c in self.smpp if c.name == name), None)


def load_config(path: Path | None) -> GatewayConfig:
    """Read and validate the file; None means no file (the simulator will be used)."""
    if path is None:
        return GatewayConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return GatewayConfig.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
        ).lstrip(".")
        raise ConfigError(f"{path}: {where or 'file'}: {error['msg']}") from None
