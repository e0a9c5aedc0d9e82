"""A compute's guest: what the hypervisor is asked to do for each compute rule, and the root
disk kept in the volume store.

The states and messages come from the lifecycle table; this module only names the hypervisor
operation (drivers/hypervisor.OPERATIONS) and its arguments.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from occi_server.backends.base import ActionOutcome, EntityDraft
from occi_server.backends.local import control, network, store
from occi_server.backends.local.links import IF_ADDRESS, IF_GATEWAY
from occi_server.backends.local.rules import KindRules, Update
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.states import CORES, LIFECYCLE, MEMORY
from occi_server.backends.local.storage import IMPORTING
from occi_server.backends.local.store import EntityRecord
from occi_server.categories import infrastructure as infra
from occi_server.categories import openstack
from occi_server.drivers.hypervisor import GuestSpec, IpConfig, spec_arguments
from occi_server.drivers.volumes import disk_of, image_of, volume_of
from occi_server.errors import Conflict
from occi_server.model import Mixin
from occi_server.model.lifecycle import Step

_DISK = "org.openstack.flavor.disk"
_IMAGE = "org.openstack.image.name"


def create(scope: Scope, row: EntityRecord) -> None:
    """A new compute: its guest defined (with the name of its root disk in the store, which
    the hypervisor fills from the image; the simulated one makes it when a snapshot needs it)
    and booted."""
    key = control.guest(scope, row)
    disk = disk_of(key)
    attributes = row.attributes
    spec = GuestSpec(
        key=key,
        name=str(
            attributes.get("occi.core.title") or attributes.get("occi.compute.hostname") or row.id
        ),
        cores=int(attributes.get(CORES) or 1),
        memory_gib=float(attributes.get(MEMORY) or 0.5),
        image=str(attributes.get(_IMAGE) or ""),
        disk=disk,
        disk_gib=float(attributes.get(_DISK) or 1),
        user_data=_user_data(attributes),
        extra=_contextualization(row, attributes),
    )
    # An intent keeps JSON; an instant driver takes the spec as it is.
    instant = scope.cloud.drivers.hypervisor.instant
    arguments = {"spec": spec} if instant else spec_arguments(spec)
    control.perform(scope, row, "create", arguments, step=LIFECYCLE.create)


def destroy(scope: Scope, row: EntityRecord) -> None:
    """A deleted compute: its guest destroyed, its root disk removed once the delete commits."""
    control.perform(scope, row, "destroy", {})
    volumes = scope.cloud.drivers.volumes
    disk = disk_of(control.guest(scope, row))
    scope.after_commit.append(lambda: volumes.delete(disk))


def act(
    scope: Scope,
    row: EntityRecord,
    step: Step,
    parameters: Mapping[str, Any],
    outcome: object,
    message: str | None,
) -> bool:
    """The hypervisor's part of a compute action (False: it has none, e.g. floating IPs)."""
    found = _operation(scope, step.action, row, parameters, outcome)
    if found is None:
        return False
    operation, arguments = found
    control.perform(scope, row, operation, arguments, step=step, message=message)
    return True


def _operation(
    scope: Scope, action: str, row: EntityRecord, parameters: Mapping[str, Any], outcome: object
) -> tuple[str, dict[str, Any]] | None:
    method = parameters.get("method")
    if action == infra.START.type_id:
        paused = LIFECYCLE.status_of(row.attributes) in ("SUSPENDED", "PAUSED")
        return ("resume" if paused else "start"), {}
    if action == infra.STOP.type_id:
        return "stop", {"method": method or "poweroff"}
    if action == infra.RESTART.type_id:
        return "restart", {"method": method or "cold"}
    if action == openstack.REBOOT.type_id:
        hard = parameters.get(openstack.REBOOT_TYPE) == "HARD"
        return "restart", {"method": "cold" if hard else "warm"}
    if action == infra.SUSPEND.type_id:
        return "suspend", {}
    if action in (infra.SAVE.type_id, openstack.CREATE_IMAGE.type_id) and isinstance(
        outcome, Mixin
    ):
        return "snapshot", {"image": image_of(scope.project_id, outcome.term)}
    if action == openstack.CHG_PWD.type_id:
        if not scope.cloud.drivers.hypervisor.agent_ready(control.guest(scope, row)):
            raise Conflict(
                f"chg_pwd: the guest of {row.location} runs no QEMU guest agent (qemu-ga), "
                "which sets the password; install and start it in the guest"
            )
        password = parameters.get(openstack.ADMIN_PWD)
        return ("set_password", {"password": str(password)}) if password else None
    return None


def resize(scope: Scope, row: EntityRecord, cores: Any, memory: Any) -> None:
    control.perform(
        scope, row, "resize", {"cores": int(cores or 1), "memory_gib": float(memory or 0.5)}
    )


