"""Credentials: token, Basic, and the Keystone flow (rOCCI-cli's: a 401 with
`WWW-Authenticate: Keystone uri=...`, a v3 token for a project, the request again).

Keystone itself is an httpx MockTransport here (the boundary the issue names); the OpenStack
tier runs the same flow against a real Keystone (tests/openstack/test_client_keystone.py)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

import httpx
import pytest

from occi_client import AsyncClient, BasicAuth, Client, KeystoneAuth, TokenAuth, Unauthorized
from occi_client.auth import keystone_uri, v3_url

CATEGORY = 'compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"'


@dataclass
class FakeCloud:
    """An OCCI endpoint behind Keystone, both on one mock transport."""

    challenge: str = "Keystone uri='http://keystone.test:5000/v3'"
    projects: list[dict[str, object]] = field(
        default_factory=lambda: [{"id": "p1", "name": "demo", "enabled": True}]
    )
    valid: set[str] = field(default_factory=lambda: {"scoped-p1"})
    seen: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        # a copy: the auth flow sends the same request object again with other headers
        self.seen.append(
            httpx.Request(
                request.method, request.url, headers=request.headers.copy(), content=request.content
            )
        )
        if request.url.host == "keystone.test":
            return self.keystone(request)
        if request.headers.get("x-auth-token") not in self.valid:
            return httpx.Response(
                401, headers={"WWW-Authenticate": self.challenge}, text="Authentication required"
            )
        return httpx.Response(
            200, text=f"Category: {CATEGORY}\n", headers={"Content-Type": "text/plain"}
        )

    def keystone(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v3/auth/projects":
            if request.headers.get("x-auth-token") != "unscoped":
                return httpx.Response(401, json={"error": {"message": "bad token"}})
            return httpx.Response(200, json={"projects": self.projects})
        assert request.url.path == "/v3/auth/tokens" and request.method == "POST"
        auth = json.loads(request.content)["auth"]
        identity = auth["identity"]
        if identity["methods"] == ["password"]:
            user = identity["password"]["user"]
            if user.get("password") != "secret":
                return httpx.Response(
                    401,
                    json={
                        "error": {
                            "message": "The request you have made requires authentication.",
                            "code": 401,
                        }
                    },
                )
        scope = auth.get("scope")
        if identity["methods"] == ["application_credential"]:  # scoped by the credential
            return httpx.Response(201, headers={"X-Subject-Token": "scoped-ac"}, json={})
        if scope is None:
            return httpx.Response(201, headers={"X-Subject-Token": "unscoped"}, json={})
        project = scope["project"].get("id") or {"demo": "p1"}.get(scope["project"]["name"])
        return httpx.Response(201, headers={"X-Subject-Token": f"scoped-{project}"}, json={})


def _client(cloud: FakeCloud, auth: httpx.Auth) -> Client:
    return Client(
        "http://occi.test/", auth=auth, rendering="text/plain", transport=httpx.MockTransport(cloud)
    )


def test_keystone_challenge_then_a_scoped_token() -> None:
    cloud = FakeCloud()
    auth = KeystoneAuth(username="alice", password="secret", project_name="demo")
    with _client(cloud, auth) as client:
        assert client.discover().kinds[0].term == "compute"
        calls = [(r.method, str(r.url)) for r in cloud.seen]
        assert calls == [
            ("GET", "http://occi.test/-/"),
            ("POST", "http://keystone.test:5000/v3/auth/tokens"),
            ("GET", "http://occi.test/-/"),
        ]
        body = json.loads(cloud.seen[1].content)["auth"]
        assert body["identity"]["password"]["user"] == {
            "password": "secret",
            "name": "alice",
            "domain": {"name": "Default"},
        }
        assert body["scope"] == {"project": {"name": "demo", "domain": {"name": "Default"}}}
        assert cloud.seen[2].headers["x-auth-token"] == "scoped-p1"
        # The token is kept: the next request goes straight through
        client.discover(refresh=True)
        assert len(cloud.seen) == 4 and cloud.seen[3].headers["x-auth-token"] == "scoped-p1"


def test_without_a_project_the_first_project_keystone_scopes_to() -> None:
    cloud = FakeCloud(projects=[{"id": "p0", "enabled": False}, {"id": "p1", "enabled": True}])
    auth = KeystoneAuth(username="alice", password="secret")
    with _client(cloud, auth) as client:
        client.discover()
    paths = [r.url.path for r in cloud.seen]
    assert paths == ["/-/", "/v3/auth/tokens", "/v3/auth/projects", "/v3/auth/tokens", "/-/"]
    scoped = json.loads(cloud.seen[3].content)["auth"]
    assert scoped["identity"] == {"methods": ["token"], "token": {"id": "unscoped"}}
    assert scoped["scope"] == {"project": {"id": "p1"}}


@pytest.mark.parametrize(
    "challenge",
    [
        'Keystone uri="http://keystone.test:5000/"',
        "Keystone uri='http://keystone.test:5000/v2.0'",
        "Basic realm=x, Keystone uri=http://keystone.test:5000",
    ],
)
def test_challenge_forms(challenge: str) -> None:
    assert v3_url(keystone_uri(challenge) or "") == "http://keystone.test:5000/v3"


def test_keystone_refusal_carries_its_message() -> None:
    cloud = FakeCloud()
    auth = KeystoneAuth(username="alice", password="wrong", project_name="demo")
    with _client(cloud, auth) as client, pytest.raises(Unauthorized) as caught:
        client.discover()
    assert caught.value.status == 401
    assert "requires authentication" in caught.value.message


def test_an_expired_token_is_renewed_once() -> None:
    cloud = FakeCloud()
    auth = KeystoneAuth(
        username="alice", password="secret", project_name="demo", scoped_token="expired"
    )
    with _client(cloud, auth) as client:
        client.discover()
    assert [r.headers.get("x-auth-token") for r in cloud.seen if r.url.host == "occi.test"] == [
        "expired",
        "scoped-p1",
    ]


def test_a_non_keystone_401_stands() -> None:
    cloud = FakeCloud(challenge='Token realm="occi-server"')
    auth = KeystoneAuth(username="a", password="secret")
    with _client(cloud, auth) as client, pytest.raises(Unauthorized):
        client.discover()
    assert len(cloud.seen) == 1


def test_application_credential_and_known_auth_url() -> None:
    cloud = FakeCloud(valid={"scoped-ac"})
    auth = KeystoneAuth(
        application_credential_id="ac",
        application_credential_secret="s",
        auth_url="http://keystone.test:5000",
    )
    with _client(cloud, auth) as client:
        client.discover()
    # auth_url known: the token is fetched first, no 401 round trip
    assert [r.url.host for r in cloud.seen] == ["keystone.test", "occi.test"]
    identity = json.loads(cloud.seen[0].content)["auth"]["identity"]
    assert identity == {
        "methods": ["application_credential"],
        "application_credential": {"id": "ac", "secret": "s"},
    }


def test_the_async_client_runs_the_same_flow() -> None:
    cloud = FakeCloud()

    async def run() -> str:
        auth = KeystoneAuth(username="alice", password="secret", project_name="demo")
        async with AsyncClient(
            "http://occi.test/",
            auth=auth,
            rendering="text/plain",
            transport=httpx.MockTransport(cloud),
        ) as client:
            model = await client.discover()
            return model.kinds[0].term

    assert asyncio.run(run()) == "compute"
    assert cloud.seen[-1].headers["x-auth-token"] == "scoped-p1"


def test_token_and_basic_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="", headers={"Content-Type": "text/plain"})

    for auth in (TokenAuth("t0k", tenant="demo", user="alice"), BasicAuth("alice", "pw")):
        Client("http://occi.test", auth=auth, transport=httpx.MockTransport(handler)).discover()
    assert seen[0].headers["x-auth-token"] == "t0k"
    assert seen[0].headers["x-auth-tenant-id"] == "demo"
    assert seen[0].headers["x-auth-user"] == "alice"
    assert seen[1].headers["authorization"] == "Basic YWxpY2U6cHc="
    assert "OCCI/1.2" in seen[0].headers["user-agent"]
