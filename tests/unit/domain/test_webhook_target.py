"""Which webhook URLs and addresses may be called (SSRF refusals)."""

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.webhook_target import (
    Target,
    address_refusal,
    addresses_refusal,
    parse_target,
)

PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.1.1",
    "169.254.169.254",
    "fd00:ec2::254",
    "fe80::1",
    "fc00::1",
    "224.0.0.1",
    "ff02::1",
    "0.0.0.0",
    "::",
    "240.0.0.1",
    "100.64.0.1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "192.0.2.1",  # documentation
]


def test_urls() -> None:
    assert parse_target("https://example.com/hook") == Target("https", "example.com", 443)
    assert parse_target("HTTP://Example.com:8080/x?y=1") == Target("http", "example.com", 8080)
    assert parse_target("http://[::1]:9/") == Target("http", "::1", 9)
    for bad in (
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://example.com",
        "example.com/hook",
        "http:///nohost",
        "https://user:pw@example.com/",
        "http://example.com:99999/",
        "http://exa mple.com/",
        "https://example.com/" + "x" * 3000,
    ):
        with pytest.raises(ValueError):
            parse_target(bad)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert addresses_refusal([address], allow_private=False) is None


@pytest.mark.parametrize("address", REFUSED)
def test_internal_addresses_are_refused(address: str) -> None:
    assert addresses_refusal([address], allow_private=False) is not None


def test_one_bad_address_refuses_the_host_and_no_address_too() -> None:
    assert addresses_refusal(["8.8.8.8", "10.0.0.1"], allow_private=False) is not None
    assert addresses_refusal([], allow_private=False) == "the host name does not resolve"
    assert addresses_refusal(["not-an-ip"], allow_private=True) is not None


def test_allow_private_allows_all_but_the_metadata_addresses() -> None:
    for address in REFUSED:
        metadata = "169.254.169.254" in address or address == "fd00:ec2::254"
        refused = addresses_refusal([address], allow_private=True) is not None
        assert refused == metadata, address


@given(st.ip_addresses(v=4))
def test_mapped_ipv6_is_judged_as_its_ipv4(v4: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{v4}")
    assert (address_refusal(mapped, allow_private=False) is None) == (
        address_refusal(v4, allow_private=False) is None
    )


@given(st.ip_addresses())
def test_only_global_addresses_pass(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    if address_refusal(address, allow_private=False) is None:
        assert address.is_global
        assert not address.is_private and not address.is_loopback and not address.is_multicast


@given(st.ip_addresses(network="10.0.0.0/8") | st.ip_addresses(network="127.0.0.0/8"))
def test_private_and_loopback_networks_are_refused(address: ipaddress.IPv4Address) -> None:
    assert address_refusal(address, allow_private=False) is not None
