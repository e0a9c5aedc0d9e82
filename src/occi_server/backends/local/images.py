"""The images repository (os_templates): the OS templates a project made from its computes
(`save`, `create_image`) or uploaded, private to it, and those imported for every project
(`occi-server image import`: rows of the project `_global`, listed and found beside the
project's own). The catalogue's own images are configuration (catalogue.py, templates.py)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select

from occi_server.backends.local.direct import Prepared
from occi_server.backends.local.offer import Image
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.templates import OS_SCHEME, os_mixin
from occi_server.categories.templates import sanitize_term
from occi_server.db.tables import OsTemplateRow, utcnow
from occi_server.drivers.volumes import GLOBAL_PROJECT
from occi_server.errors import BadRequest, Conflict
from occi_server.model import Mixin

_IMAGES = OsTemplateRow.metadata.tables[OsTemplateRow.__tablename__]
_c = _IMAGES.c
_FIELDS = (_c.term, _c.title, _c.image_id, _c.attributes)
_OWN = Prepared(select(*_FIELDS).where(_c.project_id == bindparam("project")).order_by(_c.pk))
# The project's own and the global ones; the project's first where both hold a term.
_VISIBLE = or_(_c.project_id == bindparam("project"), _c.project_id == GLOBAL_PROJECT)
_OWN_FIRST = (_c.project_id == GLOBAL_PROJECT, _c.pk)
_OF_PROJECT = Prepared(select(*_FIELDS).where(_VISIBLE).order_by(*_OWN_FIRST))
_BY_TERM = Prepared(
    select(*_FIELDS).where(_VISIBLE, _c.term == bindparam("term")).order_by(*_OWN_FIRST)
)
_DROP = Prepared(
    delete(_IMAGES).where(_c.project_id == bindparam("project"), _c.term == bindparam("term"))
)
_ADD = Prepared(
    insert(_IMAGES).values({c.name: bindparam(c.name, type_=c.type) for c in _c if c.name != "pk"})
)


def snapshots(scope: Scope) -> list[Mixin]:
    """The project's snapshots as OS template mixins, oldest first."""
    return [_mixin(*values) for values in scope.tx.rows(_OF_PROJECT, {"project": scope.project_id})]


def find(scope: Scope, type_id: str) -> Image | None:
    """The project's snapshot that `type_id` names (None: not one of its snapshots)."""
    if not type_id.startswith(OS_SCHEME):
        return None
    params = {"project": scope.project_id, "term": type_id[len(OS_SCHEME) :]}
    found = scope.tx.rows(_BY_TERM, params)
    return _image(found[0][0], found[0][2], found[0][3]) if found else None


def create(scope: Scope, name: str, source: str, base: Image | None) -> Mixin:
    """Record a project-private OS template made from the compute at `source`."""
    term = sanitize_term(name)
    if OS_SCHEME + term in scope.cloud.templates.by_id or find(scope, OS_SCHEME + term):
        raise Conflict(f"an OS template called {term} already exists")
    title = f"Snapshot of {source}: {name}"
    image_id = str(uuid.uuid4())
    attributes = {
        "os_family": base.os_family if base else "",
        "os_version": base.os_version if base else "",
        "architecture": base.architecture if base else "",
        "name": name,
    }
    scope.tx.execute(
        _ADD,
        {
            "project_id": scope.project_id,
            "term": term,
            "title": title,
            "image_id": image_id,
            "source_location": source,
            "attributes": attributes,
            "created_at": utcnow(),
        },
    )
    return _mixin(term, title, image_id, attributes)


def add_uploaded(scope: Scope, term: str, disk_format: str, size: int, *, title: str = "") -> Mixin:
    """Record a project-private OS template whose bytes were uploaded (CDMI `images/`) or
    imported (an OVF appliance's first disk)."""
    if term != sanitize_term(term):
        raise BadRequest(f"{term!r}: an OS template's name is an OCCI term ({sanitize_term(term)})")
    if OS_SCHEME + term in scope.cloud.templates.by_id or find(scope, OS_SCHEME + term):
        raise Conflict(f"an OS template called {term} already exists")
    attributes = {"name": term, "disk_format": disk_format, "size": size}
    title = title or f"Uploaded image {term} ({disk_format})"
    scope.tx.execute(
        _ADD,
        {
            "project_id": scope.project_id,
            "term": term,
            "title": title,
            "image_id": str(uuid.uuid4()),
            "source_location": "",
            "attributes": attributes,
            "created_at": utcnow(),
        },
    )
    return _mixin(term, title, "", attributes)


def private(scope: Scope, project: str | None = None) -> list[tuple[str, str, dict[str, Any]]]:
    """(term, title, attributes) of the project's own OS templates (or `project`'s: the
    `_global` one's are every project's), oldest first."""
    found = scope.tx.rows(_OWN, {"project": project or scope.project_id})
    return [(term, title, dict(values)) for term, title, _, values in found]


def booted(scope: Scope, mixins: list[str]) -> list[tuple[str, int]]:
    """(term, recorded size in bytes) of the project's or global OS templates among `mixins`
    (a compute's: the image it booted from); catalogue images are not here."""
    found = []
    for type_id in mixins:
        if not type_id.startswith(OS_SCHEME):
            continue
        params = {"project": scope.project_id, "term": type_id[len(OS_SCHEME) :]}
        for term, _, _, values in scope.tx.rows(_BY_TERM, params)[:1]:
            found.append((str(term), int((values or {}).get("size") or 0)))
    return found


def remove(scope: Scope, term: str) -> None:
    """Forget the project's OS template `term` (its bytes are the caller's business)."""
    scope.tx.execute(_DROP, {"project": scope.project_id, "term": term})


def add_global(scope: Scope, name: str, title: str, base: Image) -> Mixin:
    """Record an OS template every project may boot (its file is in the store already);
    `scope` is the `_global` project's."""
    term = sanitize_term(name)
    if OS_SCHEME + term in scope.cloud.templates.by_id or find(scope, OS_SCHEME + term):
        raise Conflict(f"an OS template called {term} already exists")
    image_id = str(uuid.uuid4())
    attributes = {
        "os_family": base.os_family,
        "os_version": base.os_version,
        "architecture": base.architecture,
        "name": name,
    }
    scope.tx.execute(
        _ADD,
        {
            "project_id": GLOBAL_PROJECT,
            "term": term,
            "title": title,
            "image_id": image_id,
            "source_location": "",
            "attributes": attributes,
            "created_at": utcnow(),
        },
    )
    return _mixin(term, title, image_id, attributes)


def _image(term: str, image_id: str, values: dict[str, Any]) -> Image:
    return Image(
        name=str(values.get("name") or term),
        id=image_id,
        os_family=str(values.get("os_family", "")),
        os_version=str(values.get("os_version", "")),
        architecture=str(values.get("architecture", "")),
    )


def _mixin(term: str, title: str, image_id: str, values: dict[str, Any]) -> Mixin:
    mixin = os_mixin(_image(term, image_id, values), title=title)
    # The term is the stored one (the name may sanitise differently after a rename).
    return Mixin(
        scheme=mixin.scheme,
        term=term,
        title=mixin.title,
        depends=mixin.depends,
        applies=mixin.applies,
        location=f"/mixin/os_tpl/{term}/",
        attributes=mixin.attributes,
    )
