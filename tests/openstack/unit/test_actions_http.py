"""Compute actions on the wire: what Nova is asked for each lifecycle step, and nothing when
the step leaves the server's status alone (start on an active server)."""

from __future__ import annotations

import json

import pytest

from occi_server.backends.openstack import compute, views
from occi_server.backends.openstack.scope import Scope, Settings
from occi_server.backends.openstack.templates import OfferCache
from occi_server.categories import openstack as ext
from occi_server.model import Resource
from tests.openstack.unit.fake_cloud import ENDPOINTS, FakeCloud, fake_api

ACTION_URL = ENDPOINTS["compute"] + "/servers/s1/action"


def _server(status: str) -> Resource:
    return views.compute_entity({"id": "s1", "name": "vm", "status": status}, [], [], [])


def _asked(action: str, status: str, **params: str) -> list[object]:
    cloud = FakeCloud()
    cloud.on("POST", ACTION_URL, (202, None))
    scope = Scope(fake_api(cloud), OfferCache(), Settings())
    assert compute.invoke(scope, _server(status), action, dict(params)) is None
    return [json.loads(r.body or b"null") for r in cloud.sent]


@pytest.mark.parametrize(
    ("action", "status", "params", "body"),
    [
        (views.START, "SHUTOFF", {}, {"os-start": None}),
        (views.START, "PAUSED", {}, {"unpause": None}),
        (views.STOP, "ACTIVE", {}, {"os-stop": None}),
        (views.RESTART, "ERROR", {}, {"reboot": {"type": "HARD"}}),
        (views.REBOOT, "ACTIVE", {ext.REBOOT_TYPE: "HARD"}, {"reboot": {"type": "HARD"}}),
        (views.REBOOT, "ACTIVE", {}, {"reboot": {"type": "SOFT"}}),
    ],
)
def test_each_step_is_one_nova_server_action(
    action: str, status: str, params: dict[str, str], body: object
) -> None:
    assert _asked(action, status, **params) == [body]


def test_start_on_an_active_server_asks_nova_nothing() -> None:
    assert _asked(views.START, "ACTIVE") == []


def test_a_task_is_shown_as_the_tables_transitional_message() -> None:
    server = {"id": "s1", "name": "vm", "status": "SHUTOFF", "OS-EXT-STS:task_state": "powering-on"}
    entity = views.compute_entity(server, [], [], [])
    assert entity.attributes["occi.compute.state.message"] == "starting"
    assert entity.attributes[ext.NOVA_TASK] == "powering-on"
    assert entity.attributes["occi.compute.state"] == "inactive"
    assert entity.actions == []
    rebooting = views.compute_entity(
        {**server, "status": "REBOOT", "OS-EXT-STS:task_state": "rebooting"}, [], [], []
    )
    # OCCI restart and Nova reboot are one Nova task: the OCCI step names it.
    assert rebooting.attributes["occi.compute.state.message"] == "restarting"


def test_reboot_is_offered_where_nova_allows_it() -> None:
    assert views.REBOOT in _server("ACTIVE").actions
    assert views.REBOOT in _server("ERROR").actions
    assert views.REBOOT not in _server("SHUTOFF").actions
