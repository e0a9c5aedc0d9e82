import pytest
from sqlalchemy import Engine

from occi_server.backends.local import (
    CloudOffer,
    Flavor,
    Image,
    LocalBackend,
    catalogue_from_mapping,
    default_offer,
)
from occi_server.backends.local.templates import OS_SCHEME, RESOURCE_SCHEME
from occi_server.categories import infrastructure as infra
from occi_server.categories.templates import sanitize_term
from occi_server.model import Mixin

from .conftest import A, template


def test_the_default_offer_holds_what_the_walkthrough_uses() -> None:
    cloud = default_offer()
    assert {f.name for f in cloud.flavors} >= {
        "itsy",
        "bitsy",
        "m1.tiny",
        "m1.small",
        "m1.medium",
        "m1.large",
        "m1.xlarge",
    }
    itsy, bitsy = cloud.flavor("itsy"), cloud.flavor("bitsy")
    assert itsy is not None and (itsy.vcpus, itsy.ram_mb) == (1, 128)
    assert bitsy is not None and (bitsy.vcpus, bitsy.ram_mb) == (1, 256)
    assert {i.name for i in cloud.images} == {"cirros-0.3.0-x86_64-uec", "SmartOS"}
    assert [p.name for p in cloud.floating_pools] == ["nova"]
    assert any(n.public for n in cloud.networks)


def test_flavors_are_resource_templates_with_their_values(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        itsy = template(s, "itsy")
    assert (itsy.scheme, itsy.depends, itsy.applies) == (
        RESOURCE_SCHEME,
        (infra.RESOURCE_TPL,),
        (infra.COMPUTE,),
    )
    assert itsy.location == "/mixin/resource_tpl/itsy/"
    defaults = {a.name: a.default for a in itsy.attributes}
    assert defaults["occi.compute.cores"] == 1 and defaults["occi.compute.memory"] == 0.125
    assert defaults["org.openstack.flavor.ram"] == 128
    assert defaults["org.openstack.flavor.id"] == "98"
    info = itsy.attribute("org.openstack.flavor.name")
    assert info is not None and info.mutable is False


def test_images_are_os_templates_named_as_in_the_walkthrough(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        cirros = template(s, "cirros-0.3.0-x86_64-uec")
        smartos = template(s, "SmartOS")
    for mixin in (cirros, smartos):
        assert (mixin.scheme, mixin.depends) == (OS_SCHEME, (infra.OS_TPL,))
    assert cirros.location == "/mixin/os_tpl/cirros-0.3.0-x86_64-uec/"
    ids = {a.name: a.default for a in cirros.attributes}
    assert ids["org.openstack.image.id"] == default_offer().images[0].id


@pytest.mark.parametrize(
    ("name", "term"),
    [("m1.tiny", "m1.tiny"), ("my image", "my_image"), ("_x", "t_x"), ("a/b?c", "a_b_c")],
)
def test_names_become_valid_terms(name: str, term: str) -> None:
    assert sanitize_term(name) == term


def test_a_catalogue_can_come_from_configuration() -> None:
    cloud = catalogue_from_mapping(
        {
            "flavors": [{"name": "big one", "vcpus": 16, "ram_mb": 65536}],
            "images": [{"name": "debian", "os_version": "12"}],
            "networks": [],
        }
    )
    assert cloud.default_flavor == "big one" and cloud.default_image == "debian"
    assert cloud.networks == () and cloud.floating_pools == default_offer().floating_pools
    assert cloud.flavors[0].id  # a stable id is derived when none is given
    with pytest.raises(ValueError, match="default flavor"):
        CloudOffer(
            flavors=(Flavor("a", 1, 1),),
            images=(Image("i"),),
            default_flavor="b",
            default_image="i",
        )


def test_a_configured_catalogue_drives_the_templates(engine: Engine) -> None:
    cloud = catalogue_from_mapping({"flavors": [{"name": "big one", "vcpus": 16, "ram_mb": 65536}]})
    backend = LocalBackend(engine, cloud)
    with backend.open(A) as s:
        terms = {m.term for m in s.provider_mixins() if isinstance(m, Mixin)}
    assert "big_one" in terms and "itsy" not in terms
