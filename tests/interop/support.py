"""Shared machinery of the interop tests: a peer SMSC in a subprocess, a gateway bound to it, and
the checks every peer must pass.

A peer SMSC is a script (net_smpp_smsc.pl, smpp34_smsc.py) that prints "LISTENING <port>", then
one JSON object per line for everything it receives (`submit_sm` with short_message in hex,
`bind`, `receipt_acked` / `mo_acked` with the status of our deliver_sm_resp, `unbound`). A GSM
submit_sm whose text is "SENDSTOP" makes the peer send a mobile-originated "STOP" from the phone
it was sent to. Tests wait on those lines (`Peer.wait_for`), never on sleeps.
"""

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smsgate.auth.passwords import hash_password
from smsgate.bootstrap import Gateway, build
from smsgate.config import GatewayConfig, SmppConnectionConfig
from smsgate.domain.encoding import segment
from smsgate.domain.keywords import DEFAULT_STOP_REPLY
from smsgate.domain.model import Message, Outcome, Status
from smsgate.ids import new_message_id
from smsgate.settings import Settings
from tests.conftest import CHEAP_HASHER
from tests.support.waiting import eventually, scaled

HERE = Path(__file__).parent
TIMEOUT = 30.0  # cap on every wait (a loaded machine); a healthy run needs milliseconds

REALM = "acme"
CODE = "12345"  # a short code: sent with TON 3 (network specific), NPI 0
PHONE = "12065550100"  # already normalised (NANP): sent with TON 1, NPI 1
STOP_TRIGGER = "SENDSTOP"


Event = dict[str, Any]


class Peer:
    """An SMPP peer (an SMSC, or an ESME for our simulator) running as a subprocess; collects
    the JSON lines it prints."""

    def __init__(self, proc: asyncio.subprocess.Process, port: int, name: str) -> None:
        self.proc = proc
        self.port = port
        self.name = name
        self.events: list[Event] = []
        self.returncode: int | None = None
        self._changed = asyncio.Condition()
        self._eof = False
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, *argv: str, listens: bool = True) -> "Peer":
        """Run `argv`; when it `listens`, wait for its "LISTENING <port>" line."""
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE
        )
        assert proc.stdout is not None
        port = "0"
        try:
            if listens:
                async with asyncio.timeout(scaled(TIMEOUT)):
                    line = await proc.stdout.readline()
                word, port = line.decode().split()
                if word != "LISTENING":
                    raise ValueError(f"unexpected first line {line!r}")
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise
        return cls(proc, int(port), Path(argv[1]).name)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        try:
            async for line in self.proc.stdout:
                try:
                    event = json.loads(line)
                except ValueError:
                    event = {"event": "unparsable", "line": line.decode(errors="replace")}
                async with self._changed:
                    self.events.append(event)
                    self._changed.notify_all()
        finally:
            async with self._changed:
                self._eof = True
                self._changed.notify_all()

    def of(self, name: str, **match: Any) -> list[Event]:
        """The events called `name` whose fields include `match`."""
        return [
            e
            for e in self.events
            if e["event"] == name and all(e.get(k) == v for k, v in match.items())
        ]

    async def wait_for(self, name: str, count: int = 1, **match: Any) -> list[Event]:
        """Wait until `count` events `name` (matching `match`) arrived; return all of them."""
        try:
            async with asyncio.timeout(scaled(TIMEOUT)), self._changed:
                while len(found := self.of(name, **match)) < count:
                    if self._eof:
                        raise AssertionError(f"{self.name} exited")
                    await self._changed.wait()
                return found
        except (TimeoutError, AssertionError) as exc:
            raise AssertionError(
                f"{self.name}: waited for {count} x {name} {match}: {exc!r}; got {self.events}"
            ) from None

    async def submits_to(self, phone: str, count: int) -> list[Event]:
        return await self.wait_for("submit_sm", count, destination_addr=phone)

    async def close(self) -> int:
        """Wait (bounded) for the peer to exit by itself, else terminate it; its exit code."""
        if self.returncode is None:
            try:
                async with asyncio.timeout(5):
                    await self.proc.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.terminate()
                await self.proc.wait()
            await self._reader
            self.returncode = self.proc.returncode
        assert self.returncode is not None
        return self.returncode


