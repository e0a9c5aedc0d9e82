"""What every rule module works with: the transaction, the caller's project, the cloud."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from occi_server.backends.local.catalogue import CloudCatalogue
from occi_server.backends.local.direct import Reader
from occi_server.backends.local.templates import ProviderTemplates
from occi_server.context import RequestContext


@dataclass(frozen=True, slots=True)
class Cloud:
    """Built once per backend: the catalogue and the template mixins derived from it."""

    catalogue: CloudCatalogue
    templates: ProviderTemplates = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "templates", ProviderTemplates(self.catalogue))


class Scope:
    """One request: its database session (one transaction) and whose data it may touch.

    A read-only request may also carry a direct reader (backends/local/direct.py) for its hot
    reads; its ORM session is then opened only if something else is asked."""

    __slots__ = ("_db", "_open", "cloud", "ctx", "reader")

    def __init__(
        self,
        ctx: RequestContext,
        cloud: Cloud,
        db: Session | None = None,
        *,
        open_db: Callable[[], Session] | None = None,
        reader: Reader | None = None,
    ) -> None:
        self.ctx = ctx
        self.cloud = cloud
        self.reader = reader
        self._db = db
        self._open = open_db

    @property
    def db(self) -> Session:
        if self._db is None:
            if self._open is None:
                raise RuntimeError("this scope has no database session")
            self._db = self._open()
        return self._db

    @property
    def project_id(self) -> str:
        return self.ctx.project_id
