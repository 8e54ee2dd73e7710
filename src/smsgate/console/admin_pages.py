"""Operators' changes on /console/realms: create a realm, change its password, add, change and
remove sender codes, rotate an API key. Realm users get 404 for all of it (services/console_admin).

Every change is a POST with the CSRF token (console/web.py). Removing a sender code and
rotating a key are destructive: their GET is only a confirmation page, and the POST acts only
with the confirmation field `confirm=yes` (without it, the confirmation page again). A password
or key made here is shown once, on the page that answers the POST (never in a URL).
"""

import math

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from smsgate.console.web import Web
from smsgate.domain.console import Viewer
from smsgate.services.api_keys import CreatedKey
from smsgate.services.console_admin import ConsoleAdmin, SenderFields
from smsgate.services.console_views import ConsoleViews
from smsgate.services.errors import AlreadyExists, InvalidInput
from smsgate.services.senders import REPLY_FIELDS


def _text(form: FormData, name: str) -> str | None:
    """A form field, stripped; None when empty or missing."""
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def _secret(form: FormData, name: str) -> str | None:
    """A password field as typed (passwords keep their spaces); None when empty."""
    value = form.get(name)
    return value if isinstance(value, str) and value else None


def sender_fields(form: FormData) -> SenderFields:
    """A sender code's settings from a form (ValueError for a max per second that is not a
    positive number)."""
    rate = _text(form, "max_tps")
    max_tps = None
    if rate is not None:
        try:
            max_tps = float(rate)
        except ValueError:
            raise InvalidInput(f"the max per second is not a number: {rate}") from None
        if not math.isfinite(max_tps) or max_tps <= 0:
            raise InvalidInput("the max per second must be a number more than 0")
    replies: dict[str, str | None] = {key: _text(form, key) for key in REPLY_FIELDS}
    return SenderFields(connection=_text(form, "connection"), max_tps=max_tps, replies=replies)


def _confirmed(form: FormData) -> bool:
    return form.get("confirm") == "yes"


class AdminPages:
    def __init__(self, web: Web, admin: ConsoleAdmin, views: ConsoleViews) -> None:
        self._web = web
        self._admin = admin
        self._views = views

    async def _realms(
        self,
        viewer: Viewer,
        *,
        notice: str | None = None,
        created: CreatedKey | None = None,
        password: tuple[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        """The realms page with a notice, a new key or a new (realm, password) shown once."""
        return self._web.render(
            "realms.html",
            viewer,
            status_code=status_code,
            page="realms",
            realms=await self._views.realms(viewer),
            notice=notice,
            created=created,
            password=password,
        )

    async def create_realm(self, request: Request, viewer: Viewer) -> Response:
        form = await request.form()
        name = _text(form, "name") or ""
        try:
            done = await self._admin.create_realm(viewer, name, _secret(form, "password"))
        except (InvalidInput, AlreadyExists) as exc:
            return await self._realms(viewer, notice=f"Realm not created: {exc}.", status_code=400)
        shown = (name, done.generated) if done.generated is not None else None
        return await self._realms(viewer, notice=f"Realm {name} created.", password=shown)

    async def set_password(self, request: Request, viewer: Viewer) -> Response:
        form = await request.form()
        realm = request.path_params["realm"]
        try:
            done = await self._admin.set_password(viewer, realm, _secret(form, "password"))
        except InvalidInput as exc:
            notice = f"Password not changed: {exc}."
            return await self._realms(viewer, notice=notice, status_code=400)
        shown = (realm, done.generated) if done.generated is not None else None
        return await self._realms(viewer, notice=f"Password of {realm} changed.", password=shown)

    async def add_sender(self, request: Request, viewer: Viewer) -> Response:
        form = await request.form()
        realm = request.path_params["realm"]
        try:
            stored = await self._admin.add_sender(
                viewer, realm, _text(form, "code") or "", sender_fields(form)
            )
        except (InvalidInput, AlreadyExists) as exc:
            notice = f"Sender code not added: {exc}."
            return await self._realms(viewer, notice=notice, status_code=400)
        return await self._realms(viewer, notice=f"Sender code {stored} added to {realm}.")

    async def sender(
        self, request: Request, viewer: Viewer, *, notice: str | None = None, status_code: int = 200
    ) -> Response:
        """A sender code's page: its settings to change, and the way to remove it."""
        realm, code = request.path_params["realm"], request.path_params["code"]
        found = await self._admin.sender(viewer, realm, code)
        return self._web.render(
            "sender.html",
            viewer,
            status_code=status_code,
            page="realms",
            realm=realm,
            sender=found,
            notice=notice,
        )

    async def change_sender(self, request: Request, viewer: Viewer) -> Response:
        form = await request.form()
        realm, code = request.path_params["realm"], request.path_params["code"]
        await self._admin.sender(viewer, realm, code)  # NotFound first
        try:
            stored = await self._admin.change_sender(viewer, realm, code, sender_fields(form))
        except InvalidInput as exc:
            notice = f"Not changed: {exc}."
            return await self.sender(request, viewer, notice=notice, status_code=400)
        return await self.sender(request, viewer, notice=f"Sender code {stored} changed.")

    async def remove_sender(self, request: Request, viewer: Viewer) -> Response:
        """GET: the confirmation page. POST: removes with `confirm=yes`, else asks again."""
        realm, code = request.path_params["realm"], request.path_params["code"]
        found = await self._admin.sender(viewer, realm, code)
        if request.method == "POST" and _confirmed(await request.form()):
            stored = await self._admin.remove_sender(viewer, realm, found.code)
            return await self._realms(viewer, notice=f"Sender code {stored} removed from {realm}.")
        return self._confirm(
            viewer,
            question=f"Remove sender code {found.code} from realm {realm}?",
            detail="Messages from it are refused from then on; its opt-outs stay in the ledger.",
            target=request.url.path,
            button="Remove the sender code",
        )

    async def rotate_key(self, request: Request, viewer: Viewer) -> Response:
        """GET: the confirmation page. POST: with `confirm=yes`, a new key (shown once) and the
        old one revoked; else asks again."""
        realm, key_id = request.path_params["realm"], request.path_params["key_id"]
        await self._admin.active_key(viewer, realm, key_id)  # NotFound: no such active key
        if request.method == "POST" and _confirmed(await request.form()):
            created = await self._admin.rotate_key(viewer, realm, key_id)
            notice = f"API key {key_id} of {realm} revoked; its replacement is below."
            return await self._realms(viewer, notice=notice, created=created)
        return self._confirm(
            viewer,
            question=f"Rotate API key {key_id} of realm {realm}?",
            detail=(
                "A new key is made and shown once; the old one is revoked at once, so requests "
                "with it are refused from then on. Move the client to the new key."
            ),
            target=request.url.path,
            button="Rotate the key",
        )

    def _confirm(
        self, viewer: Viewer, *, question: str, detail: str, target: str, button: str
    ) -> Response:
        return self._web.render(
            "confirm.html",
            viewer,
            page="realms",
            question=question,
            detail=detail,
            target=target,
            button=button,
        )
