"""What every rule module works with: the transaction, the caller's project, the cloud."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from occi_server.backends.local.catalogue import CloudCatalogue
from occi_server.backends.local.direct import Reader
from occi_server.backends.local.templates import ProviderTemplates
from occi_server.context import RequestContext
from occi_server.drivers import Drivers


@dataclass(frozen=True, slots=True)
class Cloud:
    """Built once per backend: the catalogue and the template mixins derived from it."""

    catalogue: CloudCatalogue
    drivers: Drivers
    templates: ProviderTemplates = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "templates", ProviderTemplates(self.catalogue))


class Scope:
    """One request: its transaction, whose data it may touch, and the cloud.

    `reader` runs the hot statements on the transaction's driver connection (direct.py); the
    ORM session `db`, for the tables still written through the ORM, is opened only when first
    used. In a write transaction both share one connection (`flush` keeps them in step); a
    read-only request's ORM session reads on a connection of its own."""

    __slots__ = ("_db", "_open", "after_commit", "after_rollback", "cloud", "ctx", "reader")

    def __init__(
        self,
        ctx: RequestContext,
        cloud: Cloud,
        reader: Reader,
        open_db: Callable[[], Session],
    ) -> None:
        self.ctx = ctx
        self.cloud = cloud
        self.reader = reader
        self._open = open_db
        self._db: Session | None = None
        # What to do once the transaction has committed (delete a file, wake the reconciler)
        # or rolled back (delete a file made for it).
        self.after_commit: list[Callable[[], None]] = []
        self.after_rollback: list[Callable[[], None]] = []

    @property
    def db(self) -> Session:
        if self._db is None:
            self._db = self._open()
        return self._db

    def flush(self) -> None:
        """Write what the ORM session holds (before a direct statement, or the commit)."""
        if self._db is not None:
            self._db.flush()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def project_id(self) -> str:
        return self.ctx.project_id
