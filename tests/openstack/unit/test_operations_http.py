"""What the OpenStack backend tells the operator, through the real keystoneauth session: the
request id on every call, call latency and errors by service, and /readyz's checks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from keystoneauth1 import session as ks_session
from keystoneauth1.identity.access import AccessInfoPlugin

from occi_server import errors, telemetry
from occi_server.backends.openstack.backend import OpenStackBackend
from occi_server.identity.keystone import KeystoneSettings, TokenValidator
from tests.openstack.unit.fake_cloud import ENDPOINTS, FakeCloud, fake_api, token_info

NOVA = ENDPOINTS["compute"]
KEYSTONE = "http://keystone.test/v3"


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []

    def backend_call(self, service: str, seconds: float, failed: bool) -> None:
        assert seconds >= 0
        self.calls.append((service, failed))

    def reconciler_depth(self, depth: int) -> None: ...

    def intent_outcome(self, outcome: str) -> None: ...

    def connections(self, change: int) -> None: ...


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    found = Recorder()
    telemetry.install(found)
    yield found
    telemetry.install(None)


@pytest.fixture
def cloud() -> FakeCloud:
    return FakeCloud()


def test_every_call_carries_the_requests_id_also_from_concurrent_calls(cloud: FakeCloud) -> None:
    cloud.on("GET", f"{NOVA}/flavors/detail", (200, {"flavors": []}))
    cloud.on("GET", f"{NOVA}/os-keypairs", (200, {"keypairs": []}))
    api = fake_api(cloud)
    token = telemetry.begin(telemetry.RequestEntry("req-5d6e2f0c-1111-4222-8333-944455556666"))
    try:
        api.get("compute", "/flavors/detail")
        api.together(
            lambda: api.get("compute", "/flavors/detail"),
            lambda: api.get("compute", "/os-keypairs"),
        )
    finally:
        telemetry.end(token)
    assert len(cloud.sent) == 3
    for sent in cloud.sent:
        assert sent.headers["X-OpenStack-Request-Id"] == "req-5d6e2f0c-1111-4222-8333-944455556666"
    api.get("compute", "/flavors/detail")  # outside a request: no id is made up
    assert "X-OpenStack-Request-Id" not in cloud.sent[-1].headers


def test_calls_are_timed_and_failures_counted_by_service(
    cloud: FakeCloud, recorder: Recorder
) -> None:
    cloud.on("GET", f"{NOVA}/flavors/detail", (200, {"flavors": []}))
    cloud.on("GET", f"{NOVA}/servers/detail", (503, None))
    cloud.on("GET", f"{ENDPOINTS['network']}/v2.0/networks", requests.ConnectionError("refused"))
    cloud.on("GET", f"{NOVA}/servers/x", (404, {"itemNotFound": {"message": "gone"}}))
    api = fake_api(cloud)
    api.get("compute", "/flavors/detail")
    with pytest.raises(errors.ServiceUnavailable):
        api.get("compute", "/servers/detail")
    with pytest.raises(errors.ServiceUnavailable):
        api.get("network", "/v2.0/networks")
    with pytest.raises(errors.NotFound):
        api.get("compute", "/servers/x")  # the cloud answered: not a failure of the call
    assert recorder.calls == [
        ("compute", False),
        ("compute", True),
        ("network", True),
        ("compute", False),
    ]


def _backend(cloud: FakeCloud) -> OpenStackBackend:
    transport = requests.Session()
    transport.mount("http://", cloud)
    service = ks_session.Session(
        auth=AccessInfoPlugin(token_info(), auth_url=KEYSTONE), session=transport, timeout=2
    )
    settings = KeystoneSettings(
        auth_url=KEYSTONE, username="occi", password="pw", project_name="service",
        region_name="RegionOne",
    )  # fmt: skip
    backend = OpenStackBackend(TokenValidator(settings, http=service))
    backend._http = ks_session.Session(session=transport, timeout=2)
    return backend


def test_readiness_asks_keystone_and_each_endpoint(cloud: FakeCloud) -> None:
    cloud.on("GET", KEYSTONE, (200, {"version": {"id": "v3.14"}}))
    cloud.on("GET", NOVA, (401, None))  # an answer: Nova is up
    cloud.on("GET", ENDPOINTS["network"] + "/", (200, {"versions": []}))
    cloud.on("GET", ENDPOINTS["volumev3"], requests.ConnectionError("refused"))
    cloud.on("GET", ENDPOINTS["image"] + "/", (503, None))  # requests adds the slash
    backend = _backend(cloud)
    try:
        assert backend.readiness(2.0) == {
            "keystone": None,
            "compute": None,
            "network": None,
            "volumev3": "unreachable (ConnectFailure)",
            "image": "answered 503",
        }
        cloud.on("GET", KEYSTONE, requests.ConnectionError("refused"))
        assert backend.readiness(2.0)["keystone"] == "unreachable (ConnectFailure)"
    finally:
        backend.close()
