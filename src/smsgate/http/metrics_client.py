"""The running gateway's SMPP binds, read from its `/metrics` (for `smsgate status`).

The sessions bound are known only to the process holding them, and `/metrics` already
publishes them (`smsgate_smpp_sessions_bound`, `smsgate_smpp_binds_held` by connection), on
every kind of `serve`; prometheus-client's own parser reads the text.
"""

from smsgate.services.status_report import GatewayUnreachable, LiveBinds

_BOUND = "smsgate_smpp_sessions_bound"
_HELD = "smsgate_smpp_binds_held"


class MetricsEndpoint:
    """`LiveGateway` over HTTP: GET `{url}/metrics`."""

    def __init__(self, url: str, *, timeout: float = 3.0) -> None:
        self.where = url.rstrip("/")
        self._timeout = timeout

    async def binds(self) -> LiveBinds:
        import httpx  # here: every CLI command builds this object, only `status` uses it

        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.get(f"{self.where}/metrics")
        except httpx.HTTPError as exc:
            raise GatewayUnreachable(f"{self.where}: {exc or type(exc).__name__}") from None
        if response.status_code != 200:
            raise GatewayUnreachable(f"{self.where}/metrics answered {response.status_code}")
        return parse_binds(response.text)


def parse_binds(text: str) -> LiveBinds:
    from prometheus_client.parser import text_string_to_metric_families

    bound: dict[str, int] = {}
    held: dict[str, int] = {}
    for family in text_string_to_metric_families(text):
        target = bound if family.name == _BOUND else held if family.name == _HELD else None
        if target is None:
            continue
        for sample in family.samples:
            connection = sample.labels.get("connection")
            if connection is not None:
                target[connection] = target.get(connection, 0) + int(sample.value)
    return LiveBinds(bound, held)
