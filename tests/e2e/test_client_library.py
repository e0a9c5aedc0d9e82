"""occi_client against the real server in each rendering (and negotiated), sync and async:
filters and paging, full replace, user mixins and membership, collection actions, errors."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest

from occi_client import AsyncClient, BadRequest, Client, Conflict, Entity, NotFound, TokenAuth
from tests.support.server import ServerProcess

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
RENDERINGS = ["text/plain", "text/occi", "application/occi+json", None]


@pytest.fixture(params=RENDERINGS, ids=lambda r: r or "negotiated")
def client(
    request: pytest.FixtureRequest, server: ServerProcess, token_factory: Callable[[str], str]
) -> Client:
    project = f"lib-{request.param or 'negotiated'}".replace("/", "-").replace("+", "-")
    made = Client(server.url, auth=TokenAuth(token_factory(project)), rendering=request.param)
    request.addfinalizer(made.close)
    return made


def _vm(client: Client, title: str) -> str:
    return client.create(
        "compute",
        mixins=["os_tpl#cirros", "resource_tpl#itsy"],
        attributes={"occi.core.title": title, "occi.compute.hostname": title},
    )


def test_discovery(client: Client) -> None:
    model = client.discover()
    compute = model.kind("compute")
    assert compute.location == "/compute/" and compute.parent.endswith("core#resource")
    assert "occi.compute.state" in compute.attributes
    assert not compute.attributes["occi.compute.state"].mutable
    assert model.action("stop").attributes.keys() == {"method"}
    assert {m.term for m in model.templates(INFRA + "resource_tpl")} >= {"itsy", "bitsy"}
    filtered = client.discover([INFRA + "compute"])
    assert [c.type_id for c in filtered.categories] == [INFRA + "compute"]


def test_filters_and_paging(client: Client) -> None:
    tag = f"t{uuid.uuid4().hex[:8]}"
    made = [_vm(client, f"{tag}-{i}") for i in range(3)]
    assert set(made) <= set(client.list("compute"))
    only = client.list("compute", attributes={"occi.compute.hostname": f"{tag}-1"})
    assert only == [made[1]]
    pages = [client.list("compute", page=p, number=2) for p in (1, 2, 3, 50)]
    assert len(pages[0]) == 2 and all(len(p) <= 2 for p in pages) and pages[-1] == []
    joined = [x for page in pages for x in page]
    assert joined == client.list("compute")[: len(joined)]
    described = client.describe_all("compute", attributes={"occi.compute.hostname": f"{tag}-2"})
    assert [e.title for e in described] == [f"{tag}-2"]


def test_update_replace_actions_and_collection_actions(client: Client) -> None:
    vm = _vm(client, "one")
    client.update(vm, attributes={"occi.core.summary": "first"})
    assert client.describe(vm).attributes["occi.core.summary"] == "first"
    stopped = client.trigger(vm, "stop", {"method": "acpioff"})
    assert isinstance(stopped, Entity) and stopped.kind == INFRA + "compute"
    assert client.wait(vm, "inactive", timeout=30).state == "inactive"
    # Full replace: the summary not sent is gone, the templates stay
    client.replace(
        vm,
        "compute",
        mixins=["os_tpl#cirros", "resource_tpl#itsy"],
        attributes={"occi.core.title": "renamed"},
    )
    after = client.describe(vm)
    assert after.title == "renamed" and "occi.core.summary" not in after.attributes
    # An action the state forbids: suspend needs an active compute
    with pytest.raises(Conflict) as conflict:
        client.trigger(vm, "suspend")
    assert conflict.value.status == 409 and conflict.value.message
    # An action on a whole collection (a tag's, so other tests' VMs are not in it)
    term = f"c{uuid.uuid4().hex[:8]}"
    tag = client.create_mixin(term, "http://example.com/tags#", f"/tags/{term}/")
    client.associate(tag, [vm])
    client.trigger(f"/tags/{term}/", "start")
    assert client.wait(vm, "active", timeout=30).state == "active"


def test_user_mixins_and_membership(client: Client) -> None:
    term = f"tag{uuid.uuid4().hex[:8]}"
    tag = client.create_mixin(term, "http://example.com/tags#", f"/tags/{term}/", title="a tag")
    assert client.discover().get(tag.type_id) is not None
    a, b = _vm(client, "a"), _vm(client, "b")
    client.associate(tag, [a, b])
    assert sorted(client.list(tag.type_id)) == sorted([a, b])
    assert tag.type_id in client.describe(a).mixins
    only_b = client.list(
        "compute", categories=[tag.type_id], attributes={"occi.compute.hostname": "b"}
    )
    assert only_b == [b]
    client.set_members(tag.type_id, [a])
    assert client.list(tag.type_id) == [a]
    client.dissociate(tag.type_id, [a])
    assert client.list(tag.type_id) == []
    client.delete_mixin(tag.type_id)
    assert client.discover().get(tag.type_id) is None


def test_create_at_a_chosen_location_and_links(client: Client) -> None:
    ident = str(uuid.uuid4())
    vm = client.create(
        "compute", mixins=["os_tpl#cirros", "resource_tpl#itsy"], location=f"/compute/{ident}"
    )
    assert vm.endswith(f"/compute/{ident}")
    vol = client.create("storage", attributes={"occi.storage.size": 2.0})
    link = client.link(vm, vol, attributes={"occi.storagelink.deviceid": "/dev/vdb"})
    shown = client.describe(link)
    assert shown.kind == INFRA + "storagelink"
    assert shown.source and shown.source.endswith(ident)
    assert [x.kind for x in client.describe(vm).links] == [INFRA + "storagelink"]
    client.unlink(link)
    with pytest.raises(NotFound) as missing:
        client.describe(link)
    assert missing.value.status == 404 and "/storage/link/" in missing.value.url
    with pytest.raises(BadRequest) as bad:
        client.create("storage", attributes={"occi.storage.size": "big"})
    assert "occi.storage.size" in bad.value.message


def test_async_client(server: ServerProcess, token_factory: Callable[[str], str]) -> None:
    async def run(rendering: str) -> None:
        auth = TokenAuth(token_factory("lib-async"))
        async with AsyncClient(server.url, auth=auth, rendering=rendering) as client:
            vm = await client.create("compute", mixins=["os_tpl#cirros", "resource_tpl#itsy"])
            await client.trigger(vm, "stop")
            entity = await client.wait(vm, "inactive", timeout=5)
            assert entity.state == "inactive"
            listed, model = await asyncio.gather(client.list("compute"), client.discover())
            assert vm in listed and model.kind("compute").location == "/compute/"
            await client.delete(vm)
            with pytest.raises(NotFound):
                await client.describe(vm)

    for rendering in ("text/plain", "text/occi", "application/occi+json"):
        asyncio.run(run(rendering))
