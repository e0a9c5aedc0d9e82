"""The address allocations repository (ip_allocations): which addresses or ranges of a pool are
taken, and by whom. The rules that choose them are in addresses.py and subnets.py.

A pool's (pool, address) pair is UNIQUE; `take` inserts only when the pair is free, so a taken
address is a False, not an error that would end the transaction (PostgreSQL aborts one on any
error). Writers run one at a time (db/engine.py), so nothing can take it in between; were one
to, the UNIQUE constraint still refuses it (a 409 for the request).
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, delete, exists, insert, select

from occi_server.backends.local.direct import Prepared
from occi_server.backends.local.scope import Scope
from occi_server.db.tables import IpAllocationRow, utcnow

_ALLOCATIONS = IpAllocationRow.metadata.tables[IpAllocationRow.__tablename__]
_c = _ALLOCATIONS.c
_IN_POOL = Prepared(select(_c.address).where(_c.pool == bindparam("pool")))
_PROJECT_USES = Prepared(
    select(_c.pk)
    .where(_c.pool == bindparam("pool"), _c.project_id == bindparam("project"))
    .limit(1)
)
_TAKE = Prepared(
    insert(_ALLOCATIONS).from_select(
        ["pool", "address", "project_id", "entity_pk", "created_at"],
        select(
            bindparam("pool", type_=_c.pool.type),
            bindparam("address", type_=_c.address.type),
            bindparam("project", type_=_c.project_id.type),
            bindparam("holder", type_=_c.entity_pk.type),
            bindparam("now", type_=_c.created_at.type),
        ).where(
            ~exists().where(and_(_c.pool == bindparam("pool"), _c.address == bindparam("address")))
        ),
    )
)
_RELEASE = Prepared(delete(_ALLOCATIONS).where(_c.entity_pk == bindparam("holder")))
_RELEASE_IN = Prepared(
    delete(_ALLOCATIONS).where(_c.pool == bindparam("pool"), _c.entity_pk == bindparam("holder"))
)


def taken(scope: Scope, pool: str) -> set[str]:
    """Every address (or range) of `pool` that is taken, by any project."""
    return {address for (address,) in scope.tx.rows(_IN_POOL, {"pool": pool})}


def project_uses(scope: Scope, pool: str) -> bool:
    """Whether the caller's project holds anything in `pool`."""
    return bool(scope.tx.rows(_PROJECT_USES, {"pool": pool, "project": scope.project_id}))


def take(scope: Scope, pool: str, address: str, holder_pk: int) -> bool:
    """Give `address` of `pool` to the entity `holder_pk`; False when it is already taken."""
    params = {
        "pool": pool,
        "address": address,
        "project": scope.project_id,
        "holder": holder_pk,
        "now": utcnow(),
    }
    return scope.tx.execute(_TAKE, params) == 1


def release(scope: Scope, holder_pk: int) -> None:
    """Give back everything the entity holds, in every pool."""
    scope.tx.execute(_RELEASE, {"holder": holder_pk})


def release_in(scope: Scope, pool: str, holder_pk: int) -> None:
    scope.tx.execute(_RELEASE_IN, {"pool": pool, "holder": holder_pk})
