"""api_web GETs answered by the HTTP protocol itself, without the ASGI machinery.

uvicorn serves every request the same way: a `RequestResponseCycle` (twenty-odd attributes
and an `asyncio.Event`), a task running `run_asgi`, the app's two ASGI messages, and `send`,
which checks every header against two patterns and builds the response head piece by piece.
For api_web's 60-byte replies that machinery cost more CPU than the endpoint's own work
outside the commit. No server library answers one route from its protocol (uvicorn, hypercorn
and granian all call an ASGI app per request), so this is hand-written: for a `GET` on an
api_web path, `cycle.CycleProtocol` puts an `ApiCall` where uvicorn's cycle goes. The call
runs `ApiWeb.answer` (the reply rule the ASGI app uses too) in a task and, once that is done,
writes the whole response with one write.

The request stays in a task: answering the usual request from plain calls, its reply made by
the commit's future (tried on 2026-12-06: ~3.5 % fewer instructions on one connection),
cost 14-30 % more CPU per message at 50 connections (`bench.ab`), like the eager steps of the
third sitting (bench/README.md), whose messages reached the group commit in smaller batches.

What the client sees is what uvicorn sends: its status line, the server's default headers
(`date`), `ApiWeb`'s `headers`, `connection: close` for HTTP/1.0, for a client that asked for
it or while the server shuts down, and then the connection closed; uvicorn's 500 if the answer
fails outright (it never should: `ApiWeb.answer` turns a failure into a FAILURE line). The
protocol's bookkeeping stays uvicorn's: an `ApiCall` has the attributes uvicorn reads and
writes on a cycle, so pipelined requests wait in uvicorn's queue and are answered in order, a
body sent with a GET is read and dropped, `on_response_complete` runs as for any request, and a
client gone before its reply gets nothing written (its message is still committed, as on the
ASGI path: nothing is cancelled). The access line is uvicorn's (its text made here, from the
scope, where `log_batch.FastAccessLog` writes it); answers in flight are in the server's task
set, which a graceful shutdown waits for; a full write buffer is drained before the reply, as
uvicorn's `send` does.
"""

import asyncio
import contextvars
import logging
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

from smsgate.constants import REPLY_HEADS_KEPT
from smsgate.http.api_web import ApiWeb, headers
from smsgate.http.log_batch import FastAccessLog
from smsgate.http.log_scrub import scrub

if TYPE_CHECKING:
    from smsgate.http.cycle import CycleProtocol

ACCESS_FORMAT = '%s - "%s %s HTTP/%s" %d'  # uvicorn's, with its arguments
_CLOSE = b"connection: close\r\n"
_ERROR_TAIL = (  # uvicorn's `send_500_response`
    b"content-type: text/plain; charset=utf-8\r\ncontent-length: 21\r\n"
    b"connection: close\r\n\r\nInternal Server Error"
)


class _NoEvent:
    """What an `ApiCall` has for the `message_event` uvicorn's protocol sets as a request's
    body arrives and when the client goes: an api_web GET reads no body and waits for neither."""

    __slots__ = ()

    def set(self) -> None:
        pass