@dataclass
class Env:
    """A gateway bound to a peer, with one realm and one sender code."""

    gw: Gateway
    peer: Peer
    realm_id: int
    link: str
    closed: bool = False

    async def close(self) -> int:
        """Stop the gateway (it unbinds), then the peer; the peer's exit code."""
        if not self.closed:
            self.closed = True
            try:
                await self.gw.stop()
            finally:
                await self.peer.close()
        return await self.peer.close()

    async def send(self, text: str, phone: str = PHONE) -> tuple[str, Outcome]:
        """Accept a message as api_web would; its id and the outcome."""
        segmented = segment(text)
        message = Message(
            id=new_message_id(),
            realm_id=self.realm_id,
            sender_code=CODE,
            phone=phone,
            text=text,
            encoding=segmented.encoding.value,
            parts=segmented.count,
            created_at=time.time(),
        )
        return message.id, await self.gw.accepter.accept(message)

    async def wait_status(self, message_id: str, status: Status) -> None:
        """Until the message has `status` in the store (nothing signals a status change)."""
        current: list[Status | None] = [None]

        async def reached() -> bool:
            message = await self.gw.messages.get(self.realm_id, message_id)
            current[0] = message.status if message else None
            return current[0] == status

        await eventually(
            reached,
            timeout=TIMEOUT,
            what=f"message {message_id} to be {status}",
            describe=lambda: f"it is {current[0]}",
        )


@contextlib.asynccontextmanager
async def gateway_on(peer: Peer, tmp_path: Path, **link_options: Any) -> AsyncIterator[Env]:
    """A started gateway whose only SMPP connection is `peer`, bound; stopped afterwards.
    `link_options` are more SmppConnectionConfig fields."""
    link = "peer"
    config = GatewayConfig(
        smpp=(
            SmppConnectionConfig(
                name=link,
                host="127.0.0.1",
                port=peer.port,
                system_id="acme",
                password="secret",
                reconnect_initial=0.05,
                **link_options,
            ),
        )
    )
    settings = Settings(
        data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'smsgate.db'}"
    )
    gw = build(settings, config)
    env: Env | None = None
    try:
        await gw.start()
        realm_id = await gw.realms.add_realm(REALM, hash_password("pw", hasher=CHEAP_HASHER))
        await gw.realms.add_sender(REALM, CODE)
        env = Env(gw, peer, realm_id, link)
        assert gw.dispatcher is not None
        async with asyncio.timeout(scaled(TIMEOUT)):
            await gw.dispatcher.links[link].wait_bound()
        yield env
    finally:
        if env is not None:
            await env.close()
        else:
            await gw.stop()
            await peer.close()


# ---------------------------------------------------------------------------- the checks


def payload(submit: Event) -> bytes:
    return bytes.fromhex(submit["short_message"])


async def check_bind_and_unbind(env: Env) -> Event:
    """The gateway binds as a transceiver with our credentials and unbinds cleanly at stop."""
    [bind] = await env.peer.wait_for("bind")
    assert bind["system_id"] == "acme"
    assert env.gw.dispatcher is not None
    assert env.gw.dispatcher.links[env.link].bound_sessions == 1
    assert await env.close() == 0
    assert env.peer.of("unbound"), env.peer.events
    return bind


async def check_gsm_text(env: Env) -> None:
    """GSM 03.38 text goes out unpacked with data_coding 0, extension chars escaped; the
    peer's receipt makes the message delivered."""
    text = "Hi @ {ok} 5€"
    message_id, outcome = await env.send(text)
    assert outcome is Outcome.ACCEPTED
    [submit] = await env.peer.submits_to(PHONE, 1)
    assert submit["data_coding"] == 0
    assert submit["esm_class"] == 0
    assert submit["registered_delivery"] == 1
    # H  i  ' ' @  ' ' {    o  k  }    ' ' 5  €
    assert payload(submit) == bytes.fromhex("4869 2000 20 1b28 6f6b 1b29 2035 1b65")
    assert (submit["source_addr"], submit["source_addr_ton"], submit["source_addr_npi"]) == (
        CODE,
        3,
        0,
    )
    assert (submit["destination_addr"], submit["dest_addr_ton"], submit["dest_addr_npi"]) == (
        PHONE,
        1,
        1,
    )
    await env.wait_status(message_id, Status.DELIVERED)
    [ack] = await env.peer.wait_for("receipt_acked")
    assert (ack["message_id"], ack["status"]) == (submit["message_id"], 0)


