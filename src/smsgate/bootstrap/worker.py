"""The app of one API worker (`workers/worker.py`): api_web and WhatCounts' REST door over the
same `Sending` and `Stopping` services as a gateway process, committing messages and opt-outs
through the core process (`RemoteAccepter`) instead of a group commit of its own. It reads
realms and sender codes and never writes the database. Every other path (the JSON API, the
console, the docs) is passed to the core's own HTTP server (`CoreProxy`, workers/core_http.py).
"""

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount

from smsgate.auth.authenticator import Authenticator
from smsgate.http.api_web import ApiWeb
from smsgate.http.app import FastPath, assemble
from smsgate.http.core_proxy import CoreProxy
from smsgate.http.whatcounts_rest import WhatCountsRest
from smsgate.ids import new_message_id
from smsgate.metrics import worker_exposition
from smsgate.services.errors import StoreUnavailable
from smsgate.services.optouts import Stopping
from smsgate.services.sending import Sending
from smsgate.settings import Settings
from smsgate.store.database import open_database
from smsgate.store.directory import SenderDirectory
from smsgate.store.realms import RealmStore
from smsgate.workers.remote_accepter import RemoteAccepter


def worker_app(settings: Settings, core: RemoteAccepter, core_http: str) -> FastPath:
    """`core_http`: the path of the core's HTTP socket (workers/core_http.py)."""
    db = open_database(settings.resolved_database_url)
    realms = RealmStore(db)
    region = settings.resolved_default_region
    auth = Authenticator(realms.credential)
    senders = SenderDirectory(realms, region=region)
    # the core commits messages and opt-outs alike: `core` is the accepter and the opt-out list
    sending = Sending(senders, core, default_region=region, new_id=new_message_id)
    stopping = Stopping(senders, core, default_region=region)
    api_web = ApiWeb(auth, sending, stopping)
    rest_door = WhatCountsRest(auth, sending, stopping)

    async def metrics(_: Request) -> Response:
        try:
            text = await core.core_metrics() + worker_exposition()
        except StoreUnavailable:
            return Response("core process unreachable\n", status_code=503)
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    proxy = CoreProxy(core_http)

    async def stop() -> None:
        await proxy.aclose()
        await core.stop()
        await db.dispose()

    rest = [Mount("/rest", app=rest_door)]
    return assemble(api_web, metrics, core.core_ready, core.start, stop, rest, fallback=proxy)
