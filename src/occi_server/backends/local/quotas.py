"""Quotas: how much of each resource a project may hold, as OpenStack has them.

The limits are the configured defaults ([quotas]) overlaid by the project's own (the `quotas`
table, `occi-server quota set`); -1 is unlimited. Usage is counted from what the project holds,
in the request's transaction: writers run one at a time (db/engine.py), so nothing can take the
last unit between the count and the insert. Past a limit the request is refused with 403 naming
the resource, what was asked and what is in use, as Nova does.

This module is also the quotas' repository (it holds their SQL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, func, insert, select, type_coerce
from sqlalchemy.types import NullType

from occi_server.backends.local.direct import Prepared
from occi_server.backends.local.scope import Scope
from occi_server.categories import infrastructure as infra
from occi_server.categories import openstack
from occi_server.db.tables import EntityRow, IpAllocationRow, QuotaRow, UserMixinRow
from occi_server.errors import BadRequest, Forbidden


@dataclass(frozen=True, slots=True)
class Resource:
    name: str
    unit: str  # how a message counts it
    summary: str


RESOURCES: tuple[Resource, ...] = (
    Resource("computes", "computes", "compute resources"),
    Resource("cores", "cores", "occi.compute.cores over all computes"),
    Resource("memory", "GiB", "occi.compute.memory over all computes"),
    Resource("volumes", "volumes", "storage resources"),
    Resource("gigabytes", "GiB", "occi.storage.size over all storage"),
    Resource("floating_ips", "addresses", "addresses held in the floating-IP pools"),
    Resource("networks", "networks", "the project's own networks (not the provider's)"),
    Resource("security_groups", "groups", "security group mixins"),
    Resource("security_group_rules", "rules", "security group rule resources"),
    Resource("user_mixins", "mixins", "user-defined mixins, security groups included"),
)
NAMES = tuple(r.name for r in RESOURCES)
_BY_NAME = {r.name: r for r in RESOURCES}
UNLIMITED = -1

_QUOTAS = QuotaRow.metadata.tables[QuotaRow.__tablename__]
_ENTITIES = EntityRow.metadata.tables[EntityRow.__tablename__]
_ALLOCATIONS = IpAllocationRow.metadata.tables[IpAllocationRow.__tablename__]
_MIXINS = UserMixinRow.metadata.tables[UserMixinRow.__tablename__]
_e = _ENTITIES.c

_OWN = Prepared(
    select(_QUOTAS.c.resource, _QUOTAS.c.limit).where(_QUOTAS.c.project_id == bindparam("project"))
)
_SET = Prepared(
    insert(_QUOTAS).values(
        project_id=bindparam("project", type_=_QUOTAS.c.project_id.type),
        resource=bindparam("resource", type_=_QUOTAS.c.resource.type),
        limit=bindparam("limit", type_=_QUOTAS.c.limit.type),
    )
)
_UNSET = Prepared(
    delete(_QUOTAS).where(
        _QUOTAS.c.project_id == bindparam("project"), _QUOTAS.c.resource == bindparam("resource")
    )
)
_COUNT_KIND = Prepared(
    select(func.count()).where(_e.project_id == bindparam("project"), _e.kind == bindparam("kind"))
)


def _total(attribute: str) -> ColumnElement[Any]:
    """The sum of a numeric attribute over the rows (0 for none), as the driver reads it: no
    result processor (the one data path passes no column type to PostgreSQL's numeric ones)."""
    summed = func.coalesce(func.sum(_e.attributes[attribute].as_float()), 0.0)
    return type_coerce(summed, NullType())


_COMPUTE_TOTALS = Prepared(
    select(
        func.count(),
        _total("occi.compute.cores"),
        _total("occi.compute.memory"),
    ).where(_e.project_id == bindparam("project"), _e.kind == infra.COMPUTE)
)
_STORAGE_TOTALS = Prepared(
    select(
        func.count(),
        _total("occi.storage.size"),
    ).where(_e.project_id == bindparam("project"), _e.kind == infra.STORAGE)
)
_NETWORKS = Prepared(
    select(_e.location).where(_e.project_id == bindparam("project"), _e.kind == infra.NETWORK)
)
_ADDRESSES = Prepared(
    select(_ALLOCATIONS.c.pool, func.count())
    .where(_ALLOCATIONS.c.project_id == bindparam("project"))
    .group_by(_ALLOCATIONS.c.pool)
)
_MIXIN_DEPENDS = Prepared(
    select(_MIXINS.c.depends).where(_MIXINS.c.project_id == bindparam("project"))
)


def limits(scope: Scope, project: str | None = None) -> dict[str, int]:
    """Every resource's limit for the project (the caller's unless named)."""
    found = dict(scope.cloud.quotas)
    for resource, limit in scope.tx.rows(_OWN, {"project": project or scope.project_id}):
        if resource in _BY_NAME:
            found[resource] = int(limit)
    return found


def set_limits(scope: Scope, project: str, values: Mapping[str, int | None]) -> None:
    """The project's own limits (None: back to the configured default)."""
    for resource, limit in values.items():
        if resource not in _BY_NAME:
            raise BadRequest(f"no quota called {resource} (quotas: {', '.join(NAMES)})")
        if limit is not None and limit < UNLIMITED:
            raise BadRequest(f"quota {resource}: {limit} is below -1 (unlimited)")
        scope.tx.execute(_UNSET, {"project": project, "resource": resource})
        if limit is not None:
            scope.tx.execute(_SET, {"project": project, "resource": resource, "limit": limit})


def usage(
    scope: Scope, project: str | None = None, only: Iterable[str] = NAMES
) -> dict[str, float]:
    """What the project holds of each resource (of those in `only`: each count is a query)."""
    params = {"project": project or scope.project_id}
    found: dict[str, float] = {}
    for count in {_COUNTED_BY[name] for name in only}:
        found.update(count(scope, params))
    return found


def _computes(scope: Scope, params: dict[str, str]) -> dict[str, float]:
    computes, cores, memory = scope.tx.rows(_COMPUTE_TOTALS, params)[0]
    return {"computes": computes, "cores": float(cores), "memory": round(float(memory), 4)}


def _storage(scope: Scope, params: dict[str, str]) -> dict[str, float]:
    volumes, gigabytes = scope.tx.rows(_STORAGE_TOTALS, params)[0]
    return {"volumes": volumes, "gigabytes": round(float(gigabytes), 4)}


def _networks(scope: Scope, params: dict[str, str]) -> dict[str, float]:
    provider = {f"/network/{spec.name}" for spec in scope.cloud.offer.networks}
    rows = scope.tx.rows(_NETWORKS, params)
    return {"networks": sum(1 for (location,) in rows if location not in provider)}


def _addresses(scope: Scope, params: dict[str, str]) -> dict[str, float]:
    floating = floating_keys(scope)
    rows = scope.tx.rows(_ADDRESSES, params)
    return {"floating_ips": sum(n for pool, n in rows if pool in floating)}


def _mixins(scope: Scope, params: dict[str, str]) -> dict[str, float]:
    depends = [d for (d,) in scope.tx.rows(_MIXIN_DEPENDS, params)]
    groups = sum(1 for d in depends if openstack.SECURITY_GROUP in (d or ()))
    return {"user_mixins": len(depends), "security_groups": groups}


def _rules(scope: Scope, params: dict[str, str]) -> dict[str, float]:
    rules = scope.tx.scalar(_COUNT_KIND, {**params, "kind": openstack.SECURITY_RULE})
    return {"security_group_rules": int(rules or 0)}


_COUNTED_BY: dict[str, Callable[[Scope, dict[str, str]], dict[str, float]]] = {
    "computes": _computes,
    "cores": _computes,
    "memory": _computes,
    "volumes": _storage,
    "gigabytes": _storage,
    "floating_ips": _addresses,
    "networks": _networks,
    "security_groups": _mixins,
    "security_group_rules": _rules,
    "user_mixins": _mixins,
}


def floating_keys(scope: Scope) -> set[str]:
    """The allocation keys of the floating-IP pools (the public network's, where they overlap)."""
    from occi_server.backends.local import floating_ips  # it imports links, which imports us

    catalogue = scope.cloud.offer
    return {floating_ips.space(catalogue, pool).key for pool in catalogue.floating_pools}


def require(scope: Scope, wanted: Mapping[str, float]) -> None:
    """Refuse (403) a change that would take the project past a limit; `wanted` is what it adds
    of each resource (a shrink adds a negative amount and is never refused)."""
    asked = {name: more for name, more in wanted.items() if more > 0}
    if not asked:
        return
    limit = limits(scope)
    bounded = {name: more for name, more in asked.items() if limit.get(name, UNLIMITED) >= 0}
    if not bounded:
        return
    used = usage(scope, only=bounded)
    for name, more in bounded.items():
        if used[name] + more > limit[name] + 1e-9:
            unit = _BY_NAME[name].unit
            raise Forbidden(
                f"quota exceeded for {name}: {amount_text(more)} {unit} asked, "
                f"{amount_text(used[name])} of {limit[name]} in use"
            )


def for_new(kind: str, attributes: Mapping[str, object]) -> dict[str, float]:
    """What a new resource of `kind` with these (completed) attributes adds."""
    if kind == infra.COMPUTE:
        return {
            "computes": 1,
            "cores": _float(attributes.get("occi.compute.cores")),
            "memory": _float(attributes.get("occi.compute.memory")),
        }
    if kind == infra.STORAGE:
        return {"volumes": 1, "gigabytes": _float(attributes.get("occi.storage.size"))}
    if kind == infra.NETWORK:
        return {"networks": 1}
    if kind == openstack.SECURITY_RULE:
        return {"security_group_rules": 1}
    return {}


def _float(value: object) -> float:
    try:
        return float(value) if value is not None else 0.0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def amount_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
