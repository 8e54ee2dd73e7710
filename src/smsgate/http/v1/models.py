"""The request and response bodies of /v1 that are not domain resources, as pydantic models
(they are what FastAPI validates and what /openapi.json describes). The message, event,
inbound and opt-out resources are the domain's own `TypedDict`s (domain/message_resource.py).
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from smsgate.domain.message_resource import InboundResource, MessageResource, OptOutResource


class SendBody(BaseModel):
    """`POST /v1/messages`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"to": "12065551212", "from": "12345", "text": "Hi"}]},
    )

    to: str = Field(description="The phone to send to: digits, E.164 with or without '+'")
    from_: str = Field(alias="from", description="One of the realm's sender codes")
    text: str = Field(description="Up to 1,600 characters, sent as concatenated parts")
    client_ref: str | None = Field(
        None, description="Your own reference, returned with the message (at most 64 chars)"
    )
    validity_seconds: int | None = Field(
        None, description="How long the SMSC may keep trying (60 to 604800 seconds)"
    )


class OptOutBody(BaseModel):
    """`POST /v1/optouts`."""

    model_config = ConfigDict(extra="forbid")

    phone: str
    sender_code: str | None = Field(
        None, description="Only this sender code; absent or null: every sender code of the realm"
    )


class EncodingBody(BaseModel):
    """`POST /v1/encoding`."""

    model_config = ConfigDict(extra="forbid")

    text: str


class EncodingInfo(BaseModel):
    encoding: str = Field(description="gsm7 or ucs2")
    parts: int = Field(description="SMS parts the text is sent as")
    length: int = Field(description="Characters (Unicode code points)")
    units: int = Field(description="GSM 03.38 septets or UTF-16 code units")
    ucs2_characters: list[str] = Field(
        description="The characters that force UCS-2 (replace them to send as GSM 03.38)"
    )


class MessagePage(BaseModel):
    data: list[MessageResource]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last")


class InboundPage(BaseModel):
    data: list[InboundResource]
    next_cursor: str | None


class OptOutList(BaseModel):
    data: list[OptOutResource]


class Problem(BaseModel):
    """An RFC 9457 problem detail, with a stable machine `code`."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="urn:smsgate:problem:<code>")
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable: opted_out, invalid_phone, text_too_long, ...")
    errors: list[dict[str, Any]] | None = Field(
        None, description="invalid_request: what was wrong where"
    )
