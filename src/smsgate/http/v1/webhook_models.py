"""The request and response bodies of `/v1/webhooks` that are not domain resources, as
pydantic models (what FastAPI validates and /openapi.json describes). The endpoint and delivery
resources are the domain's own `TypedDict`s (domain/webhook_resource.py)."""

from pydantic import BaseModel, ConfigDict, Field

from smsgate.domain.webhook_resource import DeliveryResource, EndpointResource

EVENT_TYPES = "message.status, message.inbound, optout.changed"


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
    data: list[EndpointResource]


class DeliveryPage(BaseModel):
    data: list[DeliveryResource]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last")


class QueuedTestEvent(BaseModel):
    """`POST /v1/webhooks/{id}/test`: the `webhook.test` event queued for the endpoint."""

    event_id: str = Field(description="The event's id: the `webhook-id` header it arrives with")


class Replayed(BaseModel):
    """`POST /v1/webhooks/deliveries/{id}/replay`: the new delivery of the same event."""

    delivery_id: int = Field(description="The new delivery, due now")
