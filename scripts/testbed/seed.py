"""Seed the test bed (run by scripts/openstack-testbed with the test bed's venv python).

seed.py services DIR   service project, service users and the catalogue (before the APIs start)
seed.py world DIR      the walkthrough's world: flavors, images, networks, two projects with a
                       user each; writes DIR/testbed.env and DIR/clouds.yaml
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import openstack

KEYSTONE = "http://127.0.0.1:5000/v3"
ADMIN_PASSWORD = "admin-secret"
SERVICE_PASSWORD = "service-secret"
SERVICES = ("nova", "placement", "glance", "neutron", "cinder")
ENDPOINTS = (
    ("nova", "compute", "http://127.0.0.1:8774/v2.1"),
    ("placement", "placement", "http://127.0.0.1:8778"),
    ("glance", "image", "http://127.0.0.1:9292"),
    ("neutron", "network", "http://127.0.0.1:9696"),
    ("cinderv3", "volumev3", "http://127.0.0.1:8776/v3/$(project_id)s"),
    ("cinder", "block-storage", "http://127.0.0.1:8776/v3/$(project_id)s"),
)
# name, vcpus, ram MB, disk GB, ephemeral GB, id: as the walkthrough and devstack have them
FLAVORS = (
    ("m1.tiny", 1, 512, 1, 0, "1"),
    ("itsy", 1, 128, 1, 1, "98"),
    ("bitsy", 1, 256, 1, 1, "99"),
    ("m1.small", 2, 2048, 1, 0, "2"),  # the one with two cores (conformance asks for cores=2)
)
IMAGES = (
    ("cirros-0.3.0-x86_64-uec", {"os_distro": "cirros", "os_version": "0.3.0"}),
    ("SmartOS", {"os_distro": "smartos", "os_version": "20120223"}),
)
# Projects with one user each; the password is the user name + "-secret". alice and bob: the
# walkthrough and isolation tests; carol and dave: the conformance suite (dave's project is the
# one whose whole collections it deletes); erin: the test that crosses many pages.
PROJECTS = (
    ("occi-demo", "alice", "10.10.1.0/24"),
    ("occi-other", "bob", "10.10.2.0/24"),
    ("occi-conformance", "carol", "10.10.3.0/24"),
    ("occi-fresh", "dave", "10.10.4.0/24"),
    ("occi-scale", "erin", "10.10.5.0/24"),  # the listing-at-scale test: 60 servers, 60 volumes
)
PUBLIC_NET = "nova"  # the external network: floating pool `nova` of the walkthrough
PUBLIC_CIDR = "172.24.4.0/24"


def admin() -> Any:
    return openstack.connect(
        auth_url=KEYSTONE,
        username="admin",
        password=ADMIN_PASSWORD,
        project_name="admin",
        user_domain_id="default",
        project_domain_id="default",
        region_name="RegionOne",
    )


def seed_services() -> None:
    identity = admin().identity
    service_project = identity.create_project(name="service", domain_id="default")
    roles = {r.name: r for r in identity.roles()}
    for name in SERVICES:
        user = identity.create_user(name=name, password=SERVICE_PASSWORD, domain_id="default")
        for role in ("admin", "service"):
            identity.assign_project_role_to_user(service_project, user, roles[role])
    for name, kind, url in ENDPOINTS:
        service = identity.create_service(name=name, type=kind)
        identity.create_endpoint(
            service_id=service.id, interface="public", url=url, region_id="RegionOne"
        )


def seed_catalogue(cloud: Any, workdir: str) -> None:
    for name, vcpus, ram, disk, ephemeral, flavor_id in FLAVORS:
        cloud.compute.create_flavor(
            name=name, vcpus=vcpus, ram=ram, disk=disk, ephemeral=ephemeral, id=flavor_id
        )
    for name, properties in IMAGES:
        path = os.path.join(workdir, "state", name + ".img")
        with open(path, "wb") as handle:
            handle.write(name.encode() + b"\0" * 4096)
        cloud.image.create_image(
            name=name,
            filename=path,
            disk_format="raw",
            container_format="bare",
            visibility="public",
            wait=True,
            **properties,
        )


def seed_projects(cloud: Any) -> list[dict[str, str]]:
    identity, network = cloud.identity, cloud.network
    public = network.create_network(
        name=PUBLIC_NET,
        description="public network (floating IP pool nova)",
        is_router_external=True,
        provider_network_type="flat",
        provider_physical_network="public",
    )
    network.create_subnet(
        network_id=public.id,
        name=PUBLIC_NET + "-subnet",
        cidr=PUBLIC_CIDR,
        ip_version=4,
        gateway_ip="172.24.4.1",
        is_dhcp_enabled=False,
    )
    member = next(r for r in identity.roles() if r.name == "member")
    users = []
    for project_name, user_name, cidr in PROJECTS:
        project = identity.create_project(name=project_name, domain_id="default")
        password = user_name + "-secret"
        user = identity.create_user(
            name=user_name, password=password, domain_id="default", default_project_id=project.id
        )
        identity.assign_project_role_to_user(project, user, member)
        private = network.create_network(name="private", project_id=project.id)
        subnet = network.create_subnet(
            network_id=private.id,
            name="private-subnet",
            cidr=cidr,
            ip_version=4,
            project_id=project.id,
        )
        router = network.create_router(
            name="router", project_id=project.id, external_gateway_info={"network_id": public.id}
        )
        network.add_interface_to_router(router, subnet_id=subnet.id)
        users.append(
            {
                "project": project_name,
                "project_id": project.id,
                "user": user_name,
                "user_id": user.id,
                "password": password,
            }
        )
    return users


def write_credentials(workdir: str, users: list[dict[str, str]]) -> None:
    lines = [
        "# written by scripts/openstack-testbed up; source it or read it as KEY=VALUE lines",
        f"OS_AUTH_URL={KEYSTONE}",
        "OS_IDENTITY_API_VERSION=3",
        "OS_REGION_NAME=RegionOne",
        "OS_USER_DOMAIN_NAME=Default",
        "OS_PROJECT_DOMAIN_NAME=Default",
        "# the service identity that validates tokens (the OCCI server's own credentials)",
        "OS_USERNAME=admin",
        f"OS_PASSWORD={ADMIN_PASSWORD}",
        "OS_PROJECT_NAME=admin",
        f"OCCI_TESTBED_DIR={workdir}",
        f"OCCI_TESTBED_PUBLIC_NETWORK={PUBLIC_NET}",
        "# every service answers at most this many items per call (0: the services' defaults)",
        f"OCCI_TESTBED_PAGE_LIMIT={os.environ.get('OCCI_TESTBED_PAGE_LIMIT', '5')}",
    ]
    clouds = ["clouds:"]
    clouds += _cloud_entry("testbed-admin", "admin", ADMIN_PASSWORD, "admin")
    for number, entry in enumerate(users, start=1):
        for key in ("project", "project_id", "user", "user_id", "password"):
            lines.append(f"OCCI_TESTBED_{key.upper()}{number}={entry[key]}")
        clouds += _cloud_entry(
            f"testbed-{entry['user']}", entry["user"], entry["password"], entry["project"]
        )
    _write(os.path.join(workdir, "testbed.env"), "\n".join(lines) + "\n")
    _write(os.path.join(workdir, "clouds.yaml"), "\n".join(clouds) + "\n")


def _cloud_entry(name: str, user: str, password: str, project: str) -> list[str]:
    return [
        f"  {name}:",
        "    region_name: RegionOne",
        "    identity_api_version: 3",
        "    auth:",
        f"      auth_url: {KEYSTONE}",
        f"      username: {user}",
        f"      password: {password}",
        f"      project_name: {project}",
        "      user_domain_name: Default",
        "      project_domain_name: Default",
    ]


def _write(path: str, text: str) -> None:
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(path + ".tmp", path)


def main() -> None:
    what, workdir = sys.argv[1], sys.argv[2]
    started = time.monotonic()
    if what == "services":
        seed_services()
    else:
        cloud = admin()
        seed_catalogue(cloud, workdir)
        write_credentials(workdir, seed_projects(cloud))
    print(f"seeded {what} in {time.monotonic() - started:.1f}s", flush=True)


if __name__ == "__main__":
    main()
