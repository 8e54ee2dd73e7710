"""The uvicorn options every HTTP process starts with."""

import pickle

import pytest
from pydantic import ValidationError

from smsgate.http.protocol import GuardedProtocolFactory, HttpLimits
from smsgate.http.serving import uvicorn_options
from smsgate.settings import Settings


def test_proxy_headers_are_off_unless_a_proxy_is_trusted() -> None:
    options = uvicorn_options(Settings(), access_log=True)
    assert options["proxy_headers"] is False
    trusted = Settings(trusted_proxies="10.0.0.1, 192.168.0.0/16")  # type: ignore[arg-type]
    options = uvicorn_options(trusted, access_log=False)
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == ["10.0.0.1", "192.168.0.0/16"]
    assert options["access_log"] is False and options["server_header"] is False


def test_a_bad_proxy_address_is_a_settings_error() -> None:
    with pytest.raises(ValidationError, match=r"10\.0\.0\.x"):
        Settings(trusted_proxies="10.0.0.1,10.0.0.x")  # type: ignore[arg-type]


def test_the_protocol_factory_survives_pickling_into_worker_processes() -> None:
    settings = Settings(header_timeout=3, body_timeout=4, max_connections=5)
    factory = uvicorn_options(settings, access_log=True)["http"]
    assert factory == GuardedProtocolFactory(HttpLimits(3.0, 4.0, 5))
    assert pickle.loads(pickle.dumps(factory)) == factory
