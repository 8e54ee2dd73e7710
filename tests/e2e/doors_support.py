"""Helpers of the WhatCounts door tests (`test_api_web_stop.py`, `test_whatcounts_rest.py`)."""

import json
import re

import aiosqlite
import httpx

from tests.e2e.support import TEXT_PLAIN, RealmSpec, Server, reply

STOPPED = "SUCCESS: Stopping message to phone was successful"
VENDOR = {"accept": "application/vnd.whatcounts-v1+json"}


async def opt_outs(server: Server, phone: str) -> list[tuple[str, str, str]]:
    """(realm, sender code, source) of every opt-out of `phone` (normalised), straight from
    the server's SQLite file."""
    query = (
        "SELECT r.name, o.sender_code, o.source FROM opt_outs o JOIN realms r ON r.id = o.realm_id"
        " WHERE o.phone = ? ORDER BY r.name, o.sender_code"
    )
    async with (
        aiosqlite.connect(server.data_dir / "smsgate.db") as db,
        db.execute(query, (phone,)) as cursor,
    ):
        return [tuple(row) for row in await cursor.fetchall()]  # type: ignore[misc]


def stop_reply(response: httpx.Response) -> str:
    """The reply line of a stop: what `support.reply` checks, with the stop's SUCCESS line."""
    if response.text == STOPPED:
        assert response.status_code == 200
        assert response.headers["content-type"] == TEXT_PLAIN
        assert response.content == STOPPED.encode()  # byte for byte, no newline
        return STOPPED
    return reply(response)


def compact(body: object) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def basic(realm: RealmSpec, password: str | None = None) -> httpx.BasicAuth:
    return httpx.BasicAuth(realm.name, realm.password if password is None else password)


def send_path(text: str, phone: str, code: str) -> str:
    return f"/rest/sms/sendMessageToPhone/{text}/{phone}/{code}"


def stop_path(phone: str, code: str) -> str:
    return f"/rest/sms/stopSubscriberSend/{phone}/{code}"


def error(status: int, phrase: str, reason: str) -> bytes:
    return compact({"error": reason, "status": phrase, "statusCode": status})


def throttled(metrics: str, outcome: str) -> float:
    found = re.search(rf'smsgate_auth_throttled_total{{outcome="{outcome}"}} (\S+)', metrics)
    return float(found[1]) if found else 0.0
