"""/console/optouts: search a phone (with its ledger), list a realm's, add, remove, CSV import
and export."""

import asyncio
import csv
import io
import re
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlencode

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from smsgate.console.notices import shown, signed
from smsgate.console.web import HEADERS, ROOT, Web
from smsgate.domain.console import Viewer
from smsgate.domain.model import OptOut
from smsgate.services.console_imports import ConsoleImports
from smsgate.services.console_optouts import ConsoleOptOuts, PhoneReport
from smsgate.services.console_views import ConsoleViews

CSV_HEADER = ("phone", "sender_code", "source", "created_at")  # as `smsgate optout export`
_SAFE = re.compile(r"[^A-Za-z0-9._-]")  # a file name from a realm name


def _save(upload: BinaryIO) -> Path:
    """The uploaded file copied to a temporary file of ours (the upload goes with the
    request; the import outlives it). The import deletes it when done."""
    with tempfile.NamedTemporaryFile(prefix="smsgate-import-", suffix=".csv", delete=False) as out:
        shutil.copyfileobj(upload, out)
    return Path(out.name)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


class OptOutPages:
    def __init__(
        self, web: Web, optouts: ConsoleOptOuts, views: ConsoleViews, imports: ConsoleImports
    ) -> None:
        self._web = web
        self._imports = imports
        self._optouts = optouts
        self._views = views

    async def _realm(self, viewer: Viewer, asked: str) -> str | None:
        """The realm the page is about: the realm user's own, or the one asked for."""
        if viewer.user.realm is not None:
            return viewer.user.realm
        return asked or None

    async def show(self, request: Request, viewer: Viewer) -> Response:
        q = request.query_params
        realms = await self._views.realm_names(viewer)
        realm = await self._realm(viewer, q.get("realm", "").strip())
        phone = q.get("phone", "").strip()
        report: PhoneReport | None = None
        error = None
        rows: list[OptOut] = []
        next_after = None
        if phone:
            try:
                report = await self._optouts.search(viewer, phone)
            except ValueError as exc:
                error = str(exc)
        if realm is not None:
            after = (q["after_phone"], q.get("after_code", "")) if q.get("after_phone") else None
            rows, next_after = await self._optouts.page(viewer, realm, after)
        return self._web.render(
            "optouts.html",
            viewer,
            page="optouts",
            realms=realms,
            realm=realm,
            phone=phone,
            report=report,
            rows=rows,
            next_after=next_after,
            error=error,
            notice=shown(viewer, q),
        )

    async def change(self, request: Request, viewer: Viewer) -> Response:
        """POST: add (`action=add`, the default) or remove (`action=remove`) one opt-out."""
        form = await request.form()
        realm = await self._realm(viewer, _text(form.get("realm")))
        phone = _text(form.get("phone"))
        code = _text(form.get("sender_code"))
        remove = _text(form.get("action")) == "remove"
        if realm is None:
            notice = "Choose a realm."
        else:
            try:
                if remove:
                    done = await self._optouts.remove(viewer, realm, phone, code)
                    notice = f"{phone} opted back in." if done else f"{phone} was not opted out."
                else:
                    done = await self._optouts.add(viewer, realm, phone, code)
                    notice = f"{phone} opted out." if done else f"{phone} was already opted out."
            except ValueError as exc:
                notice = f"Not done: {exc}."
        query = urlencode({"realm": realm or "", "phone": phone, **signed(viewer, notice)})
        return RedirectResponse(f"{ROOT}/optouts?{query}", status_code=303, headers=HEADERS)

    async def import_(self, request: Request, viewer: Viewer) -> Response:
        """POST a CSV file (`file`): saved, then imported in the background; the answer is a
        redirect to the import's page, which shows its progress and then its result."""
        form = await request.form()
        realm = await self._realm(viewer, _text(form.get("realm")))
        upload = form.get("file")
        if realm is None or not isinstance(upload, UploadFile):
            query = urlencode(signed(viewer, "Choose a realm and a CSV file."))
            return RedirectResponse(f"{ROOT}/optouts?{query}", status_code=303, headers=HEADERS)
        await self._optouts.realm_id(viewer, realm)  # NotFound before anything is saved
        path = await asyncio.to_thread(_save, upload.file)
        job = self._imports.start(viewer, realm, path, upload.filename or "upload.csv")
        location = f"{ROOT}/optouts/import/{job.id}"
        return RedirectResponse(location, status_code=303, headers=HEADERS)

    async def import_page(self, request: Request, viewer: Viewer) -> Response:
        job = self._imports.get(viewer, request.path_params["job_id"])
        return self._web.render("import.html", viewer, page="optouts", job=job)

    async def import_progress(self, request: Request, viewer: Viewer) -> Response:
        """The progress alone: htmx swaps it in every second until the job is done."""
        job = self._imports.get(viewer, request.path_params["job_id"])
        return self._web.render("import_progress.html", viewer, job=job)

    async def export(self, request: Request, viewer: Viewer) -> Response:
        realm = await self._realm(viewer, request.query_params.get("realm", "").strip())
        if realm is None:
            return self._web.not_found(viewer)
        rows = await self._optouts.export(viewer, realm)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for o in rows:
            writer.writerow((o.phone, o.sender_code, o.source, f"{o.created_at:.3f}"))
        filename = f"optouts-{_SAFE.sub('_', realm)}.csv"
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={
                **HEADERS,
                "Content-Disposition": f'attachment; filename="{filename}"',
            },
        )
