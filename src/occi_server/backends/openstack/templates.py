"""Flavors as resource templates, images as OS templates, external networks as floating pools.

Read through a short per-project cache (flavors and images change rarely; a project's own
snapshots invalidate its entry), so a request does not list them from Nova and Glance each time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from occi_server.backends.openstack.client import OpenStackApi
from occi_server.categories.openstack import (
    RESOURCE_TPL_SCHEME,
)
from occi_server.categories.templates import (
    floating_pool,
    os_template,
    resource_template,
    sanitize_term,
)
from occi_server.model import Mixin

CACHE_SECONDS = 30.0


def flavor_mixin(flavor: dict[str, Any]) -> Mixin:
    return resource_template(
        name=str(flavor.get("name") or flavor.get("original_name")),
        flavor_id=str(flavor.get("id")),
        vcpus=int(flavor.get("vcpus", 1)),
        ram_mb=int(flavor.get("ram", 0)),
        disk_gb=int(flavor.get("disk", 0)),
        ephemeral_gb=int(flavor.get("OS-FLV-EXT-DATA:ephemeral", 0) or 0),
        swap_mb=int(flavor.get("swap") or 0),
    )


def image_mixin(image: dict[str, Any]) -> Mixin:
    return os_template(
        name=str(image.get("name") or ""),
        image_id=str(image["id"]),
        os_family=str(image.get("os_distro") or ""),
        os_version=str(image.get("os_version") or ""),
        architecture=str(image.get("architecture") or ""),
    )


def pool_mixin(network: dict[str, Any]) -> Mixin:
    return floating_pool(str(network.get("name") or network["id"]))


@dataclass(slots=True)
class Offer:
    """One project's templates and pools, by mixin type id, with the OpenStack objects."""

    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    images: dict[str, dict[str, Any]] = field(default_factory=dict)
    pools: dict[str, dict[str, Any]] = field(default_factory=dict)
    mixins: list[Mixin] = field(default_factory=list)

    def flavor_by_id(self, flavor_id: str) -> Mixin | None:
        for mixin in self.mixins:
            if (
                mixin.scheme == RESOURCE_TPL_SCHEME
                and self.flavors.get(mixin.type_id, {}).get("id") == flavor_id
            ):
                return mixin
        return None

    def flavor_by_name(self, name: str) -> Mixin | None:
        type_id = RESOURCE_TPL_SCHEME + sanitize_term(name)
        return next((m for m in self.mixins if m.type_id == type_id), None)

    def image_by_id(self, image_id: str) -> Mixin | None:
        for mixin in self.mixins:
            if self.images.get(mixin.type_id, {}).get("id") == image_id:
                return mixin
        return None


def load_offer(api: OpenStackApi) -> Offer:
    flavors, images, networks = api.together(
        lambda: api.every("compute", "/flavors/detail", "flavors", is_public="None"),
        lambda: api.every("image", "/v2/images", "images", status="active", limit=1000),
        lambda: api.every("network", "/v2.0/networks", "networks", **{"router:external": "true"}),
    )
    offer = Offer()
    for flavor in flavors:
        mixin = flavor_mixin(flavor)
        offer.flavors.setdefault(mixin.type_id, flavor)
    for image in images:
        mixin = image_mixin(image)
        offer.images.setdefault(mixin.type_id, image)
    for network in networks:
        offer.pools.setdefault(pool_mixin(network).type_id, network)
    seen: set[str] = set()
    for builder, found in (
        (flavor_mixin, offer.flavors),
        (image_mixin, offer.images),
        (pool_mixin, offer.pools),
    ):
        for type_id, item in found.items():
            if type_id not in seen:
                seen.add(type_id)
                offer.mixins.append(builder(item))
    return offer


class OfferCache:
    """Per-project offers, kept CACHE_SECONDS; thread-safe; no state beyond a cache."""

    def __init__(self, seconds: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic):
        self._seconds = seconds
        self._clock = clock
        self._entries: dict[str, tuple[float, Offer]] = {}
        self._lock = threading.Lock()

    def get(self, api: OpenStackApi) -> Offer:
        now = self._clock()
        with self._lock:
            hit = self._entries.get(api.project_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        offer = load_offer(api)
        with self._lock:
            self._entries[api.project_id] = (now + self._seconds, offer)
        return offer

    def invalidate(self, project_id: str) -> None:
        with self._lock:
            self._entries.pop(project_id, None)
