"""What an OVF import makes, once its disks are converted (docs/ovf.md "What an import makes"):
the first disk becomes an OS image of the project that the compute boots (qcow2, as the image
store keeps them), every other disk a storage attached in disk order; the networks are found
by title or made; the compute gets cores, memory, the title, the storagelinks, the interfaces
and the ProductSection's properties as user data."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Any, cast

from occi_server.backends.base import (
    Backend,
    CloudDisks,
    DiskAccess,
    EntityDraft,
    EntityQuery,
    LinkDraft,
    ProjectCloud,
)
from occi_server.categories import infrastructure as infra
from occi_server.categories.templates import sanitize_term
from occi_server.context import RequestContext
from occi_server.errors import BadRequest, NotImplementedByServer, OcciError
from occi_server.model import Mixin
from occi_server.ovf import envelope, writer

GIB = 1 << 30


def create(
    backend: Backend, ctx: RequestContext, appliance: envelope.Appliance, files: list[Path]
) -> list[str]:
    """Everything the appliance needs: the disks' bytes placed first (the first disk as the OS
    image the compute boots, the others as its storages), outside any write transaction
    (copying gigabytes must not hold the writer's turn), then one transaction for every
    record and entity: all of it or nothing."""
    boot, volumes = (files[0], files[1:]) if files else (None, [])
    term = sanitize_term(f"ovf-{writer.slug(appliance.name)}-{uuid.uuid4().hex[:8]}").lower()
    with backend.open(ctx, write=False) as session:  # a cloud of its own has no transactions
        if isinstance(session, CloudDisks):
            return _on_cloud(session, appliance, term, boot, volumes)
    ids = [str(uuid.uuid4()) for _ in volumes]
    try:
        with backend.open(ctx, write=False) as session:
            if not isinstance(session, DiskAccess):
                raise NotImplementedByServer("this cloud does not import OVF packages")
            if boot is not None:
                session.place_image(term, boot)
                boot.unlink()
            for storage_id, raw in zip(ids, volumes, strict=True):
                session.place_storage(storage_id, raw)
                raw.unlink()
        with backend.open(ctx, write=True) as session:
            return _entities(session, appliance, term if boot is not None else None, ids)
    except BaseException:
        with backend.open(ctx, write=False) as session:
            if isinstance(session, DiskAccess):
                session.discard_image(term)
                for storage_id in ids:
                    session.discard_storage(storage_id)
        raise


def _on_cloud(
    session: CloudDisks,
    appliance: envelope.Appliance,
    term: str,
    boot: Path | None,
    volumes: list[Path],
) -> list[str]:
    """On a cloud that keeps the bytes (OpenStack) each step makes a real object at once: the
    image, the volumes, the networks, the compute; a failure removes what was made."""
    cloud = cast(ProjectCloud, session)
    made: list[str] = []
    image = None
    try:
        if boot is not None:
            first = appliance.disks[0]
            title = f"{appliance.name} {first.disk_id} (OVF import)"[:200]
            image = session.upload_image(term, boot, title, first.capacity)
            made.append(image.location or f"/mixin/os_tpl/{term}/")
        links = []
        for number, (disk, raw) in enumerate(zip(appliance.disks[1:], volumes, strict=True)):
            storage = session.upload_volume(f"{appliance.name} {disk.disk_id}"[:200], raw)
            made.append(storage)
            device = {"occi.storagelink.deviceid": "vd" + chr(ord("b") + number)}
            links.append(_link(infra.STORAGELINK_KIND, storage, infra.STORAGE, device))
        links += _interfaces(cloud, appliance, made)
        draft = _compute(appliance, links, image)
        capacity = appliance.disks[0].capacity if appliance.disks else 0
        memory = (appliance.memory or 0) // (1 << 20)
        draft.mixins.append(session.fitting_flavor(appliance.cores or 1, memory, capacity))
        made.append(cloud.create_entity(draft))
        return made
    except BaseException:
        for location in reversed(made):
            with contextlib.suppress(OcciError):
                if location.startswith("/mixin/"):
                    session.delete_image(term)
                else:
                    cloud.delete_entity(location)
        raise


def _interfaces(
    session: ProjectCloud, appliance: envelope.Appliance, made: list[str]
) -> list[LinkDraft]:
    """One networkinterface per NIC, to the network of its name (found or made)."""
    wanted = [*appliance.networks, *(n for n in appliance.nics if n)]
    networks = {name: _network(session, name, made) for name in dict.fromkeys(wanted)}
    return [
        _link(infra.NETWORKINTERFACE_KIND, networks[n], infra.NETWORK, {})
        for n in appliance.nics
        if n
    ]


def _entities(
    session: ProjectCloud, appliance: envelope.Appliance, term: str | None, ids: list[str]
) -> list[str]:
    made: list[str] = []
    links = []
    image = None
    if term is not None:
        assert isinstance(session, DiskAccess)
        first = appliance.disks[0]
        title = f"{appliance.name} {first.disk_id} (OVF import)"[:200]
        image = session.record_image(term, title, first.capacity)
        made.append(image.location or f"/mixin/os_tpl/{term}/")
    for number, (disk, storage_id) in enumerate(zip(appliance.disks[1:], ids, strict=True)):
        storage: str = session.create_entity(
            EntityDraft(
                kind=infra.STORAGE_KIND,
                id=storage_id,  # the bytes placed for it are kept
                attributes={
                    "occi.core.title": f"{appliance.name} {disk.disk_id}"[:200],
                    "occi.storage.size": disk.capacity / GIB,
                },
            )
        )
        made.append(storage)
        device = {"occi.storagelink.deviceid": "vd" + chr(ord("b") + number)}
        links.append(_link(infra.STORAGELINK_KIND, storage, infra.STORAGE, device))
    links += _interfaces(session, appliance, made)
    made.append(session.create_entity(_compute(appliance, links, image)))
    return made


def _link(kind: Any, target: str, target_kind: str, attributes: dict[str, Any]) -> LinkDraft:
    return LinkDraft(kind=kind, target=target, target_kind=target_kind, attributes=attributes)


def _compute(
    appliance: envelope.Appliance, links: list[LinkDraft], image: Mixin | None
) -> EntityDraft:
    attributes: dict[str, Any] = {"occi.core.title": appliance.name[:200]}
    if appliance.cores is not None:
        attributes["occi.compute.cores"] = appliance.cores
    if appliance.memory is not None:
        attributes["occi.compute.memory"] = appliance.memory / GIB
    mixins = [image] if image is not None else []
    if appliance.properties:
        attributes["occi.compute.userdata"] = environment(appliance)
        mixins.append(infra.USER_DATA_MIXIN)
    return EntityDraft(kind=infra.COMPUTE_KIND, mixins=mixins, attributes=attributes, links=links)


def environment(appliance: envelope.Appliance) -> str:
    """ProductSection properties as `key=value` lines, the guest's user data."""
    lines = [f"{key}={value}".replace("\n", " ") for key, value in appliance.properties]
    return "\n".join(lines) + "\n"


def _network(session: ProjectCloud, name: str, made: list[str]) -> str:
    """The project's network of that title, or a new one."""
    found = session.list_locations(
        EntityQuery(kinds=(infra.NETWORK,), attributes={"occi.core.title": name}, limit=1)
    )
    if found:
        return str(found[0])
    if len(name) > 200:
        raise BadRequest(f"network name {name[:60]}...: longer than 200 characters")
    location: str = session.create_entity(
        EntityDraft(kind=infra.NETWORK_KIND, attributes={"occi.core.title": name})
    )
    made.append(location)
    return location
