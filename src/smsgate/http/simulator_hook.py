"""`POST /_simulator/mo`: make the built-in SMSC SIMULATOR deliver an MO to the gateway.

Exists only while the simulator runs (no `[[smpp]]` connection configured) and answers only
clients on loopback; `smsgate simulate mo` calls it. Text longer than one SMS is sent as a
concatenated multipart MO, so the gateway's reassembly is exercised too.
"""

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from smsgate.constants import DATA_CODING_GSM7, DATA_CODING_UCS2, ESM_CLASS_UDHI
from smsgate.domain.encoding import Encoding, concat_udh, encode_part, segment
from smsgate.smpp.simulator import SmscSimulator

LOOPBACK = {"127.0.0.1", "::1"}


def make_hook(simulator: SmscSimulator):  # type: ignore[no-untyped-def]
    async def inject(request: Request) -> Response:
        if request.client is None or request.client.host not in LOOPBACK:
            return PlainTextResponse("forbidden", status_code=403)
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        source, destination, text = form.get("from", ""), form.get("to", ""), form.get("text", "")
        if not source.isdigit() or not destination or not text:
            return PlainTextResponse("from (digits), to and text are required", status_code=400)
        segmented = segment(text)
        coding = DATA_CODING_GSM7 if segmented.encoding is Encoding.GSM7 else DATA_CODING_UCS2
        total = segmented.count
        try:
            for number, part in enumerate(segmented.parts, start=1):
                payload = encode_part(segmented.encoding, part)
                esm_class = 0
                if total > 1:
                    payload, esm_class = concat_udh(0x5A, total, number) + payload, ESM_CLASS_UDHI
                status = await simulator.inject_mo(source, destination, payload, coding, esm_class)
                if status != 0:
                    return PlainTextResponse(f"gateway answered status 0x{status:08X}", 502)
        except LookupError as exc:
            return PlainTextResponse(str(exc), status_code=503)
        return PlainTextResponse(f"delivered MO from {source} to {destination} in {total} part(s)")

    return inject
