"""The one small interface between OCCI semantics (service/) and a cloud.

The service validates every request against the registry before it calls a backend, so a
backend receives only well-typed drafts and changes, and answers with model objects. A backend
raises occi_server.errors exceptions (NotFound, Conflict, BadRequest, ServiceUnavailable, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from occi_server.categories import core, openstack
from occi_server.categories import infrastructure as infra
from occi_server.context import RequestContext
from occi_server.model import Category, Entity, Kind, Mixin
from occi_server.model.category import KindExtension

# True while a request runs on the event loop (http/app.py runs the embedded cloud's cheap
# requests there: a thread hop costs 100-300 µs of CPU). A backend that finds more work than
# fits there raises Offload before it writes anything, and the request runs again in a thread.
ON_EVENT_LOOP: ContextVar[bool] = ContextVar("on_event_loop", default=False)


class Offload(Exception):
    """The request found more work than the event loop should do (a delete that takes many
    links along); raised before any write, so running it again elsewhere is safe."""


# What both backends serve: every kind of OCCI Core and Infrastructure, the walkthrough's
# security rules, and the standard mixins they fill in (templates, IP settings, contextualization).
SERVED_KINDS = frozenset(
    {
        core.RESOURCE,
        core.LINK,
        infra.COMPUTE,
        infra.STORAGE,
        infra.NETWORK,
        infra.STORAGELINK,
        infra.NETWORKINTERFACE,
        openstack.SECURITY_RULE,
    }
)
SUPPORTED_MIXINS = frozenset(
    {
        infra.IPNETWORK,
        infra.IPNETWORKINTERFACE,
        infra.OS_TPL,
        infra.RESOURCE_TPL,
        infra.SSH_KEY,
        infra.USER_DATA,
    }
)


@dataclass(slots=True, kw_only=True)
class EntityQuery:
    """Which entities a listing wants. All given conditions must hold (AND)."""

    kinds: tuple[str, ...] | None = None  # kind type ids, sub-kinds already expanded; None = any
    mixins: tuple[str, ...] = ()  # the entity carries every one of these
    attributes: dict[str, Any] = field(default_factory=dict)  # exact value matches
    location_prefix: str | None = None  # for unbound paths such as /vms/
    offset: int = 0
    limit: int | None = None


@dataclass(slots=True, kw_only=True)
class LinkDraft:
    kind: Kind
    mixins: list[Mixin] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # path of the source resource ("" for inline links: the new resource)
    target: str = ""  # path inside this service, or an external URI
    target_kind: str | None = None
    id: str | None = None
    location: str | None = None
    # The target URL as given when it named another port of this host, and `target` is the
    # path it would be here (a storagelink may mean another server's CDMI object there).
    given: str | None = None


@dataclass(slots=True, kw_only=True)
class EntityDraft:
    """A validated entity to create: defaults applied, types coerced, mixins applicable."""

    kind: Kind
    mixins: list[Mixin] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    id: str | None = None  # client-chosen occi.core.id; None = backend generates
    location: str | None = None  # client-chosen path (PUT); None = kind location + id
    links: list[LinkDraft] = field(default_factory=list)  # inline links of a new resource
    link: LinkDraft | None = None  # set when the draft itself is a link


@dataclass(slots=True, kw_only=True)
class EntityChanges:
    """A validated change of an existing entity (partial update, full replace, mixin membership)."""

    add_mixins: list[Mixin] = field(default_factory=list)
    remove_mixins: list[Mixin] = field(default_factory=list)
    set_attributes: dict[str, Any] = field(default_factory=dict)
    remove_attributes: list[str] = field(default_factory=list)
    add_links: list[LinkDraft] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Accepted:
    """An action whose result appears later at `location` (an export's package)."""

    location: str
    job: str  # where the work's progress is shown


ActionOutcome = Entity | Category | Accepted | None


@dataclass(frozen=True, slots=True)
class DiskFile:
    """A disk's bytes as a file of this server (None: never written, all zeros)."""

    path: Path | None
    size: int  # bytes the guest sees
    title: str
    # A guest's root disk as its hypervisor keeps it: a qcow2 overlay whose backing file is
    # the image it booted (read through when exported); any other disk names none.
    overlay: bool = False


@runtime_checkable
class DiskAccess(Protocol):
    """What a session offers when this server holds the cloud's disk bytes (the embedded
    cloud): OVF import fills new storages, export reads a compute's disks."""

    def place_storage(self, storage_id: str, path: Path) -> None:
        """The raw image at `path` becomes the bytes of the storage about to be created with
        that id (placed before the creating transaction, so that it holds no lock while the
        bytes are copied; the create keeps them, its rollback removes them)."""

    def discard_storage(self, storage_id: str) -> None:
        """Bytes placed for a storage that was not created after all."""

    def place_image(self, term: str, path: Path) -> None:
        """The qcow2 image at `path` becomes the bytes of the project's OS image `term`, about
        to be recorded (placed before the transaction, as a storage's)."""

    def record_image(self, term: str, title: str, size: int) -> Mixin:
        """Record the placed image as an OS template of the project (in the creating
        transaction; `size`: the bytes its guest disk holds); its mixin, for a compute to boot."""

    def discard_image(self, term: str) -> None:
        """Bytes placed for an image that was not recorded after all."""

    def disks_of(self, location: str) -> list[DiskFile]:
        """A compute's disks: the root disk (its image's bytes while the guest never wrote
        one), then its storages in link order."""


@runtime_checkable
class CloudDisks(Protocol):
    """What a session offers when the cloud keeps the disk bytes itself (OpenStack): OVF
    import uploads them, export downloads them. Each call makes a real object at once (no
    transaction): the import removes what it made when a later step fails."""

    def upload_image(self, term: str, path: Path, title: str, capacity: int) -> Mixin:
        """The qcow2 image at `path` as an OS image of the project; its os_tpl mixin."""

    def delete_image(self, term: str) -> None: ...

    def upload_volume(self, title: str, path: Path) -> str:
        """A new storage holding the raw image at `path`; its location."""

    def fitting_flavor(self, cores: int, memory_mib: int, disk_bytes: int) -> Mixin:
        """The smallest resource template with that much of each (BadRequest: none)."""

    def export_disks(self, location: str) -> Callable[[Path], list[DiskFile]]:
        """A stopped compute's disks, written later (by an export job) into a folder: the
        root disk first, then its storages."""


class ProjectCloud(Protocol):
    """Operations on behalf of one caller; on the local backend, one database transaction."""

    def provider_mixins(self) -> Sequence[Mixin]:
        """Mixins the cloud offers to this project (templates, pools, ...)."""

    def user_mixins(self) -> Sequence[Mixin]: ...

    def catalogue_version(self) -> str:
        """Changes whenever provider or user mixins of this project change (cache key)."""

    def create_user_mixin(self, mixin: Mixin) -> None: ...

    def delete_user_mixin(self, mixin: Mixin) -> None:
        """Delete the mixin and drop every association with it."""

    def list_locations(self, query: EntityQuery) -> list[str]: ...

    def list_entities(self, query: EntityQuery) -> list[Entity]: ...

    def get_entity(self, location: str) -> Entity:
        """The entity at `location` (a path), with its links and applicable actions; NotFound."""

    def create_entity(self, draft: EntityDraft) -> str:
        """Store a new entity; its location (the caller reads it back only if it needs it)."""

    def update_entity(self, location: str, changes: EntityChanges) -> Entity: ...

    def delete_entity(self, location: str) -> None:
        """Delete an entity; a resource takes its links with it."""

    def invoke_action(
        self, location: str, action: str, parameters: dict[str, Any]
    ) -> ActionOutcome:
        """Run an action (type id) whose parameters the service has validated."""


class Backend(Protocol):
    """A cloud. Built once at start-up; hands out one session per request."""

    name: str

    def served_kinds(self) -> frozenset[str]:
        """Kind type ids this backend can list, create and delete."""

    def implemented_actions(self) -> frozenset[str]:
        """Action type ids it really performs; only these are advertised."""

    def supported_mixins(self) -> frozenset[str]:
        """Static catalogue mixins it honours (ipnetwork, ssh_key, ...)."""

    def extra_categories(self) -> Sequence[Category]:
        """Static categories of its own (provider kinds, actions and mixins)."""

    def kind_extensions(self) -> Sequence[KindExtension]:
        """Actions and attributes it adds to standard kinds (the walkthrough's instance actions)."""

    def open(
        self, ctx: RequestContext, *, write: bool = True
    ) -> AbstractContextManager[ProjectCloud]:
        """A session; `write=False` promises only reads (lets SQLite readers run in parallel)."""

    def start(self) -> None:
        """Begin the backend's background work (the embedded cloud's reconciler), once the
        server runs; nothing for a backend without any."""
        ...

    def readiness(self, timeout: float) -> dict[str, str | None]:
        """What it depends on, each with None when it answers or what is wrong (for /readyz)."""

    def close(self) -> None: ...


# -- stored bytes (served through CDMI, http/cdmi.py) ------------------------------------------
CONTAINERS = ("volumes", "images", "snapshots")


@dataclass(slots=True, kw_only=True)
class StoredObject:
    """A volume, an OS image or a volume's snapshot: its bytes and what OCCI says of it."""

    container: str  # one of CONTAINERS
    name: str  # the OCCI id (a storage's id, an os_tpl's term, "<storage id>@snapshot")
    size: int  # bytes
    location: str  # the OCCI location (/storage/<id>, /mixin/os_tpl/<term>/)
    attributes: dict[str, Any] = field(default_factory=dict)  # OCCI attributes shown as metadata
    users: tuple[str, ...] = ()  # locations of the computes it is attached to
    # Why its bytes cannot be read now (attached read-write and online), or None.
    busy: str | None = None
    mimetype: str = "application/octet-stream"


class ByteReader(Protocol):
    """An object's bytes, read by (start, length) until `close`, which frees what the reads
    needed (an open download, a transfer copy the cloud made for them)."""

    def read(self, start: int, length: int) -> bytes: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ObjectFeatures:
    """What a backend's object store can do; CDMI's capabilities advertise exactly this."""

    containers: tuple[str, ...] = CONTAINERS
    ranged_writes: bool = True  # bytes written at an offset into an existing volume
    rewrites: bool = True  # an existing volume's whole value written again


class ObjectStore(Protocol):
    """A backend's stored bytes, per caller's project. Contents move in chunks: a reader
    yields them, writes take a file already received in full (`staged`), so nothing
    half-received is ever visible."""

    features: ObjectFeatures

    def objects(self, ctx: RequestContext, container: str) -> list[StoredObject]: ...

    def find(self, ctx: RequestContext, container: str, name: str) -> StoredObject:
        """The object (NotFound)."""

    def reader(self, ctx: RequestContext, item: StoredObject) -> ByteReader:
        """The object's bytes (may take a while: a cloud may copy them somewhere readable
        first); the caller closes it."""

    def staging_dir(self) -> str:
        """Where incoming bytes are received before `create` or `write_range` takes them."""

    def create(
        self, ctx: RequestContext, container: str, name: str, staged: str, mimetype: str
    ) -> StoredObject:
        """A new object whose bytes are the file `staged` (taken: moved into the store)."""

    def write_range(
        self, ctx: RequestContext, container: str, name: str, start: int, staged: str
    ) -> StoredObject:
        """Write the file `staged` at `start` into an existing object (grows a volume)."""

    def delete(self, ctx: RequestContext, container: str, name: str) -> None: ...
