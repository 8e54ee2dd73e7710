"""The console's pages: overview, messages, a message, inbound, realms and their API keys
(the webhooks page is console/webhook_pages.py)."""

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from smsgate.console.web import Web
from smsgate.domain.console import Viewer
from smsgate.domain.model import Status
from smsgate.services.api_keys import CreatedKey
from smsgate.services.console_keys import ConsoleKeys
from smsgate.services.console_optouts import ConsoleOptOuts
from smsgate.services.console_rates import RateSampler
from smsgate.services.console_views import ConsoleViews
from smsgate.services.errors import NotFound

STATUSES = [s.value for s in Status]


def _param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value or None


def _utc(text: str | None) -> float | None:
    """Epoch seconds of a UTC date and time as a `datetime-local` input sends it
    (2026-12-05T08:30, seconds optional); ValueError for anything else."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise ValueError(f"not a date and time: {text}") from None


class Pages:
    def __init__(
        self,
        web: Web,
        views: ConsoleViews,
        optouts: ConsoleOptOuts,
        rates: RateSampler,
        keys: ConsoleKeys,
    ) -> None:
        self._web = web
        self._keys = keys
        self._views = views
        self._optouts = optouts
        self._rates = rates

    async def overview(self, _request: Request, viewer: Viewer) -> Response:
        data = await self._views.overview(viewer)
        return self._web.render("overview.html", viewer, overview=data, page="overview")

    async def figures(self, _request: Request, viewer: Viewer) -> Response:
        """The overview's figures alone: htmx swaps them in every few seconds."""
        data = await self._views.overview(viewer)
        return self._web.render("overview_figures.html", viewer, overview=data)

    async def throughput(self, _request: Request, viewer: Viewer) -> Response:
        """The chart's data (operators only: it counts every realm's messages)."""
        if not viewer.is_operator:
            return self._web.not_found(viewer)
        return JSONResponse(self._rates.rates(), headers={"Cache-Control": "no-store"})

    async def messages(self, request: Request, viewer: Viewer) -> Response:
        names = ("phone", "status", "id", "sender_code", "since", "until")
        query = {name: _param(request, name) for name in names}
        error = None
        rows = []
        next_cursor = None
        try:
            phone = self._optouts.phone(query["phone"]) if query["phone"] else None
            status = query["status"]
            if status is not None and status not in STATUSES:
                raise ValueError(f"unknown status {status}")
            if query["id"]:
                try:
                    found, _ = await self._views.message(viewer, query["id"])
                    rows = [found]
                except NotFound:
                    rows = []
            else:
                page = await self._views.messages(
                    viewer,
                    phone=phone,
                    status=status,
                    sender_code=query["sender_code"],
                    before=_param(request, "before"),
                    since=_utc(query["since"]),
                    until=_utc(query["until"]),
                )
                rows, next_cursor = page.rows, page.next_cursor
        except ValueError as exc:
            error = str(exc)
        return self._web.render(
            "messages.html",
            viewer,
            page="messages",
            query=query,
            rows=rows,
            next_cursor=next_cursor,
            error=error,
            statuses=STATUSES,
            realms=await self._views.realm_names(viewer),
        )

    async def message(self, request: Request, viewer: Viewer) -> Response:
        message, parts = await self._views.message(viewer, request.path_params["message_id"])
        realms = await self._views.realm_names(viewer)
        return self._web.render(
            "message.html",
            viewer,
            page="messages",
            message=message,
            parts=parts,
            realm=realms.get(message.realm_id, "?"),
        )

    async def inbound(self, request: Request, viewer: Viewer) -> Response:
        before = _param(request, "before")
        try:
            cursor = int(before) if before is not None else None
        except ValueError:
            cursor = None
        rows, next_cursor = await self._views.inbound(viewer, before=cursor)
        return self._web.render(
            "inbound.html",
            viewer,
            page="inbound",
            rows=rows,
            next_cursor=next_cursor,
            realms=await self._views.realm_names(viewer),
        )

    async def realms(
        self,
        _request: Request,
        viewer: Viewer,
        *,
        created: CreatedKey | None = None,
        notice: str | None = None,
    ) -> Response:
        return self._web.render(
            "realms.html",
            viewer,
            page="realms",
            realms=await self._views.realms(viewer),
            created=created,
            notice=notice,
        )

    async def create_key(self, request: Request, viewer: Viewer) -> Response:
        """POST: a new API key of the realm, shown once on the page that answers (never in a
        URL: no redirect)."""
        form = await request.form()
        name = form.get("name")
        realm = request.path_params["realm"]
        try:
            created = await self._keys.create(viewer, realm, name if isinstance(name, str) else "")
        except ValueError as exc:
            return await self.realms(request, viewer, notice=f"Not created: {exc}.")
        return await self.realms(request, viewer, created=created)

    async def revoke_key(self, request: Request, viewer: Viewer) -> Response:
        realm, key_id = request.path_params["realm"], request.path_params["key_id"]
        await self._keys.revoke(viewer, realm, key_id)
        return await self.realms(request, viewer, notice=f"API key {key_id} revoked.")