def rebuild(scope: Scope, row: EntityRecord, image: Mixin) -> None:
    control.perform(scope, row, "rebuild", {"image": image.term})


def _user_data(attributes: Mapping[str, Any]) -> str | None:
    """The user data as the guest reads it: clients send it base64-encoded (Nova's
    user_data, rOCCI's occi.compute.userdata); a value that is not base64 is taken as is."""
    value = attributes.get("occi.compute.userdata") or attributes.get(
        "org.openstack.compute.user_data"
    )
    if value is None:
        return None
    text = str(value)
    try:
        return base64.b64decode(text.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return text


def _contextualization(row: EntityRecord, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """What the guest's metadata carries beside user data: its instance id (the compute's),
    hostname and public key (OCCI's ssh_key or OpenStack's public_key mixin)."""
    key = attributes.get("occi.credentials.ssh.publickey") or attributes.get(
        "org.openstack.credentials.publickey.data"
    )
    extra: dict[str, Any] = {"instance_id": row.id}
    hostname = attributes.get("occi.compute.hostname")
    if hostname:
        extra["hostname"] = str(hostname)
    if key:
        extra["ssh_key"] = str(key).strip()
    return extra


def importing(attributes: Mapping[str, Any]) -> bool:
    """A storagelink whose volume's bytes are still being copied in (imports.py)."""
    return str(attributes.get("occi.storagelink.state.message", "")).startswith(IMPORTING)


class Attachments(KindRules):
    """A link kind's rules, and the hypervisor told of what the link attaches to a compute:
    a volume (storagelink) or an interface (networkinterface)."""

    def __init__(self, inner: KindRules, kind: str) -> None:
        self._inner = inner
        self._kind = kind

    def prepare(
        self, scope: Scope, draft: EntityDraft, attributes: dict[str, Any], mixins: list[Mixin]
    ) -> list[Mixin]:
        return self._inner.prepare(scope, draft, attributes, mixins)

    def after_create(self, scope: Scope, row: EntityRecord, draft: EntityDraft) -> None:
        self._inner.after_create(scope, row, draft)
        if not importing(row.attributes):  # an imported volume is attached once its bytes are in
            tell(scope, row, self._kind, attach=True)

    def before_update(self, scope: Scope, row: EntityRecord, change: Update) -> None:
        self._inner.before_update(scope, row, change)

    def before_delete(self, scope: Scope, row: EntityRecord) -> None:
        self._inner.before_delete(scope, row)
        tell(scope, row, self._kind, attach=False)

    def actions(self, attributes: Mapping[str, Any]) -> list[str]:
        return self._inner.actions(attributes)

    def invoke(
        self, scope: Scope, row: EntityRecord, action: str, parameters: dict[str, Any]
    ) -> ActionOutcome:
        return self._inner.invoke(scope, row, action, parameters)


def _ip_config(scope: Scope, row: EntityRecord) -> IpConfig | None:
    """The address allocated to an interface, with its network's CIDR and gateway, for the
    hypervisor to hand the guest (a network without an IP range allocates none)."""
    address = row.attributes.get(IF_ADDRESS)
    if not address:
        return None
    target = store.by_pk(scope, row.target_pk) if row.target_pk is not None else None
    cidr = target.attributes.get(network.ADDRESS) if target is not None else None
    gateway = row.attributes.get(IF_GATEWAY)
    return IpConfig(str(address), str(cidr or ""), str(gateway or ""))


def tell(scope: Scope, row: EntityRecord, kind: str, *, attach: bool) -> None:
    """Tell the guest of the link's compute what the link attaches (or detaches)."""
    source = store.by_pk(scope, row.source_pk) if row.source_pk is not None else None
    if source is None or source.kind != infra.COMPUTE:
        return
    if kind == infra.STORAGELINK:
        target = store.by_pk(scope, row.target_pk) if row.target_pk is not None else None
        if target is None:
            return
        volume = volume_of(scope.project_id, target.id)
        if attach:
            device = str(row.attributes.get("occi.storagelink.deviceid", ""))
            control.perform(scope, source, "attach_volume", {"volume": volume, "device": device})
        else:
            control.perform(scope, source, "detach_volume", {"volume": volume})
    elif attach:
        mac = str(row.attributes.get("occi.networkinterface.mac", ""))
        arguments: dict[str, Any] = {"interface": row.location, "mac": mac}
        ip = _ip_config(scope, row)
        if ip is not None:
            arguments["ip"] = ip.arguments()
        control.perform(scope, source, "attach_interface", arguments)
    else:
        control.perform(scope, source, "detach_interface", {"interface": row.location})
