"""The request and response bodies of `/v1/webhooks` that are not domain resources, as
pydantic models (what FastAPI validates and /openapi.json describes). The endpoint and delivery
resources are the domain's own `TypedDict`s (domain/webhook_resource.py)."""

from pydantic import BaseModel, ConfigDict, Field

from smsgate.domain.webhook import ALL_EVENTS
from smsgate.domain.webhook_resource import DeliveryResource, EndpointResource

EVENT_TYPES = ", ".join(e.value for e in ALL_EVENTS)


class WebhookBody(BaseModel):
    """`POST /v1/webhooks`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"url": "https://example.com/smsgate-hooks", "events": ["message.status"]}]
        },
    )

    url: str = Field(
        description="An http or https URL whose host resolves to public addresses only"
    )
    events: list[str] | None = Field(
        None,
        min_length=1,
        description=f"The event types to send it: {EVENT_TYPES}; absent or null: all of them",
    )


class WebhookList(BaseModel):
    """`GET /v1/webhooks`: the realm's endpoints, oldest first, without their secrets."""

    data: list[EndpointResource]


class DeliveryPage(BaseModel):
    """`GET /v1/webhooks/deliveries`: a page of the realm's deliveries, newest first."""

    data: list[DeliveryResource]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last")


class QueuedTestEvent(BaseModel):
    """`POST /v1/webhooks/{id}/test`: the `webhook.test` event queued for the endpoint."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"event_id": "evt_01JEXAMPLE0000000000000000"}]}
    )

    event_id: str = Field(description="The event's id: the `webhook-id` header it arrives with")


class Replayed(BaseModel):
    """`POST /v1/webhooks/deliveries/{id}/replay`: the new delivery of the same event."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"delivery_id": 43}]})

    delivery_id: int = Field(description="The new delivery, due now")
