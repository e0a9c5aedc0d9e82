"""Provider mixins: resource templates from flavors, OS templates from images (a project's
snapshots are in images.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from occi_server.backends.local.offer import CloudOffer, Flavor, Image
from occi_server.categories.infrastructure import OS_TPL, RESOURCE_TPL
from occi_server.categories.openstack import OS_TPL_SCHEME, RESOURCE_TPL_SCHEME
from occi_server.categories.templates import os_template, resource_template
from occi_server.errors import BadRequest
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
    """The catalogue's templates, built once (a project's snapshots: images.py)."""

    def __init__(self, catalogue: CloudOffer) -> None:
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
        assert flavor is not None and image is not None  # checked by CloudOffer
        self.default_flavor = flavor_mixin(flavor)
        self.default_image = os_mixin(image)


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
