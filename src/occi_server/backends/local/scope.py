"""What every rule module works with: the transaction, the caller's project, the cloud."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from occi_server.backends.local.catalogue import CloudCatalogue
from occi_server.backends.local.templates import ProviderTemplates
from occi_server.context import RequestContext


@dataclass(frozen=True, slots=True)
class Cloud:
    """Built once per backend: the catalogue and the template mixins derived from it."""

    catalogue: CloudCatalogue
    templates: ProviderTemplates = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "templates", ProviderTemplates(self.catalogue))


@dataclass(frozen=True, slots=True)
class Scope:
    """One request: its database session (one transaction) and whose data it may touch."""

    db: Session
    ctx: RequestContext
    cloud: Cloud

    @property
    def project_id(self) -> str:
        return self.ctx.project_id
