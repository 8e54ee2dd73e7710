"""The operator console of a gateway process: its stores, services, pages and rate sampler."""

from dataclasses import dataclass

from prometheus_client import Metric
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from smsgate.bootstrap.gateway import Gateway, webhook_service
from smsgate.console.admin_pages import AdminPages
from smsgate.console.login import LoginPages
from smsgate.console.optout_pages import OptOutPages
from smsgate.console.pages import Pages
from smsgate.console.web import HEADERS, ROOT, Web
from smsgate.console.webhook_pages import WebhookPages
from smsgate.domain.api_key import ApiKey
from smsgate.domain.console import Viewer
from smsgate.domain.model import SenderCode
from smsgate.domain.receipt import ReceiptState
from smsgate.metrics import COMMIT_BATCH, RECEIPTS, SUBMITS
from smsgate.services.api_keys import ApiKeys
from smsgate.services.console_admin import ConsoleAdmin
from smsgate.services.console_auth import ConsoleAuth
from smsgate.services.console_imports import ConsoleImports
from smsgate.services.console_keys import ConsoleKeys
from smsgate.services.console_optouts import ConsoleOptOuts
from smsgate.services.console_rates import RateSampler, Totals
from smsgate.services.console_views import ConsoleViews, LinkState
from smsgate.services.console_webhooks import ConsoleWebhooks
from smsgate.services.optouts import OptOuts
from smsgate.services.realms import Realms
from smsgate.services.senders import Senders
from smsgate.store.console_optouts import ConsoleOptOutQueries
from smsgate.store.console_queries import ConsoleQueries
from smsgate.store.console_reveals import RevealStore
from smsgate.store.console_sessions import ConsoleSessionStore
from smsgate.store.console_users import ConsoleUserStore
from smsgate.store.console_webhooks import ConsoleWebhookQueries
from smsgate.store.realms import RealmStore


class _Directory:
    def __init__(self, realms: RealmStore, keys: ApiKeys) -> None:
        self._realms = realms
        self._keys = keys

    async def list_realm_names(self) -> list[tuple[int, str]]:
        return [(r.id, r.name) for r in await self._realms.list_realms()]

    async def senders(self, realm: str) -> list[SenderCode]:
        return await self._realms.list_senders(realm)

    async def keys(self, realm: str) -> list[ApiKey]:
        return await self._keys.list(realm)


class _Realms:
    def __init__(self, realms: RealmStore, queries: ConsoleQueries) -> None:
        self._realms = realms
        self._queries = queries

    async def realm_id(self, name: str) -> int:
        return await self._realms.realm_id(name)

    async def realm_ids(self) -> list[int]:
        return await self._queries.realm_ids()


def _sum(metric: Metric, suffix: str, **labels: str) -> float:
    return sum(
        s.value
        for s in metric.samples
        if s.name.endswith(suffix) and all(s.labels.get(k) == v for k, v in labels.items())
    )


def _failed_receipt(state: str) -> bool:
    return state not in (ReceiptState.DELIVERED, ReceiptState.ACCEPTED, ReceiptState.ENROUTE)


def read_totals() -> Totals:
    """accepted (messages committed), submitted parts, delivered parts, failed parts."""
    (batches,) = COMMIT_BATCH.collect()
    (submits,) = SUBMITS.collect()
    (receipts,) = RECEIPTS.collect()
    failed_receipts = sum(
        s.value
        for s in receipts.samples
        if s.name.endswith("_total") and _failed_receipt(s.labels["state"])
    )
    return (
        _sum(batches, "_sum"),
        _sum(submits, "_total", result="ok"),
        _sum(receipts, "_total", state=ReceiptState.DELIVERED.value),
        _sum(submits, "_total", result="error") + failed_receipts,
    )


@dataclass
class Console:
    routes: list[BaseRoute]
    rates: RateSampler
    imports: ConsoleImports

    def start(self) -> None:
        self.rates.start()

    async def stop(self) -> None:
        await self.imports.stop()
        await self.rates.stop()


