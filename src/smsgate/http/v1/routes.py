"""The /v1 routes: each one reads its request, calls one service, and shapes the answer.

No rule lives here: checks and refusals are the services' (which raise `Refusal`, answered as
a problem document by `problems.py`); the resources are the domain's. Authentication is the
`owner` dependency: `Authorization: Bearer <key>`, the key's realm scoping every call.
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from smsgate.constants import V1_PAGE_DEFAULT, V1_PAGE_MAX
from smsgate.domain.message_resource import MessageResource, MessageWithEvents, OptOutResource
from smsgate.domain.model import Status
from smsgate.domain.submission import UNAUTHORISED, Refusal, SendRequest
from smsgate.http.v1.models import (
    EncodingBody,
    EncodingInfo,
    InboundPage,
    MessagePage,
    OptOutBody,
    OptOutList,
    SendBody,
)
from smsgate.http.v1.problems import documented
from smsgate.services.api_keys import KeyOwner
from smsgate.services.json_api import JsonApi

_bearer = HTTPBearer(auto_error=False, description="An API key: `smsgate apikey create REALM`")


def _api(request: Request) -> JsonApi:
    api: JsonApi = request.app.state.json_api
    return api


async def _owner(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> KeyOwner:
    key = credentials.credentials if credentials is not None else None
    owner = await _api(request).keys.authenticate(key)
    if owner is None:
        raise Refusal(UNAUTHORISED, "A valid API key is required: Authorization: Bearer <key>")
    return owner


Owner = Annotated[KeyOwner, Depends(_owner)]
Api = Annotated[JsonApi, Depends(_api)]
Limit = Annotated[int, Query(ge=1, le=V1_PAGE_MAX, description="Rows per page")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="A retry with the same key and body gets the first answer (24 h)",
    ),
]


def _epoch(moment: datetime | None) -> float | None:
    """Epoch seconds; a time without a zone is UTC."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


router = APIRouter(prefix="/v1", responses=documented(400, 401, 413, 503))


@router.post(
    "/messages",
    status_code=202,
    response_model=MessageResource,
    summary="Send a message",
    responses=documented(409, 422),
)
async def send_message(
    body: SendBody,
    owner: Owner,
    api: Api,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> MessageResource:
    """Accept a message for sending: 202 once it is stored durably. A retry with the same
    `Idempotency-Key` and body returns the same message (nothing is sent twice)."""
    request = SendRequest(body.to, body.from_, body.text, body.client_ref, body.validity_seconds)
    sent = await api.sending.send(owner.realm_id, request, idempotency_key)
    response.headers["Location"] = f"/v1/messages/{sent.message['id']}"
    if sent.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return sent.message


@router.get(
    "/messages/{message_id}",
    response_model=MessageWithEvents,
    summary="A message and its events",
    responses=documented(404),
)
async def get_message(message_id: str, owner: Owner, api: Api) -> MessageWithEvents:
    return await api.history.message(owner.realm_id, message_id)


@router.get(
    "/messages",
    response_model=MessagePage,
    summary="List messages, newest first",
    responses=documented(400, 422),
)
async def list_messages(
    owner: Owner,
    api: Api,
    to: Annotated[str | None, Query(description="Only to this phone")] = None,
    status: Annotated[Status | None, Query(description="Only in this status")] = None,
    since: Annotated[datetime | None, Query(description="Created at or after (RFC 3339)")] = None,
    until: Annotated[datetime | None, Query(description="Created before (RFC 3339)")] = None,
    limit: Limit = V1_PAGE_DEFAULT,
    cursor: Cursor = None,
) -> MessagePage:
    page = await api.history.messages(
        owner.realm_id,
        to=to,
        status=status.value if status is not None else None,
        since=_epoch(since),
        until=_epoch(until),
        limit=limit,
        cursor=cursor,
    )
    return MessagePage(data=page.data, next_cursor=page.next_cursor)


@router.get(
    "/inbound",
    response_model=InboundPage,
    summary="List inbound messages, newest first",
    responses=documented(400, 422),
)
async def list_inbound(
    owner: Owner,
    api: Api,
    from_: Annotated[str | None, Query(alias="from", description="Only from this phone")] = None,
    to: Annotated[str | None, Query(description="Only to this sender code")] = None,
    since: Annotated[datetime | None, Query(description="Received at or after")] = None,
    limit: Limit = V1_PAGE_DEFAULT,
    cursor: Cursor = None,
) -> InboundPage:
    page = await api.history.inbound(
        owner.realm_id,
        phone=from_,
        sender_code=to,
        since=_epoch(since),
        limit=limit,
        cursor=cursor,
    )
    return InboundPage(data=page.data, next_cursor=page.next_cursor)


@router.get(
    "/optouts", response_model=OptOutList, summary="List opt-outs", responses=documented(422)
)
async def list_optouts(
    owner: Owner,
    api: Api,
    phone: Annotated[str | None, Query(description="Only this phone's")] = None,
) -> OptOutList:
    return OptOutList(data=await api.optouts.list(owner.realm, phone))


@router.post(
    "/optouts",
    status_code=201,
    response_model=OptOutResource,
    summary="Opt a phone out",
    responses={
        200: {"description": "Already opted out", "model": OptOutResource},
        **documented(422),
    },
)
async def add_optout(
    body: OptOutBody, owner: Owner, api: Api, response: Response
) -> OptOutResource:
    """Opt a phone out of one sender code, or of the whole realm; 200 if it already was."""
    optout, added = await api.optouts.add(owner.realm, body.phone, body.sender_code)
    if not added:
        response.status_code = 200
    return optout


@router.delete(
    "/optouts/{phone}",
    status_code=204,
    summary="Opt a phone back in",
    responses=documented(404, 422),
)
async def remove_optout(
    phone: str,
    owner: Owner,
    api: Api,
    sender_code: Annotated[
        str | None, Query(description="That sender code's opt-out; absent: the realm-wide one")
    ] = None,
) -> Response:
    await api.optouts.remove(owner.realm, phone, sender_code)
    return Response(status_code=204)


@router.post(
    "/encoding",
    response_model=EncodingInfo,
    summary="What a text costs to send",
    responses=documented(422),
)
async def encoding(body: EncodingBody, owner: Owner, api: Api) -> EncodingInfo:
    """The encoding, parts and length a text is sent with, and which of its characters force
    UCS-2 (a "smart quote" turns one 160-character part into three of 67)."""
    cost = api.sending.cost(body.text)
    return EncodingInfo(
        encoding=cost.encoding.value,
        parts=cost.parts,
        length=cost.length,
        units=cost.units,
        ucs2_characters=list(cost.ucs2_characters),
    )
