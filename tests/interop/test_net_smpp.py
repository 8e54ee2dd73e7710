"""Interop with Perl's Net::SMPP (Debian libnet-smpp-perl) as the SMSC: net_smpp_smsc.pl.

Net::SMPP is an independent, long-lived SMPP 3.4 implementation; if it reads our submit_sm the
way we meant them and we read its receipts and MO messages, our codec and delivery path do not
merely agree with themselves.
"""

import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.interop import support
from tests.interop.support import Env, Peer

pytestmark = pytest.mark.interop

SCRIPT = support.HERE / "net_smpp_smsc.pl"


@pytest.fixture(scope="session")
def perl() -> str:
    """The perl binary, which must have Net::SMPP (a missing peer fails, never skips)."""
    perl = shutil.which("perl")
    found = perl is not None and subprocess.run([perl, "-MNet::SMPP", "-e", "1"]).returncode == 0
    if perl is None or not found:
        pytest.fail(
            "Perl's Net::SMPP is not installed: `apt-get install libnet-smpp-perl` "
            "(scripts/test does it)",
            pytrace=False,
        )
    return perl


@pytest.fixture
async def env(perl: str, tmp_path: Path) -> AsyncIterator[Env]:
    peer = await Peer.start(perl, str(SCRIPT), "0")
    async with support.gateway_on(peer, tmp_path) as env:
        yield env
    assert env.peer.returncode == 0, env.peer.events


async def test_bind_and_unbind(env: Env) -> None:
    bind = await support.check_bind_and_unbind(env)
    assert bind["mode"] == "transceiver"
    assert bind["password"] == "secret"
    assert bind["system_type"] == ""
    assert bind["interface_version"] == 0x34


async def test_gsm_text_is_sent_and_delivered(env: Env) -> None:
    await support.check_gsm_text(env)


async def test_ucs2_text_is_sent_and_delivered(env: Env) -> None:
    await support.check_ucs2_text(env)


@pytest.mark.parametrize(
    "case", [support.GSM_THREE_PARTS, support.UCS2_THREE_PARTS], ids=["gsm7", "ucs2"]
)
async def test_three_part_message_is_sent_and_delivered(
    env: Env, case: tuple[str, int, list[int]]
) -> None:
    await support.check_three_parts(env, *case)


async def test_mo_stop_opts_the_phone_out(env: Env) -> None:
    await support.check_mo_stop(env)


async def test_idle_link_is_kept_alive_with_enquire_link(perl: str, tmp_path: Path) -> None:
    """Net::SMPP answers our enquire_link; the session stays up and keeps working."""
    peer = await Peer.start(perl, str(SCRIPT), "0")
    async with support.gateway_on(peer, tmp_path, enquire_link_interval=0.05) as env:
        await peer.wait_for("enquire_link", 3)
        assert env.gw.dispatcher is not None
        assert env.gw.dispatcher.links[env.link].bound_sessions == 1
        await support.check_gsm_text(env)
        assert len(peer.of("bind")) == 1  # never reconnected
    assert peer.returncode == 0, peer.events