def build_console(gateway: Gateway) -> Console:
    db = gateway.db
    dispatcher = gateway.dispatcher

    def links() -> list[LinkState]:
        if dispatcher is None:
            return []
        (metric,) = SUBMITS.collect()
        return [
            LinkState(
                name=name,
                bound=link.bound_sessions,
                binds=link.config.binds,
                window_in_use=dispatcher.window_in_use(name),
                window=link.config.window * link.config.binds,
                throttled=int(_sum(metric, "_total", connection=name, result="throttled")),
            )
            for name, link in sorted(dispatcher.links.items())
        ]

    web = Web(
        ConsoleAuth(
            ConsoleUserStore(db),
            ConsoleSessionStore(db),
            idle_timeout=gateway.settings.console_idle_timeout,
        )
    )
    queries = ConsoleQueries(db)
    hooks = ConsoleWebhooks(
        webhook_service(db, gateway.realms, gateway.settings),
        ConsoleWebhookQueries(db),
        gateway.realms,
        RevealStore(db),
    )
    views = ConsoleViews(
        queries, _Directory(gateway.realms, gateway.api_keys), links=links, webhooks=hooks
    )
    region = gateway.settings.resolved_default_region
    senders = Senders(gateway.realms, default_region=region)
    optouts = ConsoleOptOuts(
        OptOuts(gateway.optouts, senders, default_region=region),
        ConsoleOptOutQueries(db),
        _Realms(gateway.realms, queries),
    )
    rates = RateSampler(read_totals)
    keys = ConsoleKeys(gateway.api_keys, gateway.realms)
    pages = Pages(web, views, optouts, rates, keys)
    imports = ConsoleImports(optouts.import_rows)
    optout_pages = OptOutPages(web, optouts, views, imports)
    login = LoginPages(web)
    managing = ConsoleAdmin(
        Realms(gateway.realms), senders, gateway.api_keys, changed=gateway.senders.invalidate
    )
    admin = AdminPages(web, managing, views)
    webhooks = WebhookPages(web, hooks, views)

    async def to_root(_: Request) -> Response:
        return RedirectResponse(f"{ROOT}/", status_code=303, headers=HEADERS)

    async def unknown(_: Request, viewer: Viewer) -> Response:
        return web.not_found(viewer)

    page = web.page
    both = ["GET", "POST"]
    routes: list[BaseRoute] = [
        Route("/", page(pages.overview)),
        Route("/overview/figures", page(pages.figures)),
        Route("/overview/throughput.json", page(pages.throughput)),
        Route("/login", login.login, methods=["GET", "POST"]),
        Route("/logout", page(login.logout), methods=["POST"]),
        Route("/messages", page(pages.messages)),
        Route("/messages/{message_id}", page(pages.message)),
        Route("/optouts", page(optout_pages.show), methods=["GET"]),
        Route("/optouts", page(optout_pages.change), methods=["POST"]),
        Route("/optouts.csv", page(optout_pages.export)),
        Route("/optouts/import", page(optout_pages.import_), methods=["POST"]),
        Route("/optouts/import/{job_id}", page(optout_pages.import_page)),
        Route("/optouts/import/{job_id}/progress", page(optout_pages.import_progress)),
        Route("/inbound", page(pages.inbound)),
        Route("/realms", page(pages.realms), methods=["GET"]),
        Route("/realms", page(admin.create_realm), methods=["POST"]),
        Route("/realms/{realm}/password", page(admin.set_password), methods=["POST"]),
        Route("/realms/{realm}/senders", page(admin.add_sender), methods=["POST"]),
        Route("/realms/{realm}/senders/{code}", page(admin.sender), methods=["GET"]),
        Route("/realms/{realm}/senders/{code}", page(admin.change_sender), methods=["POST"]),
        Route("/realms/{realm}/senders/{code}/remove", page(admin.remove_sender), methods=both),
        Route("/realms/{realm}/keys/{key_id}/rotate", page(admin.rotate_key), methods=both),
        Route("/realms/{realm}/keys", page(pages.create_key), methods=["POST"]),
        Route("/realms/{realm}/keys/{key_id}/revoke", page(pages.revoke_key), methods=["POST"]),
        Route("/webhooks", page(webhooks.show), methods=["GET"]),
        Route("/webhooks", page(webhooks.add), methods=["POST"]),
        Route(
            "/webhooks/{realm}/endpoints/{endpoint_id}/test", page(webhooks.test), methods=["POST"]
        ),
        Route(
            "/webhooks/{realm}/endpoints/{endpoint_id}/remove", page(webhooks.remove), methods=both
        ),
        Route(
            "/webhooks/{realm}/deliveries/{delivery_id:int}/replay",
            page(webhooks.replay),
            methods=["POST"],
        ),
        Mount("/static", app=StaticFiles(packages=[("smsgate.console", "static")])),
        Route("/{rest:path}", page(unknown), methods=["GET", "POST"]),
    ]
    return Console(
        routes=[Route(ROOT, to_root), Mount(ROOT, routes=routes)],
        rates=rates,
        imports=imports,
    )
