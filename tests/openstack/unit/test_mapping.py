"""The OpenStack -> OCCI mapping as pure functions (no cloud needed)."""

from __future__ import annotations

from occi_server import errors
from occi_server.backends.openstack import views
from occi_server.backends.openstack.client import translate
from occi_server.backends.openstack.security import rule_body
from occi_server.backends.openstack.templates import flavor_mixin, sanitize_term
from occi_server.categories.appliances import EXPORT as EXPORT_ACTION

EXPORT = EXPORT_ACTION.type_id


def test_nova_states() -> None:
    assert views.occi_state("ACTIVE") == "active"
    assert views.occi_state("SHUTOFF") == "inactive"
    assert views.occi_state("PAUSED") == "suspended"
    assert views.occi_state("ERROR") == "error"
    assert views.occi_state("VERIFY_RESIZE") == "inactive"
    # The lifecycle table's sources: floating IPs come and go whatever the server does.
    assert views.server_actions("VERIFY_RESIZE", None) == [
        views.CONFIRM, views.REVERT, views.ALLOC, views.DEALLOC,
    ]  # fmt: skip
    # An OVF export: of a stopped server only.
    assert views.server_actions("SHUTOFF", None) == [
        views.START, views.CREATE_IMAGE, views.ALLOC, views.DEALLOC, EXPORT,
    ]  # fmt: skip
    assert EXPORT not in views.server_actions("ACTIVE", None)
    assert views.server_actions("ERROR", None) == [views.RESTART, views.REBOOT]
    assert views.server_actions("ACTIVE", "powering-off") == []


def test_server_rendering_keeps_raw_state() -> None:
    server = {
        "id": "s1",
        "name": "vm",
        "status": "VERIFY_RESIZE",
        "flavor": {"vcpus": 1, "ram": 256, "original_name": "bitsy"},
    }
    entity = views.compute_entity(server, [], [], ["172.24.4.9"])
    assert entity.attributes["org.openstack.compute.state"] == "VERIFY_RESIZE"
    assert entity.attributes["occi.compute.memory"] == 0.25
    assert entity.attributes["org.openstack.network.floating.ip"] == "172.24.4.9"


def test_flavor_template_terms() -> None:
    assert sanitize_term("m1 tiny") == "m1_tiny"
    mixin = flavor_mixin({"id": "98", "name": "itsy", "vcpus": 1, "ram": 128, "disk": 1})
    assert mixin.type_id == "http://schemas.openstack.org/template/resource#itsy"
    assert mixin.attribute("occi.compute.memory").default == 0.125  # type: ignore[union-attr]


def test_errors_translate() -> None:
    assert isinstance(translate("compute", 404, "gone"), errors.NotFound)
    assert isinstance(translate("compute", 409, "busy"), errors.Conflict)
    assert isinstance(translate("network", 413, "quota"), errors.Forbidden)
    unavailable = translate("compute", 503, "down")
    assert isinstance(unavailable, errors.ServiceUnavailable)
    assert unavailable.headers["Retry-After"]


def test_rule_body() -> None:
    body = rule_body(
        "g1",
        {
            "occi.network.security.protocol": "TCP",
            "occi.network.security.from": 22,
            "occi.network.security.to": 22,
            "occi.network.security.range": "0.0.0.0/24",
        },
    )
    assert body["protocol"] == "tcp" and body["port_range_min"] == 22
    assert body["remote_ip_prefix"] == "0.0.0.0/24"
