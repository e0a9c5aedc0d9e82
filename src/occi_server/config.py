"""One typed configuration object: defaults < TOML file < OCCI_* environment < command line.

Validated at start-up; a bad value is reported with the key that holds it.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, ValidationError, field_validator


class ConfigError(Exception):
    """A configuration problem, with the offending key in the message."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    auth: Literal["none", "token", "keystone"] = "token"
    # Public base URL when behind a proxy (e.g. https://cloud.example.com/occi); empty = from Host.
    public_url: str = ""
    # Host names (optionally with :port) the server answers to; any other Host is 400. Empty:
    # any well-formed Host, except under auth "none" (then only loopback names). See http/hosts.py.
    allowed_hosts: list[str] = []
    backend: Literal["local", "openstack"] = "local"
    # TLS served directly (both or neither); behind a proxy, leave them empty.
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    # Peers whose X-Forwarded-For/-Proto/-Host/-Prefix are believed (addresses or networks).
    trusted_proxies: list[IPvAnyNetwork] = []
    # SIGTERM: stop accepting, then give in-flight requests this long to finish.
    grace_seconds: float = Field(default=10.0, ge=0, le=3600)

    # The HTTP edge (http/transport.py): seconds to receive a request head (from the connection or
    # the first byte of the next request), a body, and between requests on a kept-alive one.
    header_timeout: float = Field(default=10.0, gt=0, le=3600)
    body_timeout: float = Field(default=30.0, gt=0, le=3600)
    idle_timeout: int = Field(default=5, ge=1, le=3600)
    # Open connections per worker (never more than the file limit allows, less 64); past it the
    # connections that waited longest for a request head are closed.
    max_connections: int = Field(default=4096, ge=8)


class LogConfig(_Strict):
    format: Literal["text", "json"] = "text"
    access: bool = True  # one line per request on standard error


class MetricsConfig(_Strict):
    """/metrics is served only to a caller with the token or from an allowed network."""

    token: str = ""
    allow_from: list[IPvAnyNetwork] = []
    # Where worker processes keep their metrics (--workers > 1); empty = a fresh temporary one.
    multiprocess_dir: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.token or self.allow_from)


class HealthConfig(_Strict):
    cache_seconds: float = Field(default=5.0, ge=0, le=600)  # /readyz answers from this cache
    timeout_seconds: float = Field(default=2.0, gt=0, le=60)  # per dependency checked


class LimitsConfig(_Strict):
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_header_bytes: int = Field(default=65_536, ge=1024)
    max_attributes: int = Field(default=256, ge=1)
    max_locations: int = Field(default=10_000, ge=1)
    max_page_size: int = Field(default=1_000, ge=1)
    # Work one request may ask for (413 past each): inline links, categories, the bytes of one
    # attribute value, the members a collection action runs on.
    max_links: int = Field(default=16, ge=1)
    max_categories: int = Field(default=64, ge=1)
    max_attribute_bytes: int = Field(default=16_384, ge=64)
    max_action_members: int = Field(default=500, ge=1)
    # Failed password checks (HTTP Basic, console sign-in) per source address and per user
    # name within password_window seconds; past them 429 with Retry-After.
    password_failures: int = Field(default=10, ge=1)
    password_window: float = Field(default=60.0, gt=0)


class DatabaseConfig(_Strict):
    url: str = ""  # empty = SQLite file in data_dir


class FlavorConfig(_Strict):
    name: str
    vcpus: int = Field(ge=1)
    ram_mb: int = Field(ge=1)
    disk_gb: int = Field(default=0, ge=0)
    ephemeral_gb: int = Field(default=0, ge=0)
    swap_mb: int = Field(default=0, ge=0)
    id: str = ""


class ImageConfig(_Strict):
    name: str
    id: str = ""
    os_family: str = "linux"
    os_version: str = ""
    architecture: Literal["x86", "x64"] = "x64"
    # The image's disk file (qcow2 or raw) a real hypervisor boots from; "" for none.
    file: str = ""


