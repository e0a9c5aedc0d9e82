"""The intents repository: driver operations waiting to be applied, read and written only here.

Like every repository (direct.py says how one is written), its statements are compiled once per
dialect and run on the request's transaction (direct.Transaction). A request records an intent
in the transaction of the state change that asked for it; the reconciler claims it (a
conditional UPDATE: only a `pending` intent, or a `running` one whose lease has run out, can be
claimed, so with any number of workers one of them wins), applies it, and finishes it with its
outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, insert, or_, select, update

from occi_server.backends.local.direct import Prepared, Transaction
from occi_server.db.tables import IntentRow, utcnow

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
_I = IntentRow.metadata.tables["intents"]


@dataclass(frozen=True, slots=True)
class Intent:
    pk: int
    project_id: str
    location: str  # the compute (guest) it is for; its outcome is recorded there
    operation: str
    arguments: dict[str, Any]
    success: dict[str, Any]
    failure: dict[str, Any]
    attempts: int
    owner: str | None


_COLUMNS = [
    _I.c.pk, _I.c.project_id, _I.c.location, _I.c.operation, _I.c.arguments,
    _I.c.success, _I.c.failure, _I.c.attempts, _I.c.owner,
]  # fmt: skip


def _intent(values: Any) -> Intent:
    pk, project, location, operation, arguments, success, failure, attempts, owner = values
    return Intent(
        pk, project, location, operation, arguments or {}, success, failure, attempts, owner,
    )  # fmt: skip


_INSERT = Prepared(
    insert(_I)
    .values(
        project_id=bindparam("project"),
        location=bindparam("new_location"),
        operation=bindparam("new_operation"),
        arguments=bindparam("new_arguments", type_=_I.c.arguments.type),
        success=bindparam("new_success", type_=_I.c.success.type),
        failure=bindparam("new_failure", type_=_I.c.failure.type),
        status=PENDING,
        attempts=0,
        created_at=bindparam("now", type_=_I.c.created_at.type),
    )
    .returning(_I.c.pk)
)


def _claimable(table: Any) -> Any:
    return or_(
        table.c.status == PENDING,
        and_(table.c.status == RUNNING, table.c.lease_until < bindparam("now_ms")),
    )


def _unfinished(table: Any) -> Any:
    # Not IN (...): an expanding parameter would need values when the statement is compiled.
    return or_(table.c.status == PENDING, table.c.status == RUNNING)


_CANDIDATE = _I.alias("candidate")
_OLDER = _I.alias("older")
# The oldest claimable intent whose compute has no older one unfinished (one guest's operations
# apply in the order they were asked for).
_NEXT = (
    select(func.min(_CANDIDATE.c.pk))
    .where(
        _claimable(_CANDIDATE),
        ~exists().where(
            _OLDER.c.project_id == _CANDIDATE.c.project_id,
            _OLDER.c.location == _CANDIDATE.c.location,
            _OLDER.c.pk < _CANDIDATE.c.pk,
            _unfinished(_OLDER),
        ),
    )
    .scalar_subquery()
)
_CLAIM = Prepared(
    update(_I)
    .where(_I.c.pk == _NEXT, _claimable(_I))
    .values(
        status=RUNNING,
        owner=bindparam("claimer"),
        lease_until=bindparam("lease_ms"),
        attempts=_I.c.attempts + 1,
    )
    .returning(*_COLUMNS)
)
_FINISH = Prepared(
    update(_I)
    .where(_I.c.pk == bindparam("intent"), _I.c.owner == bindparam("holder"))
    .values(
        status=bindparam("new_status"),
        message=bindparam("new_message"),
        owner=None,
        lease_until=None,
        arguments=None,  # a password to set is kept no longer than needed
        finished_at=bindparam("now", type_=_I.c.finished_at.type),
    )
)
_RELEASE = Prepared(
    update(_I)
    .where(_I.c.pk == bindparam("intent"), _I.c.owner == bindparam("holder"))
    .values(status=PENDING, owner=None, lease_until=None)
)
_RUNNING = Prepared(select(*_COLUMNS).where(_I.c.status == RUNNING).order_by(_I.c.pk))
_UNFINISHED = Prepared(select(func.min(_I.c.pk)).where(_unfinished(_I)))
_STATUS = Prepared(select(_I.c.status, _I.c.message).where(_I.c.pk == bindparam("intent")))


def record(
    tx: Transaction,
    *,
    project: str,
    location: str,
    operation: str,
    arguments: dict[str, Any],
    success: dict[str, Any],
    failure: dict[str, Any],
) -> int:
    """A new pending intent (in the caller's transaction); its pk."""
    params = {
        "project": project, "new_location": location,
        "new_operation": operation, "new_arguments": arguments, "new_success": success,
        "new_failure": failure, "now": utcnow(),
    }  # fmt: skip
    return int(tx.scalar(_INSERT, params))


def claim(tx: Transaction, owner: str, now_ms: int, lease_ms: int) -> Intent | None:
    """Take the next intent to apply, or None; the lease runs until `lease_ms`."""
    found = tx.rows(_CLAIM, {"claimer": owner, "now_ms": now_ms, "lease_ms": lease_ms})
    return _intent(found[0]) if found else None


def finish(tx: Transaction, intent: Intent, owner: str, ok: bool, message: str | None) -> bool:
    """Record the outcome; False when the intent is no longer `owner`'s (its lease was taken
    over): the outcome is then not to be recorded."""
    params = {
        "intent": intent.pk, "holder": owner, "new_status": DONE if ok else FAILED,
        "new_message": (message or None) and message[:1024], "now": utcnow(),
    }  # fmt: skip
    return tx.execute(_FINISH, params) == 1


def release(tx: Transaction, intent: Intent) -> None:
    """Put a running intent back to pending (its owner died before finishing it)."""
    tx.execute(_RELEASE, {"intent": intent.pk, "holder": intent.owner})


def running(tx: Transaction) -> list[Intent]:
    return [_intent(values) for values in tx.rows(_RUNNING, {})]


_WAITING = Prepared(select(func.count()).select_from(_I).where(_unfinished(_I)))


def waiting(tx: Transaction) -> int:
    """How many intents are pending or running (the reconciler's queue, for the metrics)."""
    return int(tx.scalar(_WAITING, {}) or 0)


def any_unfinished(tx: Transaction) -> bool:
    return tx.scalar(_UNFINISHED, {}) is not None


def status(tx: Transaction, pk: int) -> tuple[str, str | None] | None:
    found = tx.rows(_STATUS, {"intent": pk})
    return (found[0][0], found[0][1]) if found else None
