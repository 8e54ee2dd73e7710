"""Many clients at once: every SUCCESS is a committed row, exactly once."""

import asyncio

from tests.e2e.support import BULK, SUCCESS, Server, make_client, reply, send_args, stored

N = 300


async def test_concurrent_requests_are_all_committed_once(shared_server: Server) -> None:
    requests = [send_args(BULK, message_text=f"bulk {i}") for i in range(N)]
    async with make_client(shared_server, connections=N) as client:
        responses = await asyncio.gather(
            *(
                client.get("/api_web", params=args) if i % 2 else client.post("/api_web", data=args)
                for i, args in enumerate(requests)
            )
        )
    assert [reply(r) for r in responses] == [SUCCESS] * N

    listed = [m for m in await stored(shared_server) if m["realm"] == BULK.name]
    assert len(listed) == N
    assert len({m["id"] for m in listed}) == N
    assert sorted((m["phone"], m["text"]) for m in listed) == sorted(
        ("1" + args["phone"], args["message_text"]) for args in requests
    )
    assert {m["status"] for m in listed} == {"queued"}
