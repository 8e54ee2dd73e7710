"""One API worker process: `python -m smsgate.workers.worker`, started by the core only.

It serves HTTP on the listening socket the core made (inherited descriptor
`SMSGATE_WORKER_LISTEN_FD`) and talks to the core over its end of a socketpair
(`SMSGATE_WORKER_CORE_FD`). It does the per-request work that needs no write: parsing,
authentication (reading realms), sender-code lookup, validation, segmentation. Accepted
messages and opt-outs (`smsstopsubscribersend`, `stopSubscriberSend`) go to the core
(`RemoteAccepter`), which commits them; the worker never writes the database. Requests for
any other route go to the core's HTTP server, on the Unix socket `SMSGATE_WORKER_CORE_HTTP`
names. Everything else comes from the same `SMSGATE_*` environment as the core. The app is wired in
`bootstrap/worker.py`; this module is the process's entry point.
"""

import logging
import os
import socket
import sys

import uvicorn

from smsgate.bootstrap.worker import worker_app
from smsgate.constants import GIL_SWITCH_INTERVAL
from smsgate.http.serving import uvicorn_options
from smsgate.runtime import freeze_startup_heap
from smsgate.settings import Settings
from smsgate.workers.remote_accepter import RemoteAccepter

LISTEN_FD_ENV = "SMSGATE_WORKER_LISTEN_FD"
CORE_FD_ENV = "SMSGATE_WORKER_CORE_FD"
CORE_HTTP_ENV = "SMSGATE_WORKER_CORE_HTTP"  # the core's HTTP socket (workers/core_http.py)

log = logging.getLogger(__name__)


def main() -> None:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)  # as `serve` does; see constants.py
    settings = Settings()
    # socket(fileno=) detects the family (AF_INET/AF_INET6); uvicorn's own `fd=` option would
    # take it for AF_UNIX, and uvloop would then not set TCP_NODELAY: 40 ms per keep-alive reply
    listener = socket.socket(fileno=int(os.environ[LISTEN_FD_ENV]))
    core_sock = socket.socket(fileno=int(os.environ[CORE_FD_ENV]))
    server: uvicorn.Server | None = None

    def core_lost() -> None:
        if server is not None:
            server.should_exit = True

    core = RemoteAccepter(core_sock, on_lost=core_lost)
    config = uvicorn.Config(
        worker_app(settings, core, os.environ[CORE_HTTP_ENV]),
        **uvicorn_options(settings, settings.access_log),
    )
    server = uvicorn.Server(config)
    freeze_startup_heap()
    server.run(sockets=[listener])


if __name__ == "__main__":
    main()