class ApiCall:
    """One api_web GET where uvicorn's protocol keeps its `RequestResponseCycle`."""

    __slots__ = (
        "_api_web",
        "_protocol",
        "body",  # a GET's body, if any: collected by the protocol, never read
        "disconnected",
        "keep_alive",
        "more_body",
        "response_complete",
        "scope",
    )
    message_event = _NoEvent()

    def __init__(
        self,
        protocol: "CycleProtocol",
        api_web: ApiWeb,
        scope: dict[str, Any],
        keep_alive: bool,
    ) -> None:
        self._protocol = protocol
        self._api_web = api_web
        self.scope = scope
        self.keep_alive = keep_alive  # cleared by the protocol's `shutdown`
        self.response_complete = False
        self.disconnected = False  # set by the protocol's `connection_lost`
        self.body = b""
        self.more_body = True

    def start(self) -> None:
        """Answer in a task of the server's (a graceful shutdown waits for those)."""
        protocol = self._protocol
        client = self.scope["client"]
        answer = self._api_web.answer(b"", self.scope["query_string"], client and client[0])
        if protocol.config.reset_contextvars:  # as uvicorn's `_start_asgi_task`
            task = protocol.loop.create_task(answer, context=contextvars.Context())
        else:
            task = protocol.loop.create_task(answer)
        protocol.tasks.add(task)  # type: ignore[arg-type]  # a set of Task[None]
        task.add_done_callback(self._answered)

    def _answered(self, task: "asyncio.Task[bytes]") -> None:
        protocol = self._protocol
        protocol.tasks.discard(task)
        if self.disconnected:  # as uvicorn's `send`: nothing is written to a client gone
            return
        try:
            reply = task.result()
        except BaseException as exc:  # as uvicorn's `run_asgi`, a cancellation included
            protocol.logger.error("Exception in ASGI application\n", exc_info=exc)
            self._respond(500, None)
            return
        if protocol.flow.write_paused:  # as uvicorn's `send`: wait for the buffer to drain
            drained = protocol.loop.create_task(self._respond_drained(reply))
            protocol.tasks.add(drained)
            drained.add_done_callback(protocol.tasks.discard)
        else:
            self._respond(200, reply)

    async def _respond_drained(self, reply: bytes) -> None:
        await self._protocol.flow.drain()
        if not self.disconnected:
            self._respond(200, reply)

    def _respond(self, status: int, reply: bytes | None) -> None:
        """Log, write and finish as uvicorn's `send` does; `reply` None is uvicorn's 500."""
        protocol = self._protocol
        scope = self.scope
        if protocol.access_log:
            access: logging.Logger | FastAccessLog = protocol.access_logger
            if type(access) is FastAccessLog:  # the same text for less (`access_message`)
                client = scope["client"]
                known, text = protocol.access_client  # the client's text, made once
                if known is not client:
                    text = get_client_addr(scope)  # type: ignore[arg-type]
                    protocol.access_client = (client, text)
                access.add(access_message(text, scope, status))
            else:
                access.info(
                    ACCESS_FORMAT,
                    get_client_addr(scope),  # type: ignore[arg-type]
                    scope["method"],
                    get_path_with_query_string(scope),  # type: ignore[arg-type]
                    scope["http_version"],
                    status,
                )
        parts = [STATUS_LINE[status], _rendered(protocol.server_state.default_headers)]
        if reply is None:
            self.keep_alive = False
            parts.append(_ERROR_TAIL)
        else:
            lines = _reply_heads.get(reply)
            parts += (
                _reply_head(reply) if lines is None else lines,
                b"\r\n" if self.keep_alive else _CLOSE + b"\r\n",
                reply,
            )
        protocol.coalescing.write_now(b"".join(parts))
        self.response_complete = True
        if not self.keep_alive:
            protocol.transport.close()
        protocol.on_response_complete()


def access_message(client: str, scope: dict[str, Any], status: int) -> str:
    """What `ScrubSecrets` makes of uvicorn's access message for `scope` (`client` being its
    `get_client_addr`): the same text from one f-string and one scrub, without the format
    string's parsing and uvicorn's two helper calls (a test holds the two equal)."""
    query = scope["query_string"]
    path = (  # as `get_path_with_query_string`
        f"{scope['raw_path'].decode('latin1')}?{query.decode('ascii')}"
        if query
        else scope["raw_path"].decode("latin1")
    ).replace('"', "%22")
    return scrub(f'{client} - "{scope["method"]} {path} HTTP/{scope["http_version"]}" {status:d}')


_defaults: tuple[object, bytes] = (None, b"")  # uvicorn's default headers (a new list a second)


def _rendered(default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """The server's default headers as lines, rendered once for each list uvicorn makes."""
    global _defaults
    if _defaults[0] is not default_headers:
        lines = b"".join(b"%s: %s\r\n" % (name, value) for name, value in default_headers)
        _defaults = (default_headers, lines)
    return _defaults[1]


# `headers(reply)` as lines, for the replies met so far (a function of the reply alone; a
# handful of SUCCESS and FAILURE lines in practice, at most REPLY_HEADS_KEPT of them kept)
_reply_heads: dict[bytes, bytes] = {}


def _reply_head(reply: bytes) -> bytes:
    lines = b"".join(b"%s: %s\r\n" % (name, value) for name, value in headers(reply))
    if len(_reply_heads) < REPLY_HEADS_KEPT:
        _reply_heads[reply] = lines
    return lines
