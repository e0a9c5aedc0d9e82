"""Provider mixins: resource templates from flavors, OS templates from images and snapshots."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from occi_server.backends.local.catalogue import CloudCatalogue, Flavor, Image
from occi_server.categories.infrastructure import COMPUTE, OS_TPL, RESOURCE_TPL
from occi_server.db.tables import OsTemplateRow
from occi_server.errors import BadRequest, Conflict
from occi_server.model import Attribute, AttributeType, Mixin

RESOURCE_SCHEME = "http://schemas.openstack.org/template/resource#"
OS_SCHEME = "http://schemas.openstack.org/template/os#"

_NOT_TERM = re.compile(r"[^A-Za-z0-9._-]")
_INT, _FLOAT = AttributeType.INTEGER, AttributeType.FLOAT
# OCCI's architecture enum from an image's CPU architecture.
_ARCHITECTURES = {
    "x86_64": "x64",
    "amd64": "x64",
    "x64": "x64",
    "i386": "x86",
    "i686": "x86",
    "x86": "x86",
}


def sanitize_term(name: str) -> str:
    """An OCCI 1.2 term for a name: characters a term cannot hold become '_'."""
    term = _NOT_TERM.sub("_", name.strip())
    if not term or not term[0].isalnum():
        term = "t" + term  # a term starts with a letter or digit
    return term[:255]


def _info(name: str, value: str | int, kind: AttributeType = AttributeType.STRING) -> Attribute:
    # Informational: carried onto the compute as defaults, never changed by clients.
    return Attribute(name=name, type=kind, default=value, mutable=False)


def flavor_mixin(flavor: Flavor) -> Mixin:
    term = sanitize_term(flavor.name)
    return Mixin(
        scheme=RESOURCE_SCHEME,
        term=term,
        title=f"Flavor: {flavor.name}",
        depends=(RESOURCE_TPL,),
        applies=(COMPUTE,),
        location=f"/mixin/resource_tpl/{term}/",
        attributes=(
            Attribute(name="occi.compute.cores", type=_INT, default=flavor.vcpus),
            Attribute(name="occi.compute.memory", type=_FLOAT, default=flavor.memory_gib),
            _info("org.openstack.flavor.name", flavor.name),
            _info("org.openstack.flavor.id", flavor.id),
            _info("org.openstack.flavor.vcpus", flavor.vcpus, _INT),
            _info("org.openstack.flavor.ram", flavor.ram_mb, _INT),
            _info("org.openstack.flavor.disk", flavor.disk_gb, _INT),
            _info("org.openstack.flavor.ephemeral", flavor.ephemeral_gb, _INT),
            _info("org.openstack.flavor.swap", flavor.swap_mb, _INT),
        ),
    )


def os_mixin(image: Image, title: str | None = None) -> Mixin:
    term = sanitize_term(image.name)
    attributes = [
        _info("org.openstack.image.id", image.id),
        _info("org.openstack.image.name", image.name),
        _info("org.openstack.image.os_family", image.os_family),
        _info("org.openstack.image.os_version", image.os_version),
        _info("org.openstack.image.architecture", image.architecture),
    ]
    arch = _ARCHITECTURES.get(image.architecture.lower())
    if arch is not None:
        attributes.append(Attribute(name="occi.compute.architecture", default=arch))
    return Mixin(
        scheme=OS_SCHEME,
        term=term,
        title=title or f"Image: {image.name}",
        depends=(OS_TPL,),
        applies=(COMPUTE,),
        location=f"/mixin/os_tpl/{term}/",
        attributes=tuple(attributes),
    )


class ProviderTemplates:
    """The catalogue's templates, built once; snapshots are read per project."""

    def __init__(self, catalogue: CloudCatalogue) -> None:
        self.flavors = {flavor_mixin(f).type_id: f for f in catalogue.flavors}
        self.images = {os_mixin(i).type_id: i for i in catalogue.images}
        self.mixins: tuple[Mixin, ...] = (
            *(flavor_mixin(f) for f in catalogue.flavors),
            *(os_mixin(i) for i in catalogue.images),
        )
        if len({m.type_id for m in self.mixins}) != len(self.mixins):
            raise ValueError("two catalogue entries sanitise to the same template term")
        self.by_id = {m.type_id: m for m in self.mixins}
        flavor = catalogue.flavor(catalogue.default_flavor)
        image = catalogue.image(catalogue.default_image)
        assert flavor is not None and image is not None  # checked by CloudCatalogue
        self.default_flavor = flavor_mixin(flavor)
        self.default_image = os_mixin(image)

    def snapshots(self, db: Session, project_id: str) -> list[Mixin]:
        rows = db.scalars(
            select(OsTemplateRow)
            .where(OsTemplateRow.project_id == project_id)
            .order_by(OsTemplateRow.pk)
        )
        return [snapshot_mixin(row) for row in rows]

    def snapshot_image(self, db: Session, project_id: str, type_id: str) -> Image | None:
        if not type_id.startswith(OS_SCHEME):
            return None
        row = db.scalars(
            select(OsTemplateRow).where(
                OsTemplateRow.project_id == project_id,
                OsTemplateRow.term == type_id[len(OS_SCHEME) :],
            )
        ).first()
        return _snapshot_image(row) if row is not None else None

    def create_snapshot(
        self, db: Session, project_id: str, name: str, source: str, base: Image | None
    ) -> Mixin:
        """Record a project-private OS template made from the compute at `source`."""
        term = sanitize_term(name)
        if OS_SCHEME + term in self.by_id or self.snapshot_image(db, project_id, OS_SCHEME + term):
            raise Conflict(f"an OS template called {term} already exists")
        row = OsTemplateRow(
            project_id=project_id,
            term=term,
            title=f"Snapshot of {source}: {name}",
            image_id=str(uuid.uuid4()),
            source_location=source,
            attributes={
                "os_family": base.os_family if base else "",
                "os_version": base.os_version if base else "",
                "architecture": base.architecture if base else "",
                "name": name,
            },
        )
        db.add(row)
        db.flush()
        return snapshot_mixin(row)


