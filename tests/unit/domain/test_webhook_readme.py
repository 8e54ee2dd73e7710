"""The README's webhook receiver, run as written against requests we sign."""

import re
import time
from pathlib import Path
from typing import Any

from smsgate.domain.webhook import EventType, event_body
from smsgate.domain.webhook_signing import new_secret, signed_headers

README = Path(__file__).resolve().parents[3] / "README.md"


def _receiver(secret: str) -> Any:
    section = README.read_text().split("## Webhooks", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None, "the Webhooks section has a Python receiver"
    namespace: dict[str, Any] = {}
    exec(code.group(1).replace('"whsec_..."', repr(secret)), namespace)
    return namespace["handle"]


def test_the_readme_receiver_verifies_and_drops_duplicates(capsys: Any) -> None:
    secret = new_secret()
    handle = _receiver(secret)
    now = time.time()
    data = {"id": "01JEXAMPLE", "status": "delivered"}
    body = event_body(EventType.MESSAGE_STATUS, now, data).encode()
    headers = signed_headers(secret, "evt_1", int(now), body)
    assert handle(body, headers) == 204
    assert capsys.readouterr().out == "01JEXAMPLE delivered\n"
    assert handle(body, headers) == 204  # a retry of the same event: not handled twice
    assert capsys.readouterr().out == ""
    assert handle(body + b" ", headers) == 400  # tampered
    forged = signed_headers(new_secret(), "evt_2", int(now), body)
    assert handle(body, forged) == 400
