"""Provider mixins: resource templates from flavors, OS templates from images and snapshots."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from occi_server.backends.local.catalogue import CloudCatalogue, Flavor, Image
from occi_server.categories.infrastructure import OS_TPL, RESOURCE_TPL
from occi_server.categories.openstack import OS_TPL_SCHEME, RESOURCE_TPL_SCHEME
from occi_server.categories.templates import os_template, resource_template, sanitize_term
from occi_server.db.tables import OsTemplateRow
from occi_server.errors import BadRequest, Conflict
from occi_server.model import Mixin

RESOURCE_SCHEME = RESOURCE_TPL_SCHEME
OS_SCHEME = OS_TPL_SCHEME


def flavor_mixin(flavor: Flavor) -> Mixin:
    return resource_template(
        name=flavor.name,
        flavor_id=flavor.id,
        vcpus=flavor.vcpus,
        ram_mb=flavor.ram_mb,
        disk_gb=flavor.disk_gb,
        ephemeral_gb=flavor.ephemeral_gb,
        swap_mb=flavor.swap_mb,
    )


def os_mixin(image: Image, title: str | None = None) -> Mixin:
    return os_template(
        name=image.name,
        image_id=image.id,
        os_family=image.os_family,
        os_version=image.os_version,
        architecture=image.architecture,
        title=title,
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
