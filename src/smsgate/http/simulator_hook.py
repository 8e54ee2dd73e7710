"""`POST /_simulator/mo`: make the built-in SMSC SIMULATOR deliver an MO to the gateway.

Exists only while the simulator runs (no `[[smpp]]` connection configured) and answers only
clients on loopback; `smsgate simulate mo` calls it. Text longer than one SMS is sent as a
concatenated multipart MO, so the gateway's reassembly is exercised too.
"""

from collections.abc import Awaitable, Callable
from typing import Protocol
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from smsgate.constants import ESM_CLASS_UDHI
from smsgate.domain.sms_parts import encode_message

LOOPBACK = {"127.0.0.1", "::1"}
_MO_REFERENCE = 0x5A  # concatenation reference of every multipart MO it sends


class InjectsMo(Protocol):
    """The simulator (`smpp.simulator.SmscSimulator`): send an MO part to the gateway's bind,
    return the gateway's command status. LookupError if no bind can take it."""

    async def inject_mo(
        self,
        source_addr: str,
        destination_addr: str,
        short_message: bytes,
        data_coding: int = 0,
        esm_class: int = 0,
    ) -> int: ...


def make_hook(simulator: InjectsMo) -> Callable[[Request], Awaitable[Response]]:
    async def inject(request: Request) -> Response:
        if request.client is None or request.client.host not in LOOPBACK:
            return PlainTextResponse("forbidden", status_code=403)
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        source, destination, text = form.get("from", ""), form.get("to", ""), form.get("text", "")
        if not source.isdigit() or not destination or not text:
            return PlainTextResponse("from (digits), to and text are required", status_code=400)
        encoded = encode_message(text, _MO_REFERENCE)
        total = len(encoded.parts)
        try:
            for part in encoded.parts:
                esm_class = ESM_CLASS_UDHI if part.udhi else 0
                status = await simulator.inject_mo(
                    source, destination, part.payload, encoded.data_coding, esm_class
                )
                if status != 0:
                    return PlainTextResponse(f"gateway answered status 0x{status:08X}", 502)
        except LookupError as exc:
            return PlainTextResponse(str(exc), status_code=503)
        return PlainTextResponse(f"delivered MO from {source} to {destination} in {total} part(s)")

    return inject
