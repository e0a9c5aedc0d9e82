"""How a cloud's flavors, images and floating-IP pools appear as OCCI mixins.

One mapping for every backend, so the walkthrough reads the same on the embedded cloud and on
OpenStack: flavors are resource templates, images OS templates, pools mixins of their own.
Plain values in, model objects out (no cloud SDK here).
"""

from __future__ import annotations

import re

from occi_server.categories.infrastructure import COMPUTE, OS_TPL, RESOURCE_TPL
from occi_server.categories.openstack import (
    FLOATING_POOL_SCHEME,
    OS_TPL_SCHEME,
    RESOURCE_TPL_SCHEME,
)
from occi_server.model import Attribute, AttributeType, Mixin

_NOT_TERM = re.compile(r"[^A-Za-z0-9._-]")
_INT, _FLOAT = AttributeType.INTEGER, AttributeType.FLOAT
# OCCI's architecture enum from an image's CPU architecture.
ARCHITECTURES = {
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


def resource_template(
    *,
    name: str,
    flavor_id: str,
    vcpus: int,
    ram_mb: int,
    disk_gb: int = 0,
    ephemeral_gb: int = 0,
    swap_mb: int = 0,
) -> Mixin:
    term = sanitize_term(name)
    return Mixin(
        scheme=RESOURCE_TPL_SCHEME,
        term=term,
        title=f"Flavor: {name}",
        depends=(RESOURCE_TPL,),
        applies=(COMPUTE,),
        location=f"/mixin/resource_tpl/{term}/",
        attributes=(
            Attribute(name="occi.compute.cores", type=_INT, default=vcpus),
            Attribute(name="occi.compute.memory", type=_FLOAT, default=round(ram_mb / 1024, 4)),
            _info("org.openstack.flavor.name", name),
            _info("org.openstack.flavor.id", flavor_id),
            _info("org.openstack.flavor.vcpus", vcpus, _INT),
            _info("org.openstack.flavor.ram", ram_mb, _INT),
            _info("org.openstack.flavor.disk", disk_gb, _INT),
            _info("org.openstack.flavor.ephemeral", ephemeral_gb, _INT),
            _info("org.openstack.flavor.swap", swap_mb, _INT),
        ),
    )


def os_template(
    *,
    name: str,
    image_id: str,
    os_family: str = "",
    os_version: str = "",
    architecture: str = "",
    title: str | None = None,
) -> Mixin:
    term = sanitize_term(name or image_id)
    attributes = [
        _info("org.openstack.image.id", image_id),
        _info("org.openstack.image.name", name),
        _info("org.openstack.image.os_family", os_family),
        _info("org.openstack.image.os_version", os_version),
        _info("org.openstack.image.architecture", architecture),
    ]
    arch = ARCHITECTURES.get(architecture.lower())
    if arch is not None:
        attributes.append(Attribute(name="occi.compute.architecture", default=arch))
    return Mixin(
        scheme=OS_TPL_SCHEME,
        term=term,
        title=title or f"Image: {name}",
        depends=(OS_TPL,),
        applies=(COMPUTE,),
        location=f"/mixin/os_tpl/{term}/",
        attributes=tuple(attributes),
    )


def floating_pool(name: str, detail: str = "") -> Mixin:
    """A pool of floating IPs; carrying it means holding an address from it."""
    term = sanitize_term(name)
    return Mixin(
        scheme=FLOATING_POOL_SCHEME,
        term=term,
        title=f"Floating IP pool {name}" + (f" ({detail})" if detail else ""),
        applies=(COMPUTE,),
        location=f"/mixin/floatingippool/{term}/",
    )
