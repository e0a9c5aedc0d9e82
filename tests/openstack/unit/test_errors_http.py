"""OpenStack's answers on the wire -> OCCI errors, through the real keystoneauth session."""

from __future__ import annotations

import pytest
import requests

from occi_server import errors
from tests.openstack.unit.fake_cloud import ENDPOINTS, FakeCloud, fake_api

NOVA = ENDPOINTS["compute"]
SERVER = "6b1f4f7e-3c1a-4e8b-9a52-2c7d9f1e0a11"
SERVER_URL = f"{NOVA}/servers/{SERVER}"


@pytest.fixture
def cloud() -> FakeCloud:
    return FakeCloud()


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (404, {"itemNotFound": {"message": "Instance x could not be found."}}, errors.NotFound,
         "Instance x could not be found."),
        (409, {"conflictingRequest": {"message": "in task_state deleting"}}, errors.Conflict,
         "in task_state deleting"),
        (400, {"badRequest": {"message": "Invalid flavorRef"}}, errors.BadRequest,
         "Invalid flavorRef"),
        (413, {"overLimit": {"message": "Quota exceeded for instances"}}, errors.Forbidden,
         "Quota exceeded"),
        (401, {"error": {"message": "The request you have made requires authentication."}},
         errors.Unauthorized, "requires authentication"),
        (500, {"computeFault": {"message": "Unexpected API Error."}}, errors.ServiceUnavailable,
         "Unexpected API Error."),
        (429, None, errors.ServiceUnavailable, "HTTP 429"),
    ],
)  # fmt: skip
def test_status_becomes_occi_error_with_openstacks_message(
    cloud: FakeCloud, status: int, body: object, error: type[errors.OcciError], message: str
) -> None:
    cloud.on("GET", SERVER_URL, (status, body))
    with pytest.raises(error) as raised:
        fake_api(cloud).get("compute", f"/servers/{SERVER}")
    assert message in raised.value.message
    assert raised.value.message.startswith("OpenStack compute")
    if error is errors.ServiceUnavailable:
        assert int(raised.value.headers["Retry-After"]) > 0


def test_neutron_error_shape(cloud: FakeCloud) -> None:
    url = f"{ENDPOINTS['network']}/v2.0/networks/{SERVER}"
    body = {"NeutronError": {"type": "NetworkInUse", "message": "Unable to complete: in use"}}
    cloud.on("DELETE", url, (409, body))
    with pytest.raises(errors.Conflict, match="in use"):
        fake_api(cloud).delete("network", f"/v2.0/networks/{SERVER}")


def test_foreign_object_read_403_is_404(cloud: FakeCloud) -> None:
    """Tenants must not learn that another project's object exists."""
    cloud.on("GET", SERVER_URL, (403, {"forbidden": {"message": "Policy doesn't allow"}}))
    with pytest.raises(errors.NotFound):
        fake_api(cloud).get("compute", f"/servers/{SERVER}")


def test_foreign_object_write_403_is_404(cloud: FakeCloud) -> None:
    cloud.on("POST", SERVER_URL + "/action", (403, {"forbidden": {"message": "no"}}))
    cloud.on("GET", SERVER_URL, (404, {"itemNotFound": {"message": "not found"}}))
    with pytest.raises(errors.NotFound):
        fake_api(cloud).post("compute", f"/servers/{SERVER}/action", {"os-stop": None})


def test_own_object_403_stays_403(cloud: FakeCloud) -> None:
    """The caller may see the object: the refusal is a real policy decision."""
    cloud.on("POST", SERVER_URL + "/action", (403, {"forbidden": {"message": "not allowed"}}))
    cloud.on("GET", SERVER_URL, (200, {"server": {"id": SERVER}}))
    with pytest.raises(errors.Forbidden, match="not allowed"):
        fake_api(cloud).post("compute", f"/servers/{SERVER}/action", {"createImage": {}})


def test_collection_403_stays_403(cloud: FakeCloud) -> None:
    cloud.on("GET", f"{NOVA}/servers/detail", (403, {"forbidden": {"message": "no list"}}))
    with pytest.raises(errors.Forbidden):
        fake_api(cloud).get("compute", "/servers/detail")


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ConnectionError("refused"),
        requests.exceptions.ReadTimeout("read timed out"),
        requests.exceptions.ConnectTimeout("connect timed out"),
    ],
)
def test_unreachable_or_slow_is_503_then_recovers(cloud: FakeCloud, failure: Exception) -> None:
    cloud.on("GET", SERVER_URL, failure, (200, {"server": {"id": SERVER}}))
    api = fake_api(cloud)
    with pytest.raises(errors.ServiceUnavailable) as raised:
        api.get("compute", f"/servers/{SERVER}")
    assert raised.value.headers["Retry-After"] == "5"
    assert "unreachable" in raised.value.message
    assert api.get("compute", f"/servers/{SERVER}") == {"server": {"id": SERVER}}


def test_missing_endpoint_is_503(cloud: FakeCloud) -> None:
    with pytest.raises(errors.ServiceUnavailable, match="no placement endpoint"):
        fake_api(cloud).get("placement", "/resource_providers")


def test_calls_carry_the_callers_token_and_pinned_microversions(cloud: FakeCloud) -> None:
    cloud.on("GET", f"{NOVA}/servers/detail", (200, {"servers": []}))
    volumes = f"{ENDPOINTS['volumev3']}/volumes/detail"
    cloud.on("GET", volumes, (200, {"volumes": []}))
    api = fake_api(cloud)
    api.together(
        lambda: api.get("compute", "/servers/detail"),
        lambda: api.get("volumev3", "/volumes/detail"),
    )
    sent = {str(r.url): r.headers for r in cloud.sent}
    assert sent[f"{NOVA}/servers/detail"]["OpenStack-API-Version"] == "compute 2.79"
    assert sent[volumes]["OpenStack-API-Version"] == "volume 3.60"
    assert all(h["X-Auth-Token"] == "tok" for h in sent.values())
