"""The services behind the JSON API (/v1), built once by `bootstrap` and handed to its routes."""

from dataclasses import dataclass

from smsgate.services.api_keys import ApiKeys
from smsgate.services.api_optouts import ApiOptOuts
from smsgate.services.api_sending import ApiSending
from smsgate.services.api_webhooks import ApiWebhooks
from smsgate.services.history import History


@dataclass(frozen=True, slots=True)
class JsonApi:
    keys: ApiKeys
    sending: ApiSending
    history: History
    optouts: ApiOptOuts
    webhooks: ApiWebhooks
