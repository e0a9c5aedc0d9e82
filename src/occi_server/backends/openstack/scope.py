"""One request's view of the cloud: the caller's API, the cached offer, and Neutron helpers."""

from __future__ import annotations

import contextvars
import hashlib
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from occi_server.backends.base import EntityDraft
from occi_server.backends.openstack.client import OpenStackApi
from occi_server.backends.openstack.security import Groups, load_groups
from occi_server.backends.openstack.templates import Offer, OfferCache
from occi_server.categories import infrastructure as infra
from occi_server.categories import openstack as ext
from occi_server.errors import BadRequest, Conflict, NotFound
from occi_server.model import Resource

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    region: str | None = None
    interface: str = "public"
    default_image: str = "cirros-0.3.0-x86_64-uec"
    # The network new computes join when no networkinterface is given ("" = first private one).
    default_network: str = ""
    # How long a copy between Cinder and Glance (a CDMI read or write of a volume) may take.
    transfer_timeout: float = 3600.0


class Scope:
    def __init__(
        self, api: OpenStackApi, offers: OfferCache, settings: Settings, cdmi_base: str = ""
    ) -> None:
        self.api = api
        # Where this project's volumes are CDMI objects ("" when CDMI is off), for a storage's
        # org.snia.cdmi.location.
        self.cdmi_base = cdmi_base
        self.settings = settings
        self._offers = offers
        self._offer: Offer | None = None
        self._groups: Groups | None = None
        self._early: dict[str, Future[Any]] = {}

    def offer(self) -> Offer:
        if self._offer is None:
            self._offer = self._offers.get(self.api)
        return self._offer

    def forget_offer(self) -> None:
        self._offer = None
        self._offers.invalidate(self.api.project_id)

    def groups(self) -> Groups:
        if self._groups is None:
            self._groups = self.take("groups", lambda: load_groups(self.api))
        return self._groups

    # -- calls started early -----------------------------------------------------------------
    def start(self, key: str, call: Callable[[], Any]) -> None:
        """Run `call` now, beside what the request does first (its catalogue's groups), for
        a later `take(key, ...)`: one round trip to OpenStack instead of two in a row."""
        if key not in self._early:
            context = contextvars.copy_context()  # the calls carry the request's id too
            self._early[key] = self.api.pool.submit(context.run, call)

    def take(self, key: str, call: Callable[[], T]) -> T:
        """What `start(key, ...)` began (its answer or its error), else `call()` now."""
        early = self._early.pop(key, None)
        return call() if early is None else early.result()  # type: ignore[no-any-return]

    def forget_groups(self) -> None:
        self._groups = None

    # -- networks --------------------------------------------------------------------------
    def default_networks(self, draft: EntityDraft) -> list[dict[str, str]] | str:
        """Inline networkinterface links pick networks; else the project's private network."""
        chosen = [
            {"uuid": link.target.rstrip("/").rsplit("/", 1)[-1]}
            for link in draft.links
            if link.kind.type_id == infra.NETWORKINTERFACE
        ]
        if chosen:
            return chosen
        networks, routed_ports = self.api.together(
            lambda: self.api.every("network", "/v2.0/networks", "networks"),
            lambda: self.api.every(
                "network", "/v2.0/ports", "ports", device_owner="network:router_interface"
            ),
        )
        routed = {p["network_id"] for p in routed_ports}
        candidates = [n for n in networks if not n.get("router:external")]
        wanted = self.settings.default_network
        # Prefer the project's own networks with a router (floating IPs can reach them).
        candidates.sort(
            key=lambda n: (n["id"] not in routed, n.get("project_id") != self.api.project_id)
        )
        for network in candidates:
            if not wanted or network.get("name") == wanted or network["id"] == wanted:
                return [{"uuid": network["id"]}]
        return "none"

    def server_ports(self, server_id: str) -> list[dict[str, Any]]:
        return self.api.every("network", "/v2.0/ports", "ports", device_id=server_id)

    def floating_ips_of(self, server_id: str) -> list[dict[str, Any]]:
        """The server's floating IPs: those of its ports (not the project's, filtered)."""
        ports = [p["id"] for p in self.server_ports(server_id)]
        return self.api.list_by("network", "/v2.0/floatingips", "floatingips", "port_id", ports)

    def allocate_floating_ip(self, compute: Resource, pool: Any) -> None:
        pools = self.offer().pools
        if not pools:
            raise Conflict("the cloud has no floating IP pool")
        if pool:
            network = next((n for n in pools.values() if n.get("name") == str(pool)), None)
            if network is None:
                raise BadRequest(f"{ext.FLOATING_POOL}: no pool named {pool}")
        else:
            network = next(iter(pools.values()))
        ports = [p for p in self.server_ports(compute.id) if p.get("fixed_ips")]
        if not ports:
            raise Conflict("the compute has no network interface to take a floating IP")
        used = {f.get("port_id") for f in self.floating_ips_of(compute.id)}
        port = next((p for p in ports if p["id"] not in used), ports[0])
        self.api.post(
            "network",
            "/v2.0/floatingips",
            {"floatingip": {"floating_network_id": network["id"], "port_id": port["id"]}},
        )

    def release_floating_ip(self, compute: Resource, address: Any) -> None:
        fips = sorted(self.floating_ips_of(compute.id), key=lambda f: str(f.get("created_at")))
        if address:
            fips = [f for f in fips if f.get("floating_ip_address") == str(address)]
        if not fips:
            raise Conflict("the compute holds no such floating IP")
        self.api.delete("network", f"/v2.0/floatingips/{fips[-1]['id']}")

    def set_port_groups(self, server_id: str, add: str = "", remove: str = "") -> None:
        ports = self.server_ports(server_id)
        if not ports:
            raise Conflict("the compute has no port to put a security group on")
        for port in ports:
            groups = [g for g in port.get("security_groups") or [] if g != remove]
            if add and add not in groups:
                groups.append(add)
            body = {"port": {"security_groups": groups}}
            self.api.put("network", f"/v2.0/ports/{port['id']}", body)

    # -- key pairs -------------------------------------------------------------------------
    def ensure_keypair(self, name: str, public_key: str) -> str:
        """The caller's key pair holding this key (made when missing); returns its name."""
        digest = hashlib.sha1(public_key.strip().encode()).hexdigest()[:12]
        name = name or f"occi-{digest}"
        try:
            found = self.api.get("compute", f"/os-keypairs/{name}")["keypair"]
        except NotFound:
            body = {"keypair": {"name": name, "public_key": public_key.strip()}}
            self.api.post("compute", "/os-keypairs", body)
            return name
        if str(found.get("public_key", "")).strip() != public_key.strip():
            raise Conflict(f"key pair {name} exists with another public key")
        return name
