"""The uvicorn settings of every smsgate HTTP process.

`serve`, `serve --workers N` (uvicorn's worker processes) and the API workers of
`serve --api-workers N` all start uvicorn with `uvicorn_options`, so the limits and the trust
in proxy headers are the same whichever way the gateway runs.
"""

from typing import Any

from smsgate.http.log_scrub import logging_config
from smsgate.http.protocol import GuardedProtocolFactory, HttpLimits
from smsgate.settings import Settings


def http_limits(settings: Settings) -> HttpLimits:
    return HttpLimits(
        header_timeout=settings.header_timeout,
        body_timeout=settings.body_timeout,
        max_connections=settings.max_connections,
    )


def uvicorn_options(settings: Settings, access_log: bool) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.Config`/`uvicorn.run`: the guarded protocol, scrubbed
    logs, no Server header, and X-Forwarded-For believed only from `SMSGATE_TRUSTED_PROXIES`.

    uvicorn's own default trusts the header from 127.0.0.1 (or `FORWARDED_ALLOW_IPS`): any
    local process could then choose the client address its wrong passwords are counted for.
    With no trusted proxy the proxy-headers middleware is off altogether."""
    proxies = list(settings.trusted_proxies)
    return {
        "log_config": logging_config(
            settings.log_level, access_log=access_log, log_format=settings.log_format
        ),
        "access_log": access_log,
        "loop": "auto",
        "http": GuardedProtocolFactory(http_limits(settings)),
        "lifespan": "on",
        "server_header": False,
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or None,
    }
