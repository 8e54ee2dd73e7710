"""The Dockerfile and docker-compose.yml, checked by reading them (no container engine runs
here): the base image, a non-root user, the package installed and served, a health check on
/readyz, and compose's services, settings, ports and health checks consistent with the gateway's
own settings."""

import json
import re
import shlex
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from smsgate.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "SMSGATE_"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments out."""
    joined = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def dockerfile(keyword: str) -> list[str]:
    return [rest for key, rest in instructions() if key == keyword]


def dockerfile_env() -> dict[str, str]:
    env = {}
    for rest in dockerfile("ENV"):
        for item in shlex.split(rest):
            name, _, value = item.partition("=")
            env[name] = value
    return env


def healthcheck_command() -> list[str]:
    (check,) = dockerfile("HEALTHCHECK")
    command: list[str] = json.loads(check[check.index("CMD ") + 4 :])
    return command


def interpolate(text: str) -> str:
    """Compose's `${NAME:-default}`, with nothing set: the default."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", text)


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(interpolate((ROOT / "docker-compose.yml").read_text()))
    return loaded


def assert_settings(env: dict[str, Any]) -> Settings:
    """Every SMSGATE_ name is a setting, and the values are valid settings."""
    names = {key.removeprefix(PREFIX).lower() for key in env if key.startswith(PREFIX)}
    assert names <= set(Settings.model_fields), names - set(Settings.model_fields)
    values = {key.removeprefix(PREFIX).lower(): str(v) for key, v in env.items()}
    return Settings(**values)


def test_the_image_is_python_311_slim_with_the_package_installed_and_served() -> None:
    assert dockerfile("FROM") == ["python:3.11-slim"]
    assert any("pip install ." in run for run in dockerfile("RUN"))
    assert json.loads(dockerfile("CMD")[0]) == ["smsgate", "serve"]
    copied = " ".join(dockerfile("COPY"))
    for needed in ("pyproject.toml", "README.md", "LICENSE", "src"):  # what `pip install .` reads
        assert needed in copied


def test_the_gateway_runs_as_a_user_of_its_own() -> None:
    (user,) = dockerfile("USER")
    assert user not in {"root", "0"} and not user.startswith("0:")
    assert any("useradd --system --uid 10001 --user-group" in run for run in dockerfile("RUN"))


def test_the_image_settings_exist_and_the_port_is_exposed() -> None:
    env = dockerfile_env()
    settings = assert_settings({k: v for k, v in env.items() if k.startswith(PREFIX)})
    assert settings.host == "0.0.0.0"
    assert dockerfile("EXPOSE") == [str(settings.port)]
    assert json.loads(dockerfile("VOLUME")[0]) == [env["SMSGATE_DATA_DIR"]]


def test_the_health_check_asks_readyz_on_the_gateways_port() -> None:
    command = healthcheck_command()
    assert command[:2] == ["python", "-c"]
    assert "/readyz" in command[2] and "SMSGATE_PORT" in command[2]
    assert "/healthz" not in command[2]


def test_compose_runs_the_gateway_on_postgresql() -> None:
    services = compose()["services"]
    assert set(services) == {"db", "gateway"}
    db, gateway = services["db"], services["gateway"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert gateway["build"] == "."
    assert (ROOT / gateway["build"] / "Dockerfile").is_file()
    assert gateway["command"] == ["smsgate", "serve"]
    assert gateway["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert gateway["stop_signal"] == "SIGTERM"

    settings = assert_settings(gateway["environment"])
    url = make_url(settings.resolved_database_url)
    assert url.drivername == "postgresql+asyncpg"
    assert url.host == "db"  # the service's name
    postgres = db["environment"]
    assert (url.username, url.password, url.database) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        postgres["POSTGRES_DB"],
    )
    assert settings.host == "0.0.0.0"  # reachable from outside the container
    assert settings.log_format == "json"
    published, _, target = gateway["ports"][0].partition(":")
    assert target == str(settings.port) and published.isdigit()


def test_compose_checks_readiness_as_the_image_does() -> None:
    gateway = compose()["services"]["gateway"]
    assert gateway["healthcheck"]["test"] == ["CMD", *healthcheck_command()]
    assert set(compose()["volumes"]) == {"pgdata"}
