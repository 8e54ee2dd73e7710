"""The one wiring root: where settings become stores, services and adapters.

Everything else receives its collaborators as arguments. Three things are built here:
- `gateway.build`: a gateway process (`smsgate serve`, `smsgate dispatch`, the core of
  `serve --api-workers`), and `app.gateway_app`/`app.app_from_env` around it;
- `cli.open_cli`: the services one CLI command works with, over a short-lived pool;
- `worker.worker_app`: an API worker's app, which commits through its core process.

Only entry points (the CLI's commands, `workers/worker.py`'s `main`, uvicorn's factory) and
tests import this package. Its names load lazily, so `smsgate realm list` does not pay for
importing the delivery stack.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smsgate.bootstrap.gateway import (
        Gateway,
        SchemaOutOfDate,
        build,
        build_dispatcher,
        ensure_schema,
    )

__all__ = ["Gateway", "SchemaOutOfDate", "build", "build_dispatcher", "ensure_schema"]

_FROM = {name: "smsgate.bootstrap.gateway" for name in __all__}


def __getattr__(name: str) -> Any:
    if name not in _FROM:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_FROM[name]), name)
