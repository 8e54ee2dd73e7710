"""Which webhook URLs and addresses the gateway may call (server-side request forgery).

A webhook URL is chosen by a realm's operator, and the gateway calls it from inside the network
it runs in. So a URL must be http or https with a host name, and every address its host
resolves to must be a public one: loopback, private (RFC 1918, unique local), link-local,
carrier-grade NAT, multicast, reserved, unspecified and documentation ranges are refused, IPv4
addresses written as IPv6 (IPv4-mapped, NAT64, 6to4) are judged as the IPv4 address they carry,
and the cloud metadata addresses (169.254.169.254, fd00:ec2::254) are refused always.
`SMSGATE_WEBHOOK_ALLOW_PRIVATE=true` (development, tests) allows every address except those
metadata addresses, which no webhook has a reason to call.

The check runs when an endpoint is added and again on every connection, on the addresses that
connection then uses (DNS may answer differently the second time: rebinding). Pure functions over
already resolved addresses; resolving is the caller's.
"""

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from smsgate.constants import WEBHOOK_URL_MAX_CHARS

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SCHEMES = {"http": 80, "https": 443}


class InvalidUrl(ValueError):
    """Not a URL webhooks may have: its form (scheme, host, length, characters)."""


class RefusedUrl(ValueError):
    """A well-formed URL whose host does not resolve, or resolves to an address webhooks must
    not call."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where a webhook URL points: its scheme, host (name or address) and port."""

    scheme: str
    host: str
    port: int


def parse_target(url: str) -> Target:
    """The target of `url`; InvalidUrl with the reason if it is not one we call."""
    if len(url) > WEBHOOK_URL_MAX_CHARS:
        raise InvalidUrl(f"the URL is longer than {WEBHOOK_URL_MAX_CHARS} characters")
    if not url.isprintable() or any(c.isspace() for c in url):
        raise InvalidUrl("the URL has spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidUrl(f"not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise InvalidUrl("only http and https URLs are allowed")
    host = parts.hostname
    if not host:
        raise InvalidUrl("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise InvalidUrl("the URL must not contain a user name or password")
    return Target(scheme=scheme, host=host, port=port or _SCHEMES[scheme])


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def address_refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why the gateway must not call `address`, or None if it may."""
    if address in METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    inner = embedded_ipv4(address)
    if inner is not None:
        reason = address_refusal(inner, allow_private=allow_private)
        return None if reason is None else f"{address} carries {inner}: {reason}"
    if allow_private:
        return None
    for kind, flag in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    ):
        if flag:
            return f"{address} is a {kind} address"
    if not address.is_global:  # carrier-grade NAT (100.64/10) and the like
        return f"{address} is not a public address"
    return None


def addresses_refusal(addresses: list[str], *, allow_private: bool) -> str | None:
    """Why the gateway must not call a host that resolved to `addresses` (one refused address
    refuses the host: the connection might use it), or None if it may."""
    if not addresses:
        return "the host name does not resolve"
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
        except ValueError:
            return f"{text!r} is not an IP address"
        reason = address_refusal(address, allow_private=allow_private)
        if reason is not None:
            return reason
    return None
