"""The text/html renderer: pages built from model objects, with forms the console posts back."""

from __future__ import annotations

import re

import pytest

from occi_server.backends.local import default_offer
from occi_server.backends.local.templates import flavor_mixin, os_mixin
from occi_server.categories import infrastructure as infra
from occi_server.categories import openstack
from occi_server.model import Category, Link, Mixin, Resource
from occi_server.registry import Catalogue
from occi_server.rendering import negotiate
from occi_server.rendering.html import HtmlRenderer, PageContext

BASE = "http://occi.example:8787"
GROUP = Mixin(
    scheme="http://www.mystuff.org/sec#",
    term="my_grp",
    title="My group",
    depends=(openstack.SECURITY_GROUP,),
    location="/security/my_grp/",
    user_defined=True,
)


def categories() -> list[Category]:
    cloud = default_offer()
    catalogue = Catalogue.for_backend(
        frozenset({*(k.type_id for k in infra.KINDS)}),
        frozenset(a.type_id for a in infra.ACTIONS),
        frozenset(m.type_id for m in infra.MIXINS),
        openstack.CATEGORIES,
    )
    dynamic = [*(flavor_mixin(f) for f in cloud.flavors), *(os_mixin(i) for i in cloud.images)]
    return [*catalogue.categories, *dynamic, GROUP]


def renderer(path: str = "/", csrf: str = "tok") -> HtmlRenderer:
    found = negotiate.renderer_for("text/html", BASE)
    assert isinstance(found, HtmlRenderer)
    found.bind(categories(), PageContext(path=path, csrf=csrf))
    return found


def vm(**attributes: object) -> Resource:
    link = Link(
        id="l1",
        kind=infra.STORAGELINK,
        location="/storage/link/l1",
        source="/compute/1",
        target="/storage/9",
        attributes={"occi.storagelink.state": "active"},
    )
    return Resource(
        id="1",
        kind=infra.COMPUTE,
        location="/compute/1",
        mixins=["http://schemas.openstack.org/template/resource#itsy"],
        attributes={"occi.compute.state": "inactive", **attributes},
        actions=[infra.START.type_id, infra.SAVE.type_id],
        links=[link],
    )


def text(rendered: bytes) -> str:
    return rendered.decode("utf-8")


def test_text_html_is_negotiated_for_browsers_but_wildcards_keep_text_plain() -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert negotiate.choose_media_type(browser) == "text/html"
    assert negotiate.choose_media_type("*/*") == "text/plain"
    assert negotiate.choose_media_type("text/*") == "text/plain"


def test_query_interface_groups_kinds_templates_mixins_and_actions() -> None:
    page = text(renderer().categories(categories()).body)
    headings = re.findall(r"<h2 id=\"section-\d+\">([^<]+)</h2>", page)
    assert headings == [
        "Kinds",
        "Resource templates",
        "OS templates",
        "Security groups",
        "Mixins",
        "Actions",
    ]
    # Templates with their values: itsy has 1 core and 0.125 GiB.
    itsy = page[page.index('<span class="term">itsy</span>') :]
    itsy = itsy[: itsy.index("</tr>")]
    assert "<dt>cores</dt><dd>1</dd>" in itsy and "<dt>memory</dt><dd>0.125</dd>" in itsy
    assert '<th scope="col">Term</th>' in page
    # Cached per project by http/: no session data (no form, no CSRF token) on this page.
    assert "_csrf" not in page and "<form" not in page


def test_entity_page_has_attributes_links_actions_and_delete() -> None:
    page = text(renderer("/compute/1").entity(vm(**{"occi.core.title": "web"})).body)
    assert "<h1>web" in page and "state-inactive" in page
    assert '<a href="/storage/9">/storage/9</a>' in page  # links are clickable
    assert '<a href="/storage/link/l1">' in page
    # One form per advertised action, with the action category and its parameter fields.
    assert 'action="/compute/1?action=start"' in page
    save = page[page.index('id="action-save"') :]
    save = save[: save.index("</form>")]
    assert f'name="category" value="{infra.SAVE.type_id}"' in save
    assert 'name="method"' in save and '<option value="deferred" selected>' in save
    assert 'name="name"' in save and 'name="_csrf" value="tok"' in save
    # Volume attachment posts a storagelink with this compute as source and comes back here.
    assert 'action="/storage/link/"' in page and 'value="/compute/1"' in page
    assert "/console/delete?target=/compute/1" in page


def test_every_field_has_a_label() -> None:
    page = text(renderer("/compute/").entities([vm()]).body)
    ids = re.findall(r'<(?:input|select|textarea) id="([^"]+)"', page)
    assert ids
    for ident in ids:
        assert f'<label for="{ident}">' in page


def test_compute_collection_has_table_and_create_form_with_templates_and_groups() -> None:
    page = text(renderer("/compute/").entities([vm(**{"occi.core.title": "web"})]).body)
    assert '<th scope="col">State</th>' in page and "inactive" in page
    assert '<a href="/compute/1">web</a>' in page
    assert '<form method="post" action="/compute/" class="occi-form" id="create-compute"' in page
    create = page[page.index('id="create-compute"') :]
    assert 'value="http://schemas.openstack.org/template/resource#itsy"' in create
    assert "cirros-0.3.0-x86_64-uec" in create
    assert 'type="checkbox" name="category" value="http://www.mystuff.org/sec#my_grp"' in create
    assert f"occi.credentials.ssh.publickey {infra.SSH_KEY}" in create  # optional key


@pytest.mark.parametrize(("path", "required"), [("/storage/", "occi.storage.size")])
def test_storage_and_network_create_forms(path: str, required: str) -> None:
    page = text(renderer(path).entities([]).body)
    assert f'name="{required}"' in page and "required" in page
    network = text(renderer("/network/").entities([]).body)
    assert 'id="create-network"' in network
    assert f"occi.network.address {infra.IPNETWORK}" in network


def test_link_collection_asks_for_source_and_target() -> None:
    page = text(renderer("/storage/link/").entities([]).body)
    assert 'name="occi.core.source"' in page and 'name="occi.core.target"' in page


def test_values_are_escaped() -> None:
    page = text(renderer("/compute/1").entity(vm(**{"occi.core.title": "<script>x</script>"})).body)
    assert "<script>x" not in page and "&lt;script&gt;x" in page


def test_errors_are_a_page_with_status_and_message() -> None:
    rendered = renderer().error(404, "no entity at /compute/x")
    page = text(rendered.body)
    assert rendered.content_type == "text/html"
    assert "<h1>404 Not Found</h1>" in page and "no entity at /compute/x" in page


def test_base_path_prefixes_links() -> None:
    html = HtmlRenderer("text/html", "http://proxy.example/occi")
    html.bind(categories(), PageContext(path="/compute/1"))
    page = text(html.entity(vm()).body)
    assert 'href="/occi/storage/9"' in page and 'href="/occi/console/static/console.css"' in page
