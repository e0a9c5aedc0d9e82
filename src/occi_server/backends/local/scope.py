"""What every rule module works with: the transaction, the caller's project, the cloud."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from occi_server.backends.local.direct import Transaction
from occi_server.backends.local.offer import CloudOffer
from occi_server.backends.local.templates import ProviderTemplates
from occi_server.context import RequestContext
from occi_server.drivers import Drivers

if TYPE_CHECKING:
    from occi_server.backends.local.imports import Importer


@dataclass(frozen=True, slots=True)
class Cloud:
    """Built once per backend: the catalogue, the drivers, the default quotas (quotas.py) and
    the template mixins derived from the catalogue."""

    offer: CloudOffer
    drivers: Drivers
    quotas: Mapping[str, int] = field(default_factory=dict)
    # Copies CDMI objects into new volumes for storagelinks (imports.py); None: no such links.
    importer: Importer | None = field(default=None, compare=False)
    templates: ProviderTemplates = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "templates", ProviderTemplates(self.offer))


class Scope:
    """One request: its transaction, whose data it may touch, and the cloud.

    `tx` is the request's one transaction (direct.py); the repositories run their statements
    on it, and nothing else touches the database."""

    __slots__ = ("after_commit", "after_rollback", "cloud", "ctx", "hashes", "tx")

    def __init__(self, ctx: RequestContext, cloud: Cloud, tx: Transaction) -> None:
        self.ctx = ctx
        self.cloud = cloud
        self.tx = tx
        # What to do once the transaction has committed (delete a file, wake the reconciler)
        # or rolled back (delete a file made for it).
        self.after_commit: list[Callable[[], None]] = []
        self.after_rollback: list[Callable[[], None]] = []
        # Passwords hashed in this request: a collection's chg_pwd runs scrypt once, not once
        # per member (its members then share the salt, as they share the password).
        self.hashes: dict[str, str] = {}

    @property
    def project_id(self) -> str:
        return self.ctx.project_id
