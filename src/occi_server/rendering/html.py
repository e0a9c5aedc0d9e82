"""The HTML console: text/html as one more rendering of the same OCCI URLs (Jinja2 templates).

A browser asks for text/html, so `/-/`, `/compute/`, `/compute/1`, ... answer with pages built
from the same model objects the other renderers get. Pages need two things the Renderer
protocol does not carry, handed over by http/ through `bind()` once the request is routed:

- the caller's categories (their registry as plain model objects): action definitions for the
  parameter fields, templates and security groups for the create forms. Passing the categories
  rather than the Registry keeps the renderer a pure function of model objects;
- a `PageContext`: the request path (which collection a listing is) and the session's CSRF token.

The query interface is cached per project by http/, so its page must not depend on the session:
it holds no form (and thus no CSRF token). Forms live on collection and entity pages only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from typing import Any, ClassVar

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from occi_server.model import Category, Entity, Kind, Link, Mixin, Resource
from occi_server.rendering import html_views as views
from occi_server.rendering.base import Rendered
from occi_server.rendering.text_format import Locator

HTML = "text/html"
CONSOLE = "/console"  # the console's own pages: login, logout, delete confirmation, static


@dataclass(frozen=True, slots=True)
class PageContext:
    """Per-request facts a page needs beyond the model (set by http/console.py)."""

    path: str = "/"
    csrf: str = ""
    signed_in: bool = False  # the navigation offers "Sign out" only then
    volumes: tuple[tuple[str, str], ...] = ()  # (location, label): what a compute can attach
    serial_log: str | None = None  # a compute's serial console log (its end), where kept


@cache
def environment() -> Environment:
    """Built once: templates are compiled on first use and kept (they never change at run time)."""
    env = Environment(
        loader=PackageLoader("occi_server.rendering", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        term_of=views.term_of,
        state_of=views.state_of,
        display=views.display,
        template_values=views.template_values,
        category_label=views.category_label,
    )
    return env


def render_page(template: str, base_path: str, **values: Any) -> bytes:
    """One page; `base_path` prefixes the console's own links (a server mounted below `/`)."""
    page = environment().get_template(template)
    return page.render(base=base_path, console=base_path + CONSOLE, **values).encode("utf-8")


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class HtmlRenderer:
    """text/html: one page per response; collections are tables of full entities."""

    wants_entities: ClassVar[bool] = True

    def __init__(self, media_type: str, base_url: str) -> None:
        self.media_type = media_type
        self.locator = Locator(base_url)
        self.index = views.CategoryIndex()
        self.page = PageContext()

    def bind(self, categories: Sequence[Category], page: PageContext | None) -> None:
        """Called by http/ once the caller's registry is known (see the module docstring)."""
        self.index = views.CategoryIndex(categories)
        if page is not None:
            self.page = page

    def _page(self, template: str, **values: Any) -> Rendered:
        body = render_page(
            template,
            self.locator.base_path,
            href=self.locator.path,
            csrf=self.page.csrf,
            signed_in=self.page.signed_in,
            **values,
        )
        return Rendered(self.media_type, body)

    def categories(self, categories: Sequence[Category]) -> Rendered:
        index = views.CategoryIndex(categories) if not self.index.categories else self.index
        groups = views.group_categories(categories, index)
        return self._page("query.html", title="Query interface", groups=groups)

    def entity(self, entity: Entity) -> Rendered:
        kind = self.index.by_id.get(entity.kind)
        links: Sequence[Link] = entity.links if isinstance(entity, Resource) else ()
        return self._page(
            "entity.html",
            title=entity.title or views.term_of(entity.kind) + " " + entity.id,
            entity=entity,
            kind=kind,
            state=views.state_of(entity),
            mixins=[self.index.by_id.get(m) for m in entity.mixins],
            links=links,
            is_link=isinstance(entity, Link),
            actions=views.entity_actions(entity, self.index, self.locator.path),
            attach=views.attach_form(entity, self.index, self.locator.path, self.page.volumes),
            serial_log=self.page.serial_log,
        )

    def entities(self, entities: Sequence[Entity]) -> Rendered:
        collection = self.index.at_path(self.page.path)
        form = None
        groups: list[Mixin] = []
        if isinstance(collection, Kind):
            form = views.create_form(collection, self.index, self.locator.path)
        elif isinstance(collection, Mixin):
            form = views.group_form(collection, self.locator.path)
            if form is not None:
                groups = self.index.mixins_under(collection.type_id)
        title = views.category_label(collection) if collection else _listing_title(self.page.path)
        return self._page(
            "collection.html",
            title=title,
            collection=collection,
            entities=entities,
            form=form,
            groups=groups,
        )

    def locations(self, paths: Sequence[str]) -> Rendered:
        return self._page("locations.html", title="Locations", paths=paths)

    def created(self, path: str) -> Rendered:
        return self._page("done.html", title="Created", message="Created", path=path)

    def ok(self) -> Rendered:
        return self._page("done.html", title="Done", message="Done", path=None)

    def error(self, status: int, message: str) -> Rendered:
        title = f"{status} {reason(status)}"
        return self._page("error.html", title=title, status=status, message=message)


def _listing_title(path: str) -> str:
    return "All entities" if path in ("", "/") else f"Entities below {path}"


def install() -> None:
    """Register text/html with negotiate (idempotent); only the renderer: form posts are parsed
    by http/console.py, so other renderings keep answering 415 to form content."""
    from occi_server.rendering import negotiate

    negotiate.register(HTML, renderer=HtmlRenderer)