async def check_ucs2_text(env: Env) -> None:
    """Text outside GSM 03.38 goes out as UTF-16-BE with data_coding 8 (astral chars as
    surrogate pairs) and is delivered."""
    text = "Привет, мир 👋"
    message_id, outcome = await env.send(text)
    assert outcome is Outcome.ACCEPTED
    [submit] = await env.peer.submits_to(PHONE, 1)
    assert submit["data_coding"] == 8
    assert submit["esm_class"] == 0
    assert payload(submit) == text.encode("utf-16-be")
    assert payload(submit)[-4:] == bytes.fromhex("d83d dc4b")  # U+1F44B as a surrogate pair
    await env.wait_status(message_id, Status.DELIVERED)


async def check_three_parts(env: Env, text: str, data_coding: int, part_octets: list[int]) -> None:
    """A 3-part message: 3 submit_sm with UDH 05 00 03 ref 03 n and esm_class 0x40, every
    part decodable on its own, joining back to the text; delivered once all 3 receipts are in."""
    message_id, outcome = await env.send(text)
    assert outcome is Outcome.ACCEPTED
    submits = await env.peer.submits_to(PHONE, 3)
    assert len(submits) == 3
    # The UDH numbers the parts; the order they reach the SMSC in does not matter (smpp34's
    # server hands out concurrent submit_sm in any order).
    submits.sort(key=lambda submit: payload(submit)[5])
    refs = set()
    bodies = []
    for number, submit in enumerate(submits, start=1):
        assert submit["esm_class"] == 0x40
        assert submit["data_coding"] == data_coding
        data = payload(submit)
        assert data[:3] == bytes((0x05, 0x00, 0x03))
        assert data[4:6] == bytes((3, number)), [payload(s)[:6].hex() for s in submits]
        refs.add(data[3])
        # one SMS: 140 octets of TP-UD, i.e. 153 unpacked septets or 134 octets after the UDH
        assert len(data) - 6 <= (134 if data_coding == 8 else 153)
        bodies.append(data[6:])
    assert len(refs) == 1
    if data_coding == 8:
        parts = [body.decode("utf-16-be") for body in bodies]  # strict: no split surrogates
    else:
        parts = [body.decode("ascii") for body in bodies]  # the text is plain ASCII letters
    assert "".join(parts) == text
    assert [len(body) for body in bodies] == part_octets
    await env.wait_status(message_id, Status.DELIVERED)
    acks = await env.peer.wait_for("receipt_acked", 3)
    assert [a["status"] for a in acks] == [0, 0, 0]


async def check_mo_stop(env: Env) -> None:
    """The peer's mobile-originated STOP opts the phone out of the sender code, is answered
    with the STOP confirmation, and a later message to that phone is refused."""
    other = "12065550199"
    _, outcome = await env.send(STOP_TRIGGER)
    assert outcome is Outcome.ACCEPTED
    [mo_ack] = await env.peer.wait_for("mo_acked")
    assert mo_ack["status"] == 0
    optouts = env.gw.optouts
    assert await optouts.is_opted_out(env.realm_id, CODE, PHONE)  # stored before the ack
    assert not await optouts.is_opted_out(env.realm_id, CODE, other)
    submits = await env.peer.submits_to(PHONE, 2)  # the trigger, then the confirmation
    assert payload(submits[1]) == DEFAULT_STOP_REPLY.encode("ascii")
    assert submits[1]["source_addr"] == CODE
    _, outcome = await env.send("after the STOP")
    assert outcome is Outcome.OPTED_OUT
    _, outcome = await env.send("another phone", phone=other)
    assert outcome is Outcome.ACCEPTED
    await env.peer.submits_to(other, 1)
    assert len(env.peer.of("submit_sm", destination_addr=PHONE)) == 2


# (text, data_coding, octets of each part after the UDH)
GSM_THREE_PARTS = (("The quick brown fox jumps over the lazy dog " * 10)[:400], 0, [153, 153, 94])
# 160 chars, the api_web maximum: 66 Cyrillic chars, then an emoji that would straddle the
# 67-unit boundary of part 1 (so it opens part 2: 66 + 67 + 28 UTF-16 units), then more Cyrillic
_CYRILLIC = "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 3
UCS2_THREE_PARTS = (_CYRILLIC[:66] + "🙂" + _CYRILLIC[66:159], 8, [132, 134, 56])
