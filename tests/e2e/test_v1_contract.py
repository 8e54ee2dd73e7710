"""Contract test: schemathesis generates requests from the OpenAPI document the running server
serves (/openapi.json) and checks every answer against it (status codes, content types,
response schemas, no 5xx, authentication enforced). Few examples per operation: this guards
the contract, it is not a fuzzing campaign. One check is left out: that every schema-valid
request is accepted. A well-formed request can still be refused for what it names (a sender
code of no realm's, an opted-out phone, a number no country has), with a documented problem.

The operations are driven from schemathesis' Python API rather than its pytest plugin
(`from_fixture`), which does not run under pytest 9.
"""

import subprocess
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.e2e.support import ALPHA, SMSGATE, Server, clean_env

EXAMPLES_PER_OPERATION = 8
OPERATIONS = (
    "POST /v1/messages",
    "GET /v1/messages/{message_id}",
    "GET /v1/messages",
    "GET /v1/inbound",
    "GET /v1/optouts",
    "POST /v1/optouts",
    "DELETE /v1/optouts/{phone}",
    "POST /v1/encoding",
    "GET /v1/webhooks",
    "POST /v1/webhooks",
    "GET /v1/webhooks/{endpoint_id}",
    "DELETE /v1/webhooks/{endpoint_id}",
    "POST /v1/webhooks/{endpoint_id}/test",
    "GET /v1/webhooks/deliveries",
    "GET /v1/webhooks/deliveries/{delivery_id}",
    "POST /v1/webhooks/deliveries/{delivery_id}/replay",
)


def create_key(data_dir: Path, realm: str) -> str:
    """`smsgate apikey create REALM`: the key is alone on the last line."""
    out = subprocess.run(
        [str(SMSGATE), "apikey", "create", realm, "--name", "contract test"],
        env=clean_env(data_dir),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.splitlines()[-1]


@pytest.fixture(scope="module")
def alpha_key(shared_server: Server) -> str:
    return create_key(shared_server.data_dir, ALPHA.name)


@pytest.mark.parametrize("label", OPERATIONS)
def test_the_served_api_keeps_its_contract(
    label: str, shared_server: Server, alpha_key: str
) -> None:
    schema = schemathesis.openapi.from_url(f"{shared_server.url}/openapi.json")
    operations = {op.label: op for op in (result.ok() for result in schema.get_all_operations())}
    assert set(operations) == set(OPERATIONS)  # a new operation must be added above
    headers = {"Authorization": f"Bearer {alpha_key}"}

    @given(case=operations[label].as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,  # the same examples on every run: CI stays reproducible
    )
    def keeps_the_contract(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=shared_server.url, headers=headers, excluded_checks=[positive_data_acceptance]
        )

    keeps_the_contract()