def _snapshot_image(row: OsTemplateRow) -> Image:
    values = row.attributes
    return Image(
        name=str(values.get("name") or row.term),
        id=row.image_id,
        os_family=str(values.get("os_family", "")),
        os_version=str(values.get("os_version", "")),
        architecture=str(values.get("architecture", "")),
    )


def snapshot_mixin(row: OsTemplateRow) -> Mixin:
    mixin = os_mixin(_snapshot_image(row), title=row.title)
    # The term is the stored one (the name may sanitise differently after a rename).
    return Mixin(
        scheme=mixin.scheme,
        term=row.term,
        title=mixin.title,
        depends=mixin.depends,
        applies=mixin.applies,
        location=f"/mixin/os_tpl/{row.term}/",
        attributes=mixin.attributes,
    )


def role_of(mixin: Mixin, lookup: Callable[[str], Mixin | None]) -> str | None:
    """RESOURCE_TPL or OS_TPL when the mixin is such a template (following `depends`)."""
    seen: set[str] = set()
    stack = [mixin]
    while stack:
        current = stack.pop()
        for parent in current.depends:
            if parent in (RESOURCE_TPL, OS_TPL):
                return parent
            found = lookup(parent)
            if found is not None and parent not in seen:
                seen.add(parent)
                stack.append(found)
    return None


def pick_one(
    role: str, mixins: Iterable[Mixin], lookup: Callable[[str], Mixin | None], label: str
) -> Mixin | None:
    """The single template of `role` among `mixins`; two of them is a 400."""
    found: Sequence[Mixin] = [m for m in mixins if role_of(m, lookup) == role]
    if len(found) > 1:
        names = ", ".join(m.term for m in found)
        raise BadRequest(f"only one {label} may be given, not {names}")
    return found[0] if found else None
