"""Nova servers as OCCI computes: create, delete, resize, rebuild, actions (servers.py reads)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

from occi_server.backends.base import EntityChanges, EntityDraft
from occi_server.backends.openstack import views
from occi_server.backends.openstack.scope import Scope
from occi_server.categories import infrastructure as infra
from occi_server.categories import openstack as ext
from occi_server.errors import BadRequest, Conflict, NotFound
from occi_server.model import Mixin, Resource

GONE = ("DELETED", "SOFT_DELETED")  # Nova statuses of servers that no longer exist for OCCI
TAG_PREFIX = "occi-mixin-"  # a plain user mixin on a server: Nova tag occi-mixin-<sha1[:20]>
RESIZE_PENDING = "VERIFY_RESIZE"


def mixin_tag(type_id: str) -> str:
    return TAG_PREFIX + hashlib.sha1(type_id.encode()).hexdigest()[:20]


def is_gone(server: dict[str, Any]) -> bool:
    """Nova accepted its deletion: after OCCI's DELETE answered 200 it must be 404 at once."""
    return server.get("status") in GONE or server.get("OS-EXT-STS:task_state") == "deleting"


def create_compute(scope: Scope, draft: EntityDraft) -> str:
    offer, groups = scope.offer(), scope.groups()
    flavor = _one(draft.mixins, ext.RESOURCE_TPL_SCHEME, "resource template")
    image = _one(draft.mixins, ext.OS_TPL_SCHEME, "OS template")
    flavor_id = offer.flavors[flavor.type_id]["id"] if flavor else _default_flavor(scope, draft)
    image_id = offer.images[image.type_id]["id"] if image else _default_image(scope)
    attrs = draft.attributes
    body: dict[str, Any] = {
        "name": str(attrs.get("occi.core.title") or attrs.get("occi.compute.hostname") or "occi"),
        "flavorRef": flavor_id,
        "imageRef": image_id,
        "networks": scope.default_networks(draft),
    }
    volumes = _inline_volumes(draft)
    if volumes:
        # With a mapping, Nova wants the boot disk in it too: the image on a local disk.
        root = {"source_type": "image", "destination_type": "local", "uuid": image_id}
        body["block_device_mapping_v2"] = [{**root, "boot_index": 0}, *volumes]
    sgs = [groups.id_of(m.type_id) for m in draft.mixins if groups.is_group(m.type_id)]
    if sgs:
        body["security_groups"] = [{"name": sg} for sg in sgs]
    # Plain mixins are tags; groups are tagged too, for the time Nova has no ports to show them.
    tags = [
        mixin_tag(m.type_id)
        for m in draft.mixins
        if groups.is_plain(m.type_id) or groups.is_group(m.type_id)
    ]
    if tags:
        body["tags"] = tags
    _contextualize(scope, draft, body)
    server = scope.api.post("compute", "/servers", {"server": body})["server"]
    return str(server["id"])


def _inline_volumes(draft: EntityDraft) -> list[dict[str, Any]]:
    """Inline storagelinks: existing volumes attached at boot."""
    mappings: list[dict[str, Any]] = []
    for link in draft.links:
        if link.kind.type_id != infra.STORAGELINK:
            continue
        mapping: dict[str, Any] = {
            "source_type": "volume",
            "destination_type": "volume",
            "uuid": link.target.rstrip("/").rsplit("/", 1)[-1],
            "boot_index": -1,
            "delete_on_termination": False,  # the storage is a resource of its own in OCCI
        }
        device = link.attributes.get("occi.storagelink.deviceid")
        if device:
            mapping["device_name"] = str(device)
        mappings.append(mapping)
    return mappings


def _contextualize(scope: Scope, draft: EntityDraft, body: dict[str, Any]) -> None:
    attrs = draft.attributes
    if attrs.get(ext.ADMIN_PWD):
        body["adminPass"] = str(attrs[ext.ADMIN_PWD])
    data = attrs.get("org.openstack.compute.user_data") or attrs.get("occi.compute.userdata")
    if data:
        text = str(data)
        try:
            base64.b64decode(text, validate=True)
        except ValueError:
            text = base64.b64encode(text.encode()).decode()
        body["user_data"] = text
    key = attrs.get("org.openstack.credentials.publickey.data") or attrs.get(
        "occi.credentials.ssh.publickey"
    )
    if key:
        name = str(attrs.get("org.openstack.credentials.publickey.name") or "")
        body["key_name"] = scope.ensure_keypair(name, str(key))


def _one(mixins: list[Mixin], scheme: str, what: str) -> Mixin | None:
    chosen = [m for m in mixins if m.scheme == scheme]
    if len(chosen) > 1:
        raise BadRequest(f"give at most one {what}, not {len(chosen)}")
    return chosen[0] if chosen else None


def _default_flavor(scope: Scope, draft: EntityDraft) -> str:
    """Plain OCCI clients: the smallest flavor with at least the cores and memory asked for."""
    cores = int(draft.attributes.get("occi.compute.cores") or 1)
    memory_mb = float(draft.attributes.get("occi.compute.memory") or 0) * 1024
    fits = [
        f
        for f in scope.offer().flavors.values()
        if int(f.get("vcpus", 0)) >= cores and int(f.get("ram", 0)) >= memory_mb
    ]
    if not fits:
        raise BadRequest("no flavor has the cores and memory asked for; give a resource template")
    best = min(fits, key=lambda f: (int(f["ram"]), int(f["vcpus"]), int(f.get("disk", 0))))
    return str(best["id"])