class PoolConfig(_Strict):
    name: str
    cidr: str


class NetworkConfig(_Strict):
    name: str
    cidr: str
    gateway: str = ""
    public: bool = False


class CloudConfig(_Strict):
    """The embedded cloud's catalogue; empty lists mean 'use the built-in defaults'."""

    flavors: list[FlavorConfig] = []
    images: list[ImageConfig] = []
    floating_pools: list[PoolConfig] = []
    networks: list[NetworkConfig] = []
    default_flavor: str = ""
    default_image: str = ""
    # The drivers doing the work (occi_server/drivers/): guests, and volume and image bytes.
    hypervisor: Literal["simulated", "qemu"] = "simulated"
    # QEMU's accelerator: "auto" is KVM when a probe boot under it finishes, else TCG.
    qemu_accel: Literal["auto", "kvm", "tcg"] = "auto"
    storage: Literal["files"] = "files"  # sparse files under <data_dir>/store
    # Seconds a driver operation may take before the compute goes to `error` (a hung guest).
    driver_timeout: float = Field(default=300.0, gt=0, le=86_400)
    # The simulated hypervisor's time per operation: 0 finishes within the request; more makes
    # it behave like a real one (answered at once, applied by the reconciler).
    simulated_delay: float = Field(default=0.0, ge=0, le=600)


class QuotasConfig(_Strict):
    """Every project's limits unless `occi-server quota set` gives it its own; -1: unlimited.
    Generous by default: they stop a runaway loop (one project taking every public address),
    not normal use. Names and meanings: backends/local/quotas.py."""

    computes: int = Field(default=1000, ge=-1)
    cores: int = Field(default=2000, ge=-1)
    memory: int = Field(default=4096, ge=-1)  # GiB
    volumes: int = Field(default=1000, ge=-1)
    gigabytes: int = Field(default=10_240, ge=-1)
    floating_ips: int = Field(default=50, ge=-1)
    networks: int = Field(default=100, ge=-1)
    security_groups: int = Field(default=100, ge=-1)
    security_group_rules: int = Field(default=1000, ge=-1)
    user_mixins: int = Field(default=1000, ge=-1)


class OvfConfig(_Strict):
    """OVA import and export (docs/ovf.md): bounds on what one package may ask for."""

    max_package_bytes: int = Field(default=8 << 30, ge=1 << 20)  # an uploaded OVA
    max_disk_bytes: int = Field(default=64 << 30, ge=1 << 20)  # one disk's virtual size
    max_total_disk_bytes: int = Field(default=128 << 30, ge=1 << 20)  # all disks of a package
    max_jobs: int = Field(default=4, ge=1, le=64)  # queued or running in one process
    job_timeout: float = Field(default=3600.0, gt=0, le=86_400)  # one qemu-img conversion


class CdmiConfig(_Strict):
    """The CDMI surface at /cdmi/ (http/cdmi.py): volume and image bytes."""

    enabled: bool = True
    # Largest object an upload may make (bytes); a body past it is refused with 413.
    max_upload_bytes: int = Field(default=64 << 30, ge=1024)
    # A CDMI JSON body (its value base64 or UTF-8 inside) is read whole: a smaller bound.
    max_json_bytes: int = Field(default=16 << 20, ge=1024)
    # Seconds an upload's body may take (the edge's body_timeout is for OCCI's small bodies).
    upload_timeout: float = Field(default=3600.0, gt=0, le=86_400)
    # An X-CDMI-Partial upload not continued for this long is dropped.
    partial_expiry: float = Field(default=86_400.0, gt=0)
    # The SNMP enterprise number in object IDs; default: IANA's documentation number (RFC 5612).
    enterprise_number: int = Field(default=32473, ge=1, lt=1 << 24)


