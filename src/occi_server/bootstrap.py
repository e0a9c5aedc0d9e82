"""Assemble the parts named by the configuration: database, backend, authenticator."""

from __future__ import annotations

import logging

from occi_server.backends.base import Backend
from occi_server.backends.local.offer import (
    CloudOffer,
    Flavor,
    FloatingPool,
    Image,
    NetworkSpec,
    default_offer,
)
from occi_server.config import CloudConfig, Config, ConfigError
from occi_server.db.engine import make_engine
from occi_server.db.migrate import upgrade
from occi_server.drivers import Drivers, choose
from occi_server.identity.auth import Authenticator, build_authenticator

log = logging.getLogger("occi_server")


def cloud_offer(cloud: CloudConfig) -> CloudOffer:
    """The embedded cloud's offer: configured lists replace the built-in defaults one by one."""
    base = default_offer()
    flavors = (
        tuple(
            Flavor(
                name=f.name,
                vcpus=f.vcpus,
                ram_mb=f.ram_mb,
                disk_gb=f.disk_gb,
                ephemeral_gb=f.ephemeral_gb,
                swap_mb=f.swap_mb,
                id=f.id or f.name,
            )
            for f in cloud.flavors
        )
        or base.flavors
    )
    images = (
        tuple(
            Image(
                name=i.name,
                id=i.id or i.name,
                os_family=i.os_family,
                os_version=i.os_version,
                architecture=i.architecture,
                file=i.file,
            )
            for i in cloud.images
        )
        or base.images
    )
    pools = (
        tuple(FloatingPool(name=p.name, cidr=p.cidr) for p in cloud.floating_pools)
        or base.floating_pools
    )
    networks = (
        tuple(
            NetworkSpec(name=n.name, cidr=n.cidr, gateway=n.gateway, public=n.public)
            for n in cloud.networks
        )
        or base.networks
    )
    default_flavor = cloud.default_flavor or (
        base.default_flavor
        if any(f.name == base.default_flavor for f in flavors)
        else flavors[0].name
    )
    default_image = cloud.default_image or (
        base.default_image if any(i.name == base.default_image for i in images) else images[0].name
    )
    if default_flavor not in {f.name for f in flavors}:
        raise ConfigError(f"config key cloud.default_flavor: no flavor named {default_flavor}")
    if default_image not in {i.name for i in images}:
        raise ConfigError(f"config key cloud.default_image: no image named {default_image}")
    return CloudOffer(
        flavors=flavors,
        images=images,
        floating_pools=pools,
        networks=networks,
        default_flavor=default_flavor,
        default_image=default_image,
    )


def _drivers(config: Config) -> Drivers:
    """The hypervisor and volume store the configuration names ([cloud] hypervisor, storage)."""
    store = choose.volume_store(config)
    files = {i.name: i.file for i in cloud_offer(config.cloud).images if i.file}
    hypervisor = choose.hypervisor(config, store, files)
    return Drivers(hypervisor, store, config.cloud.driver_timeout)


def build_backend_and_auth(config: Config) -> tuple[Backend, Authenticator]:
    if config.server.backend == "openstack":
        from occi_server.backends.openstack.factory import build_openstack

        return build_openstack(config)
    from occi_server.backends.local.backend import LocalBackend

    upgrade(config.database_url)
    engine = make_engine(config.database_url)
    backend = LocalBackend(
        engine,
        cloud_offer(config.cloud),
        _drivers(config),
        quotas=config.quotas.model_dump(),
        cdmi=config.cdmi.enabled,
        remote=config.remote,
        enterprise_number=config.cdmi.enterprise_number,
    )
    return backend, build_authenticator(config.server.auth, engine, config.limits)
