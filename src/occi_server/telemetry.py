"""What a request leaves for the operator: its id, who made it, and hooks for metrics.

Any layer may report here without knowing what listens (http/metrics.py when metrics are on,
nothing otherwise):

- `current()` is the request being served (its id, and the project and user once known). The
  HTTP edge sets it; worker threads see it because the context is copied into them, and the
  entry is one shared object, so what a thread notes is seen by the edge when it logs.
- `backend_call(service, seconds, failed)`: one call to the cloud (compute, network, volume,
  image, identity), a driver, or the database.
- `connection_opened()` / `connection_closed()`: a client's TCP connection.
- `reconciler_depth(n)` and `intent_outcome(outcome)`: for the reconciler (the intents waiting,
  and how each one ended: "done", "failed", "retried", ...).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol


@dataclass(slots=True)
class RequestEntry:
    request_id: str
    project: str = "-"
    user: str = "-"


_current: ContextVar[RequestEntry | None] = ContextVar("occi_request", default=None)


def current() -> RequestEntry | None:
    return _current.get()


def begin(entry: RequestEntry) -> object:
    """Make `entry` the current request; returns the token for `end`."""
    return _current.set(entry)


def end(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def request_id() -> str | None:
    entry = _current.get()
    return entry.request_id if entry is not None else None


def identify(project: str, user: str) -> None:
    """The authenticated caller of the current request (for the access log)."""
    entry = _current.get()
    if entry is not None:
        entry.project = project
        entry.user = user


class Observer(Protocol):
    def backend_call(self, service: str, seconds: float, failed: bool) -> None: ...

    def reconciler_depth(self, depth: int) -> None: ...

    def intent_outcome(self, outcome: str) -> None: ...

    def connections(self, change: int) -> None: ...


class _Nobody:
    def backend_call(self, service: str, seconds: float, failed: bool) -> None:
        return None

    def reconciler_depth(self, depth: int) -> None:
        return None

    def intent_outcome(self, outcome: str) -> None:
        return None

    def connections(self, change: int) -> None:
        return None


# The one observer of this process: metrics are process-wide in Prometheus anyway.
_observer: Observer = _Nobody()


def install(observer: Observer | None) -> None:
    """Report to `observer` from now on (None: to nobody)."""
    global _observer
    _observer = observer if observer is not None else _Nobody()


def observing() -> bool:
    return not isinstance(_observer, _Nobody)


def backend_call(service: str, seconds: float, failed: bool = False) -> None:
    _observer.backend_call(service, seconds, failed)


def reconciler_depth(depth: int) -> None:
    _observer.reconciler_depth(depth)


def intent_outcome(outcome: str) -> None:
    _observer.intent_outcome(outcome)


def connection_opened() -> None:
    _observer.connections(1)


def connection_closed() -> None:
    _observer.connections(-1)
