"""The embedded cloud: a persistent OpenStack-like model in SQLite or PostgreSQL."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from occi_server.backends.base import SERVED_KINDS, SUPPORTED_MIXINS
from occi_server.backends.local import compute, floating_ips, network, security, storage
from occi_server.backends.local.direct import DirectReads, Driver, Transaction
from occi_server.backends.local.guests import Attachments
from occi_server.backends.local.imports import Importer
from occi_server.backends.local.links import LINK_KINDS, LinkRules
from occi_server.backends.local.objects import LocalObjects
from occi_server.backends.local.offer import CloudOffer, default_offer
from occi_server.backends.local.project_cloud import LocalProjectCloud
from occi_server.backends.local.reconciler import Reconciler, Settings
from occi_server.backends.local.rules import KindRules
from occi_server.backends.local.scope import Cloud, Scope
from occi_server.categories import appliances, openstack
from occi_server.categories import cdmi as cdmi_categories
from occi_server.categories import infrastructure as infra
from occi_server.cdmi import objectid
from occi_server.config import QuotasConfig, RemoteConfig
from occi_server.context import RequestContext
from occi_server.db.engine import is_sqlite
from occi_server.drivers import Drivers
from occi_server.drivers.files import FileStore
from occi_server.drivers.hypervisor import FLOATING_IPS, SECURITY_GROUPS
from occi_server.drivers.simulated import SimulatedHypervisor
from occi_server.errors import Conflict, OcciError, ServiceUnavailable
from occi_server.model import Category
from occi_server.model.category import KindExtension
from occi_server.remote import Fetcher

log = logging.getLogger("occi_server")


class LocalBackend:
    name = "local"

    def __init__(
        self,
        engine: Engine,
        cloud: CloudOffer | None = None,
        drivers: Drivers | None = None,
        reconciler: Settings | None = None,
        quotas: Mapping[str, int] | None = None,
        cdmi: bool = False,
        remote: RemoteConfig | None = None,
        enterprise_number: int = objectid.DOCUMENTATION_ENTERPRISE,
    ) -> None:
        self._engine = engine
        self._driver = Driver.of(engine)
        # Reads need no write lock: on SQLite they begin DEFERRED and run beside a writer.
        self._read_engine = engine.execution_options(occi_read_only=True)
        self._single_writer = threading.RLock() if is_sqlite(engine) else None
        self._direct = DirectReads(engine) if DirectReads.supports(engine) else None
        self._own_store: Callable[[], object] | None = None
        if drivers is None:  # the simulated cloud, its bytes in a directory of its own
            own = tempfile.mkdtemp(prefix="occi-store-")
            # Removed at close, or when the backend is collected, or at exit.
            self._own_store = weakref.finalize(self, shutil.rmtree, own, ignore_errors=True)
            store = FileStore(own)
            drivers = Drivers(SimulatedHypervisor(store), store)
        settings = reconciler or Settings(timeout=drivers.timeout)
        self.reconciler = Reconciler(self.transaction, drivers.hypervisor, settings)
        drivers = dataclasses.replace(drivers, wake=self.reconciler.wake)
        if quotas is None:  # the configuration's defaults
            quotas = QuotasConfig().model_dump()
        # Storagelinks to CDMI objects: copied into new volumes by worker threads (imports.py).
        self.importer = Importer(
            Fetcher(remote or RemoteConfig()), drivers.volumes, enterprise_number, self.transaction
        )
        self._cloud = Cloud(cloud or default_offer(), drivers, dict(quotas), self.importer)
        link_rules = LinkRules()
        features = drivers.hypervisor.features
        # Only what the hypervisor can do on its host is advertised (docs/design.md).
        floating = floating_ips.available(self._cloud.offer) and FLOATING_IPS in features
        self._security = SECURITY_GROUPS in features
        self._rules: dict[str, KindRules] = {
            infra.COMPUTE: compute.ComputeRules(floating),
            infra.STORAGE: storage.StorageRules(cdmi),
            infra.NETWORK: network.NetworkRules(),
            openstack.SECURITY_RULE: security.RuleRules(),
            **{kind: link_rules for kind in LINK_KINDS},
            # Links that attach something to a compute tell its guest (guests.py).
            infra.STORAGELINK: Attachments(link_rules, infra.STORAGELINK),
            infra.NETWORKINTERFACE: Attachments(
                floating_ips.InterfaceRules(), infra.NETWORKINTERFACE
            ),
        }
        compute_actions = compute.ACTIONS
        if not floating:  # no pool or no public network: nothing to allocate from or attach to
            compute_actions -= compute.FLOATING_ACTIONS
        self._implemented = compute_actions | storage.ACTIONS | network.ACTIONS
        # Projects whose view of the provider networks exists (checked once per process).
        self._seeded: set[str] = set()
        self._seed_lock = threading.Lock()
        self._head: str | None = None
        self._cdmi = cdmi
        # Volumes, images and snapshots as byte objects (served through CDMI).
        self.objects = LocalObjects(
            lambda ctx, write: self.open(ctx, write=write), self._cloud.drivers.volumes
        )

    @property
    def offer(self) -> CloudOffer:
        return self._cloud.offer

    def served_kinds(self) -> frozenset[str]:
        if not self._security:
            return SERVED_KINDS - {openstack.SECURITY_RULE}
        return SERVED_KINDS

    def implemented_actions(self) -> frozenset[str]:
        return self._implemented

    def supported_mixins(self) -> frozenset[str]:
        # The walkthrough's public_key and user_data are extra categories (always offered).
        return SUPPORTED_MIXINS

    def extra_categories(self) -> Sequence[Category]:
        """The walkthrough's static categories: instance actions, security groups and rules,
        public keys and user data (pools and templates are per cloud: provider_mixins)."""
        categories = (*openstack.CATEGORIES, *appliances.CATEGORIES)
        if not self._security:  # no firewall of ours: no security groups or rules
            hidden = (openstack.SECURITY_GROUP_MIXIN, openstack.RULE_KIND)
            return tuple(c for c in categories if c not in hidden)
        return categories

    def kind_extensions(self) -> Sequence[KindExtension]:
        extensions = (openstack.COMPUTE_EXTENSION, appliances.COMPUTE_EXTENSION)
        if self._cdmi:
            return (*extensions, cdmi_categories.STORAGE_EXTENSION)
        return extensions

    @contextmanager
    def open(self, ctx: RequestContext, *, write: bool = True) -> Iterator[LocalProjectCloud]:
        """One transaction: committed when the block ends normally, rolled back otherwise."""
        seeded = ctx.project_id in self._seeded
        writing = write or not seeded
        try:
            with self._scope(ctx, writing) as scope:
                if not seeded:
                    network.ensure_provider_networks(scope)
                yield LocalProjectCloud(scope, self._rules, self._implemented)
        except OcciError:
            raise
        except IntegrityError as error:
            # A concurrent request took the same id, location or address first.
            raise Conflict("the request conflicts with a concurrent change; retry") from error
        except OperationalError as error:
            if not _is_busy(error):
                raise
            raise ServiceUnavailable("the database is busy; retry") from error
        if not seeded:
            with self._seed_lock:
                self._seeded.add(ctx.project_id)

    @contextmanager
    def _scope(self, ctx: RequestContext, writing: bool) -> Iterator[Scope]:
        """One transaction's scope; its after_commit (or after_rollback) hooks run once the
        transaction has ended, outside the writer's turn."""
        scope: Scope | None = None
        try:
            with self._transaction(writing) as tx:
                scope = Scope(ctx, self._cloud, tx)
                yield scope
        except BaseException:
            if scope is not None:
                _run(scope.after_rollback)
            raise
        assert scope is not None
        _run(scope.after_commit)

    def transaction(self, project_id: str) -> AbstractContextManager[Scope]:
        """A write transaction on behalf of the cloud itself (the reconciler)."""
        ctx = RequestContext(
            project_id=project_id, project_name="", user_id="", user_name="reconciler"
        )
        return self._scope(ctx, writing=True)

    @contextmanager
    def _transaction(self, writing: bool) -> Iterator[Transaction]:
        """A read-only request reads on a driver connection of its own (one snapshot); a write
        (or a database that exists per connection: in-memory SQLite) on a SQLAlchemy
        connection's transaction, whose begin event takes the writer lock (db/engine.py)."""
        if not writing and self._direct is not None:
            with self._direct.transaction() as tx:
                yield tx
            return
        engine = self._engine if writing else self._read_engine
        with self._writer_turn(writing), engine.connect() as connection, connection.begin():
            yield Transaction.joined(self._driver, connection)

    def _writer_turn(self, writing: bool) -> AbstractContextManager[object]:
        """SQLite has one writer at a time. Queue this process's writers on a lock, which hands
        over at once, instead of letting them poll SQLite's busy handler (which sleeps up to
        100 ms between tries); other processes still meet busy_timeout."""
        if writing and self._single_writer is not None:
            return self._single_writer
        return nullcontext()

    def start(self) -> None:
        """Begin applying intents (and resume those a killed process left), and resume the
        imports of stopped processes."""
        self.reconciler.start()
        self.importer.recover()

    def readiness(self, timeout: float) -> dict[str, str | None]:
        """The database answers and is at the newest migration."""
        del timeout  # the engine's own connect timeout applies
        from occi_server.db.migrate import head_revision

        if self._head is None:
            self._head = head_revision()
        try:
            with self._engine.connect() as connection:
                current = MigrationContext.configure(connection).get_current_revision()
        except SQLAlchemyError as error:
            cause = getattr(error, "orig", None) or error
            return {"database": f"unreachable ({type(cause).__name__})"}
        if current != self._head:
            return {"database": f"at migration {current}, not {self._head}: run db upgrade"}
        return {"database": None}

    def close(self) -> None:
        self.reconciler.stop()
        self.importer.close()
        if self._direct is not None:
            self._direct.close()
        self._engine.dispose()
        if self._own_store is not None:
            self._own_store()


def _run(hooks: list[Callable[[], None]]) -> None:
    for hook in hooks:
        try:
            hook()
        except Exception:  # the transaction's outcome stands; a leftover file is logged
            log.exception("after the transaction: %r failed", hook)


def _is_busy(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return "locked" in text or "busy" in text or "deadlock" in text
