"""A bound on /v1 request bodies, checked before anything reads them.

FastAPI reads a JSON body whole before it runs the route's dependencies (authentication
included), so without a bound anyone could make the gateway hold a body of any size in memory.
A declared `Content-Length` over V1_MAX_BODY_BYTES is refused at once; a body that grows past
it while it is read (chunked) is answered with the same 413 problem, and the app is told the
client has gone, so it stops reading.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smsgate.constants import V1_MAX_BODY_BYTES
from smsgate.http.v1.problems import problem

TOO_LARGE = "request_too_large"


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = V1_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                await self._refuse(scope, receive, send)
                return
        seen = 0
        answered = False  # by us: the app's own answer is dropped

        async def counted() -> Message:
            nonlocal seen, answered
            message = await receive()
            if message["type"] == "http.request" and not answered:
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    answered = True
                    await self._refuse(scope, receive, send)
            # the app sees the client go: it stops reading and answers no one
            return {"type": "http.disconnect"} if answered else message

        async def unless_answered(message: Message) -> None:
            if not answered:
                await send(message)

        await self.app(scope, counted, unless_answered)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"A request body may be at most {self.max_bytes} bytes"
        await problem(TOO_LARGE, detail, 413)(scope, receive, send)