class RemoteConfig(_Strict):
    """Bytes the cloud fetches from other servers (remote.py): a storagelink to an external CDMI
    object, an OVF descriptor's disk URLs. Nothing is fetched from a URL no prefix allows."""

    # URL prefixes (scheme://host[:port]/path/) a fetch may start with; default: none at all.
    allowed: list[str] = []
    max_bytes: int = Field(default=64 << 30, ge=1024)  # one fetched object
    connect_timeout: float = Field(default=10.0, gt=0, le=600)
    read_timeout: float = Field(default=60.0, gt=0, le=3600)  # between two chunks
    total_timeout: float = Field(default=3600.0, gt=0, le=86_400)  # one whole fetch
    max_jobs: int = Field(default=2, ge=1, le=16)  # fetches running at once in one process

    @field_validator("allowed")
    @classmethod
    def _prefixes(cls, values: list[str]) -> list[str]:
        from occi_server.remote import check_prefix

        for value in values:
            check_prefix(value)
        return values


class Config(_Strict):
    data_dir: str = "data"
    remote: RemoteConfig = RemoteConfig()
    cdmi: CdmiConfig = CdmiConfig()
    server: ServerConfig = ServerConfig()
    database: DatabaseConfig = DatabaseConfig()
    limits: LimitsConfig = LimitsConfig()
    cloud: CloudConfig = CloudConfig()
    quotas: QuotasConfig = QuotasConfig()
    log: LogConfig = LogConfig()
    metrics: MetricsConfig = MetricsConfig()
    health: HealthConfig = HealthConfig()
    ovf: OvfConfig = OvfConfig()

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return "sqlite:///" + str(Path(self.data_dir).resolve() / "occi-server.sqlite")


# OCCI_<NAME> environment variables and the config keys they set.
ENV_KEYS = {
    "OCCI_DATA_DIR": ("data_dir",),
    "OCCI_HOST": ("server", "host"),
    "OCCI_PORT": ("server", "port"),
    "OCCI_WORKERS": ("server", "workers"),
    "OCCI_AUTH": ("server", "auth"),
    "OCCI_PUBLIC_URL": ("server", "public_url"),
    "OCCI_BACKEND": ("server", "backend"),
    "OCCI_DATABASE_URL": ("database", "url"),
    "OCCI_SSL_CERTFILE": ("server", "ssl_certfile"),
    "OCCI_SSL_KEYFILE": ("server", "ssl_keyfile"),
    "OCCI_TRUSTED_PROXIES": ("server", "trusted_proxies"),
    "OCCI_GRACE_SECONDS": ("server", "grace_seconds"),
    "OCCI_LOG_FORMAT": ("log", "format"),
    "OCCI_METRICS_TOKEN": ("metrics", "token"),
    "OCCI_METRICS_ALLOW_FROM": ("metrics", "allow_from"),
}
# Keys that hold lists: their variables are comma-separated.
LIST_KEYS = {("server", "trusted_proxies"), ("metrics", "allow_from")}


def load_config(
    path: str | None = None,
    overrides: dict[tuple[str, ...], Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Config:
    """Merge defaults, the TOML file (OCCI_CONFIG when `path` is None), env and overrides."""
    env = dict(os.environ if environ is None else environ)
    data: dict[str, Any] = {}
    path = path or env.get("OCCI_CONFIG")
    if path:
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path}: {exc}") from None
    for name, key in ENV_KEYS.items():
        if env.get(name):
            value: Any = env[name]
            if key in LIST_KEYS:
                value = [part.strip() for part in value.split(",") if part.strip()]
            _set(data, key, value)
    for key, value in (overrides or {}).items():
        if value is not None:
            _set(data, key, value)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"config key {where}: {first['msg']}") from None
    if bool(config.server.ssl_certfile) != bool(config.server.ssl_keyfile):
        raise ConfigError(
            "config key server.ssl_keyfile: TLS needs both ssl_certfile and ssl_keyfile"
        )
    return config


def _set(data: dict[str, Any], key: tuple[str, ...], value: Any) -> None:
    node = data
    for part in key[:-1]:
        node = node.setdefault(part, {})
    node[key[-1]] = value
