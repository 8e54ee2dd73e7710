"""The HTTP side of a webhook attempt: httpx, with every connection's addresses checked.

A webhook URL was checked when it was added, but DNS may answer differently later (rebinding:
a name that resolved to a public address now resolves to 127.0.0.1). So the check runs again
on the addresses each connection is about to use: `CheckedBackend` is an httpcore network
backend that resolves the host itself, refuses the connection if any address is unsafe
(domain/webhook_target.py), and connects to the checked address (TLS still verifies the host
name, which httpcore takes from the URL, not from the address). httpx has no hook between
resolving and connecting, hence this backend, installed as the transport's connection pool.

No redirect is followed (a 3xx is a failed attempt), proxies from the environment are ignored,
an attempt has WEBHOOK_TIMEOUT_SECONDS in all, and at most WEBHOOK_MAX_RESPONSE_BYTES of an
answer's body are read.
"""

import asyncio
import socket
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpcore
import httpx

from smsgate.constants import WEBHOOK_MAX_RESPONSE_BYTES, WEBHOOK_TIMEOUT_SECONDS
from smsgate.domain.webhook_target import addresses_refusal

Resolver = Callable[[str, int], Awaitable[list[str]]]


class TargetRefused(httpcore.ConnectError):
    """The host resolves to an address webhooks must not call."""


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an address literal resolves to itself)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses `addresses_refusal` allows (see the module docstring)."""

    def __init__(self, *, allow_private: bool, resolver: Resolver = resolve) -> None:
        self._allow_private = allow_private
        self._resolve = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self._resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        reason = addresses_refusal(addresses, allow_private=self._allow_private)
        if reason is not None:
            raise TargetRefused(f"refused: {reason}")
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused("refused: unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _CheckedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, backend: CheckedBackend) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=100,
            max_keepalive_connections=20,
            network_backend=backend,
        )


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: str  # at most WEBHOOK_MAX_RESPONSE_BYTES, decoded leniently


class WebhookClient:
    """POSTs signed event bodies; one per sender (keeps connections alive between events)."""

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver = resolve,
        timeout: float = WEBHOOK_TIMEOUT_SECONDS,
    ) -> None:
        self._timeout = timeout
        self._client = httpx.AsyncClient(
            transport=_CheckedTransport(
                CheckedBackend(allow_private=allow_private, resolver=resolver)
            ),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"user-agent": "smsgate-webhooks/1"},
        )

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> Answer:
        """POST `body`; raises httpx.HTTPError (or TimeoutError after the attempt's timeout)."""
        async with asyncio.timeout(self._timeout):
            request = self._client.build_request("POST", url, headers=headers, content=body)
            response = await self._client.send(request, stream=True)
            try:
                kept = bytearray()
                async for chunk in response.aiter_raw():
                    kept += chunk[: WEBHOOK_MAX_RESPONSE_BYTES - len(kept)]
                    if len(kept) >= WEBHOOK_MAX_RESPONSE_BYTES:
                        break
            finally:
                await response.aclose()
        return Answer(response.status_code, kept.decode("utf-8", "replace"))

    async def aclose(self) -> None:
        await self._client.aclose()
