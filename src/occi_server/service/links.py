"""Link drafts: inline links at resource creation, and standalone link creation."""

from __future__ import annotations

from typing import Any

from occi_server.backends.base import LinkDraft
from occi_server.categories import core
from occi_server.categories import infrastructure as infra
from occi_server.errors import BadRequest
from occi_server.model import Kind, Mixin
from occi_server.model.request import LinkRef
from occi_server.registry import Registry
from occi_server.service import validation
from occi_server.service.urls import is_local, to_path

# When an inline link names no category, the target's kind decides (friendlier than a 400).
DEFAULT_LINK_KIND = {infra.NETWORK: infra.NETWORKINTERFACE, infra.STORAGE: infra.STORAGELINK}


def inline_link(registry: Registry, ref: LinkRef, base_url: str) -> LinkDraft:
    kind: Kind | None = None
    mixins: list[Mixin] = []
    for type_id in ref.categories:
        category = registry.get(type_id)
        if isinstance(category, Kind) and kind is None:
            kind = category
        elif isinstance(category, Mixin):
            mixins.append(category)
        else:
            raise BadRequest(f"Link category {type_id}: not a known link kind or mixin")
    if kind is None:
        guessed = next((DEFAULT_LINK_KIND[r] for r in ref.rel if r in DEFAULT_LINK_KIND), None)
        kind = registry.kind(guessed or core.LINK)
    if kind is None or not registry.is_a(kind, core.LINK):
        raise BadRequest(f"Link to {ref.target[:80]}: category must be a link kind")
    target = to_path(ref.target, base_url, what="Link target")
    draft = _draft(registry, kind, mixins, ref.attributes, "", target, _target_kind(ref))
    draft.given = _elsewhere(registry, kind, ref.target, base_url)
    return draft


def standalone_link(
    registry: Registry, kind: Kind, mixins: list[Mixin], attributes: dict[str, Any], base_url: str
) -> LinkDraft:
    source_ref = attributes.get("occi.core.source")
    target_ref = attributes.get("occi.core.target")
    if not isinstance(source_ref, str) or not source_ref:
        raise BadRequest("attribute occi.core.source: is required")
    if not isinstance(target_ref, str) or not target_ref:
        raise BadRequest("attribute occi.core.target: is required")
    source = to_path(source_ref, base_url, what="attribute occi.core.source")
    if not is_local(source):
        raise BadRequest("attribute occi.core.source: must be a resource of this service")
    target = to_path(target_ref, base_url, what="attribute occi.core.target")
    target_kind = attributes.get("occi.core.target.kind")
    if target_kind is not None and (
        not isinstance(target_kind, str) or not registry.kind(target_kind)
    ):
        raise BadRequest("attribute occi.core.target.kind: not a known kind")
    draft = _draft(registry, kind, mixins, attributes, source, target, target_kind)
    draft.given = _elsewhere(registry, kind, target_ref, base_url)
    return draft


def _draft(
    registry: Registry,
    kind: Kind,
    mixins: list[Mixin],
    attributes: dict[str, Any],
    source: str,
    target: str,
    target_kind: str | None,
) -> LinkDraft:
    validation.check_mixins(registry, kind, mixins)
    definitions = registry.attribute_definitions(kind, mixins)
    values = validation.coerce_attributes(definitions, attributes, creating=True)
    values = validation.apply_defaults(definitions, values)
    client_id = attributes.get("occi.core.id")
    return LinkDraft(
        kind=kind,
        mixins=mixins,
        attributes=values,
        source=source,
        target=target,
        target_kind=target_kind,
        id=str(client_id) if client_id is not None else None,
    )


def _target_kind(ref: LinkRef) -> str | None:
    return ref.rel[0] if ref.rel else None


def _elsewhere(registry: Registry, kind: Kind, reference: str, base_url: str) -> str | None:
    """A storagelink's target URL as given when it names another port of a loopback name or
    of this host: taken as this server's (the seed's `localhost:8787`) when it names one of
    its resources, else another server's CDMI object to import (backends/local/imports.py)."""
    if not registry.is_a(kind, infra.STORAGELINK):
        return None
    strict = to_path(reference, base_url, what="Link target", same_port=True)
    return strict if not is_local(strict) and is_local(to_path(reference, base_url)) else None
