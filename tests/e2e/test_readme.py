"""The README quick start, step by step, against a freshly started server."""

from tests.e2e.support import SUCCESS, Cli, ServerFactory, make_client, reply

README_URL = (
    "/bin/api_web?r=myrealm&p=mypass&c=smssendmessagetophone&phone=12065551212"
    "&sender_code=120162701555&message_text=Your%20message%20is%20delivered"
)


async def test_readme_quick_start(server_factory: ServerFactory) -> None:
    server = await server_factory()  # an empty data directory: serve creates the schema
    cli = Cli(server.data_dir)
    assert (await cli("realm", "add", "myrealm", "--password", "mypass")).ok() == (
        "realm myrealm added\n"
    )
    assert (await cli("sender", "add", "myrealm", "120162701555")).ok() == (
        "sender code 120162701555 added to realm myrealm\n"
    )
    async with make_client(server) as client:
        response = await client.get(README_URL)
        assert reply(response) == SUCCESS
        assert response.content == SUCCESS.encode()  # byte for byte, no newline
        assert (await client.get("/healthz")).text == "ok"

    listing = (await cli("messages", "list", "myrealm")).ok().splitlines()
    assert len(listing) == 1
    fields = listing[0].split("\t")
    assert fields[2:] == [
        "queued",
        "120162701555",
        "12065551212",
        "gsm7/1",
        "'Your message is delivered'",
    ]
