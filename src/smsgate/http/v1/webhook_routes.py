"""The /v1/webhooks routes: a realm's webhook endpoints and their deliveries. Each one reads its
request, calls one service (`services/api_webhooks.py`) and shapes the answer; authentication
and paging are those of `routes.py`.

The deliveries' routes come first: `/v1/webhooks/{endpoint_id}` would otherwise take
`deliveries` for an endpoint id.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from smsgate.constants import V1_PAGE_DEFAULT
from smsgate.domain.webhook_resource import (
    DeliveryResource,
    EndpointResource,
    NewEndpointResource,
)
from smsgate.http.v1.problems import documented
from smsgate.http.v1.routes import Api, Cursor, Limit, Owner
from smsgate.http.v1.webhook_models import (
    DeliveryPage,
    QueuedTestEvent,
    Replayed,
    WebhookBody,
    WebhookList,
)

router = APIRouter(prefix="/v1/webhooks", responses=documented(400, 401, 413, 503))


@router.get(
    "/deliveries",
    response_model=DeliveryPage,
    summary="List webhook deliveries, newest first",
    responses=documented(422),
)
async def list_deliveries(
    owner: Owner,
    api: Api,
    failed: Annotated[
        bool, Query(description="Only failed ones: given up, or pending after a failed attempt")
    ] = False,
    limit: Limit = V1_PAGE_DEFAULT,
    cursor: Cursor = None,
) -> DeliveryPage:
    page = await api.webhooks.deliveries(owner.realm, failed=failed, limit=limit, cursor=cursor)
    return DeliveryPage(data=page.data, next_cursor=page.next_cursor)


@router.get(
    "/deliveries/{delivery_id}",
    response_model=DeliveryResource,
    summary="A webhook delivery",
    responses=documented(404),
)
async def get_delivery(delivery_id: str, owner: Owner, api: Api) -> DeliveryResource:
    return await api.webhooks.delivery(owner.realm, delivery_id)


@router.post(
    "/deliveries/{delivery_id}/replay",
    status_code=202,
    response_model=Replayed,
    summary="Deliver a delivery's event again",
    responses=documented(404),
)
async def replay_delivery(delivery_id: str, owner: Owner, api: Api, response: Response) -> Replayed:
    """Send the event of that delivery again, now, as a new delivery (with the same
    `webhook-id`); 404 also when its endpoint has been removed."""
    new_id = await api.webhooks.replay(owner.realm, delivery_id)
    response.headers["Location"] = f"/v1/webhooks/deliveries/{new_id}"
    return Replayed(delivery_id=new_id)


@router.get("", response_model=WebhookList, summary="List webhook endpoints")
async def list_webhooks(owner: Owner, api: Api) -> WebhookList:
    """The realm's endpoints, oldest first (without their secrets)."""
    return WebhookList(data=await api.webhooks.list(owner.realm))


@router.post(
    "",
    status_code=201,
    response_model=NewEndpointResource,
    summary="Add a webhook endpoint",
    responses=documented(422),
)
async def add_webhook(
    body: WebhookBody, owner: Owner, api: Api, response: Response
) -> NewEndpointResource:
    """Add an endpoint. The answer holds its signing `secret` (`whsec_...`): keep it, it is
    not shown again. Events are signed by the Standard Webhooks specification."""
    endpoint = await api.webhooks.add(owner.realm, body.url, body.events)
    response.headers["Location"] = f"/v1/webhooks/{endpoint['id']}"
    return endpoint


@router.get(
    "/{endpoint_id}",
    response_model=EndpointResource,
    summary="A webhook endpoint",
    responses=documented(404),
)
async def get_webhook(endpoint_id: str, owner: Owner, api: Api) -> EndpointResource:
    return await api.webhooks.get(owner.realm, endpoint_id)


@router.delete(
    "/{endpoint_id}",
    status_code=204,
    summary="Remove a webhook endpoint",
    responses=documented(404),
)
async def remove_webhook(endpoint_id: str, owner: Owner, api: Api) -> Response:
    """Remove the endpoint; deliveries still pending for it are cancelled."""
    await api.webhooks.remove(owner.realm, endpoint_id)
    return Response(status_code=204)


@router.post(
    "/{endpoint_id}/test",
    status_code=202,
    response_model=QueuedTestEvent,
    summary="Send a test event to a webhook endpoint",
    responses=documented(404),
)
async def send_test_event(endpoint_id: str, owner: Owner, api: Api) -> QueuedTestEvent:
    """Queue a `webhook.test` event for this endpoint only (see its delivery in
    `GET /v1/webhooks/deliveries`)."""
    return QueuedTestEvent(event_id=await api.webhooks.test(owner.realm, endpoint_id))
