"""Notices carried in a redirect's URL (Post/Redirect/Get), shown only to the session that made
them.

A change answered by a redirect (303) tells its result on the page it redirects to: "+1206...
opted out.", "Webhook endpoint ... removed.". The text travels in the URL (`notice=`). Taken
from the URL as it is, anyone could send a console user a link to a real console page showing
any text they like ("Your account is locked, call ..."). So the redirect also carries `nsig`,
an HMAC-SHA256 of the notice keyed by the session's CSRF token (a secret of that session alone:
it is in the session's forms, never in a URL), and a page shows a notice only when the viewer's
own session signed it. A link made by anyone else shows the page without it.
"""

import hashlib
import hmac
from collections.abc import Mapping

from smsgate.domain.console import Viewer

_SIGNATURE_HEX_CHARS = 32  # 128 bits of the HMAC: unguessable, and a short URL


def _signature(viewer: Viewer, notice: str) -> str:
    digest = hmac.new(viewer.csrf.encode(), notice.encode(), hashlib.sha256).hexdigest()
    return digest[:_SIGNATURE_HEX_CHARS]


def signed(viewer: Viewer, notice: str) -> dict[str, str]:
    """The query parameters that carry `notice` to a page `viewer` is redirected to."""
    return {"notice": notice, "nsig": _signature(viewer, notice)}


def shown(viewer: Viewer, query: Mapping[str, str]) -> str | None:
    """The notice of `query` if `viewer`'s session signed it, else None."""
    notice, signature = query.get("notice"), query.get("nsig")
    if notice is None or signature is None:
        return None
    if not hmac.compare_digest(signature.encode(), _signature(viewer, notice).encode()):
        return None
    return notice