def _default_image(scope: Scope) -> str:
    images = scope.offer().images
    if not images:
        raise BadRequest("the cloud offers no image; give an OS template")
    wanted = scope.settings.default_image
    for image in images.values():
        if image.get("name") == wanted:
            return str(image["id"])
    return str(next(iter(images.values()))["id"])


def update_compute(scope: Scope, server_id: str, changes: EntityChanges) -> None:
    """Partial update: a new resource template resizes, a new OS template rebuilds."""
    api, offer, groups = scope.api, scope.offer(), scope.groups()
    flavor = _one(changes.add_mixins, ext.RESOURCE_TPL_SCHEME, "resource template")
    image = _one(changes.add_mixins, ext.OS_TPL_SCHEME, "OS template")
    path = f"/servers/{server_id}/action"
    if flavor is not None or image is not None:
        server = api.get("compute", f"/servers/{server_id}")["server"]
        if server.get("status") == RESIZE_PENDING:
            raise Conflict("a resize is waiting for confirm_resize or revert_resize")
    if flavor is not None:
        api.post("compute", path, {"resize": {"flavorRef": offer.flavors[flavor.type_id]["id"]}})
    if image is not None:
        api.post("compute", path, {"rebuild": {"imageRef": offer.images[image.type_id]["id"]}})
    for mixin in changes.add_mixins:
        if groups.is_group(mixin.type_id):
            scope.set_port_groups(server_id, add=groups.id_of(mixin.type_id))
        elif groups.is_plain(mixin.type_id):
            api.put("compute", f"/servers/{server_id}/tags/{mixin_tag(mixin.type_id)}", None)
    for mixin in changes.remove_mixins:
        if groups.is_group(mixin.type_id):
            scope.set_port_groups(server_id, remove=groups.id_of(mixin.type_id))
        elif groups.is_plain(mixin.type_id):
            api.delete("compute", f"/servers/{server_id}/tags/{mixin_tag(mixin.type_id)}")
    if "occi.core.title" in changes.set_attributes:
        title = str(changes.set_attributes["occi.core.title"])
        api.put("compute", f"/servers/{server_id}", {"server": {"name": title}})


def _start(status: str, params: dict[str, Any]) -> dict[str, Any]:
    return {{"SUSPENDED": "resume", "PAUSED": "unpause"}.get(status, "os-start"): None}


def _restart(status: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"reboot": {"type": "HARD" if status == "ERROR" else "SOFT"}}


def _reboot(status: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"reboot": {"type": str(params.get(ext.REBOOT_TYPE) or "SOFT")}}


def _chg_pwd(status: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"changePassword": {"adminPass": str(params[ext.ADMIN_PWD])}}


NovaAction = Callable[[str, dict[str, Any]], dict[str, Any]]


def _fixed(body: dict[str, Any]) -> NovaAction:
    return lambda status, params: body


# The Nova server action each lifecycle step is (states and messages: categories/lifecycles.py).
_NOVA_ACTIONS: dict[str, NovaAction] = {
    views.START: _start,
    views.STOP: _fixed({"os-stop": None}),
    views.RESTART: _restart,
    views.SUSPEND: _fixed({"suspend": None}),
    views.CONFIRM: _fixed({"confirmResize": None}),
    views.REVERT: _fixed({"revertResize": None}),
    views.CHG_PWD: _chg_pwd,
    views.REBOOT: _reboot,
}


def invoke(scope: Scope, entity: Resource, action: str, params: dict[str, Any]) -> Any:
    """Ask Nova; the answer comes when Nova has accepted, the state then shows the progress."""
    api, server_id = scope.api, entity.id
    path = f"/servers/{server_id}/action"
    status = str(entity.attributes.get(ext.NOVA_STATE, "")).upper()
    step = views.LIFECYCLE.step(action)
    if step is not None and status in step.idle:
        return None  # already there (start on an active server): nothing to ask Nova
    if action in _NOVA_ACTIONS:
        api.post("compute", path, _NOVA_ACTIONS[action](status, params))
    elif action == views.CREATE_IMAGE:
        return _create_image(scope, server_id, str(params[ext.IMAGE_NAME]))
    elif action == views.ALLOC:
        scope.allocate_floating_ip(entity, params.get(ext.FLOATING_POOL))
    elif action == views.DEALLOC:
        scope.release_floating_ip(entity, params.get(ext.FLOATING_IP))
    else:
        raise BadRequest(f"action {action} is not available here")
    return None


def _create_image(scope: Scope, server_id: str, name: str) -> Mixin:
    scope.api.post("compute", f"/servers/{server_id}/action", {"createImage": {"name": name}})
    scope.forget_offer()
    from occi_server.backends.openstack.templates import image_mixin

    return image_mixin({"id": "", "name": name})


def delete_compute(scope: Scope, server_id: str) -> None:
    """Nova deletes the server and its ports; floating IPs are released with it (as ooi did)."""
    server, fips = scope.api.together(
        lambda: scope.api.get("compute", f"/servers/{server_id}")["server"],
        lambda: scope.floating_ips_of(server_id),
    )
    if is_gone(server):
        raise NotFound(f"/compute/{server_id}: no such entity (already being deleted)")
    scope.api.delete("compute", f"/servers/{server_id}")
    for fip in fips:
        scope.api.delete("network", f"/v2.0/floatingips/{fip['id']}")
