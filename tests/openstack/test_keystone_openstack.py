"""Keystone as sites deploy it: the service identity as a v3 application credential, refusals
that say what Keystone said, Keystone unreachable as 503, and the WWW-Authenticate hint from the
catalogue. Each test starts its own server with the identity it is about."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.openstack.conftest import OpenStackServer, keystone_token
from tests.support.server import free_port

SERVICE_PASSWORD_KEYS = ("OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME")


@contextmanager
def serving(env: dict[str, str], tmp_path: Path) -> Iterator[OpenStackServer]:
    server = OpenStackServer(env, tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


def _admin_token(testbed: dict[str, str], scope: dict[str, object]) -> httpx.Response:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": testbed["OS_USERNAME"],
                        "domain": {"name": testbed["OS_USER_DOMAIN_NAME"]},
                        "password": testbed["OS_PASSWORD"],
                    }
                },
            },
            "scope": scope,
        }
    }
    answer = httpx.post(testbed["OS_AUTH_URL"] + "/auth/tokens", json=body, timeout=30)
    answer.raise_for_status()
    return answer


@pytest.fixture
def application_credential(testbed: dict[str, str]) -> Iterator[dict[str, str]]:
    """An application credential of the service identity (admin), deleted afterwards."""
    scope = {"project": {"name": "admin", "domain": {"id": "default"}}}
    answer = _admin_token(testbed, scope)
    token, user = answer.headers["x-subject-token"], answer.json()["token"]["user"]["id"]
    url = f"{testbed['OS_AUTH_URL']}/users/{user}/application_credentials"
    body = {"application_credential": {"name": "occi-" + uuid.uuid4().hex[:8]}}
    made = httpx.post(url, json=body, headers={"X-Auth-Token": token}, timeout=30)
    assert made.status_code == 201, made.text
    credential = made.json()["application_credential"]
    yield {"id": credential["id"], "secret": credential["secret"]}
    httpx.delete(f"{url}/{credential['id']}", headers={"X-Auth-Token": token}, timeout=30)


def _with_credential(testbed: dict[str, str], ident: str, secret: str) -> dict[str, str]:
    env = {k: v for k, v in testbed.items() if k not in SERVICE_PASSWORD_KEYS}
    env.update(
        OS_AUTH_TYPE="v3applicationcredential",
        OS_APPLICATION_CREDENTIAL_ID=ident,
        OS_APPLICATION_CREDENTIAL_SECRET=secret,
    )
    return env


def test_service_identity_as_application_credential(
    testbed: dict[str, str], application_credential: dict[str, str], tmp_path: Path
) -> None:
    env = _with_credential(testbed, application_credential["id"], application_credential["secret"])
    with serving(env, tmp_path / "good") as server:
        answer = httpx.get(
            server.url + "/compute/", headers={"X-Auth-Token": keystone_token(testbed)}, timeout=60
        )
        assert answer.status_code == 200, answer.text
    wrong = _with_credential(testbed, application_credential["id"], "not-the-secret")
    with serving(wrong, tmp_path / "wrong") as server:
        answer = httpx.get(
            server.url + "/compute/", headers={"X-Auth-Token": keystone_token(testbed)}, timeout=60
        )
        assert answer.status_code == 503, answer.text
        assert "v3applicationcredential" in answer.text and "refused" in answer.text
        assert int(answer.headers["retry-after"]) > 0


def test_refusals_say_what_keystone_said(
    os_server: OpenStackServer, testbed: dict[str, str]
) -> None:
    revoked = keystone_token(testbed)  # never used with the server, so not in its cache
    admin = _admin_token(testbed, {"project": {"name": "admin", "domain": {"id": "default"}}})
    httpx.delete(
        testbed["OS_AUTH_URL"] + "/auth/tokens",
        headers={"X-Auth-Token": admin.headers["x-subject-token"], "X-Subject-Token": revoked},
        timeout=30,
    ).raise_for_status()
    answer = httpx.get(os_server.url + "/compute/", headers={"X-Auth-Token": revoked}, timeout=60)
    assert answer.status_code == 401
    assert "Keystone refused the token" in answer.text and "HTTP 404" in answer.text
    assert revoked not in answer.text
    assert answer.headers["www-authenticate"].startswith("Keystone uri='http://127.0.0.1:5000")

    system = _admin_token(testbed, {"system": {"all": True}}).headers["x-subject-token"]
    answer = httpx.get(os_server.url + "/compute/", headers={"X-Auth-Token": system}, timeout=60)
    assert answer.status_code == 401
    assert "system-scoped" in answer.text and "scoped to a project" in answer.text


def test_keystone_unreachable_is_503(testbed: dict[str, str], tmp_path: Path) -> None:
    env = {**testbed, "OS_AUTH_URL": f"http://127.0.0.1:{free_port()}/v3"}  # nothing listens
    with serving(env, tmp_path) as server:
        answer = httpx.get(server.url + "/compute/", headers={"X-Auth-Token": "x"}, timeout=60)
        assert answer.status_code == 503, answer.text
        assert "unreachable" in answer.text
        assert int(answer.headers["retry-after"]) > 0


def test_www_authenticate_names_the_catalogues_public_keystone(
    testbed: dict[str, str], tmp_path: Path
) -> None:
    """The server reaches Keystone by another name than the public one of the catalogue."""
    env = {**testbed, "OS_AUTH_URL": "http://localhost:5000/v3"}
    with serving(env, tmp_path) as server:
        token = keystone_token(testbed)
        assert httpx.get(server.url + "/-/", headers={"X-Auth-Token": token}).status_code == 200
        hint = httpx.get(server.url + "/-/").headers["www-authenticate"]
        assert hint == "Keystone uri='http://127.0.0.1:5000/v3'"
    configured = {**testbed, "OCCI_KEYSTONE_PUBLIC_URL": "https://keystone.example/v3"}
    with serving(configured, tmp_path / "configured") as server:
        hint = httpx.get(server.url + "/-/").headers["www-authenticate"]
        assert hint == "Keystone uri='https://keystone.example/v3'"
