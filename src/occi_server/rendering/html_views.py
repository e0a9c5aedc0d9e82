"""What the HTML console's pages show, built from model objects only (no HTTP, no templates).

`CategoryIndex` is the caller's registry seen as plain categories (handed to the renderer by
http/); the builders turn kinds, mixins and actions into forms whose fields are named as the
form parser (html_form.py) reads them back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from occi_server.model import Action, Attribute, AttributeType, Category, Entity, Kind, Mixin

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
OS_TPL = INFRA + "os_tpl"
RESOURCE_TPL = INFRA + "resource_tpl"
COMPUTE = INFRA + "compute"
STORAGE = INFRA + "storage"
STORAGELINK = INFRA + "storagelink"
SECURITY_GROUP = "http://schemas.ogf.org/occi/infrastructure/security#group"
FLOATING_POOL_SCHEME = "http://schemas.openstack.org/network/floatingippool#"
FLOATING_POOL = "org.openstack.network.floating.pool"
# Security groups made in the console are user mixins of this scheme, below /security/group/.
CONSOLE_GROUP_SCHEME = "http://schemas.openstack.org/occi/security/group#"
TEMPLATE_BASES = (RESOURCE_TPL, OS_TPL)
LINK = "http://schemas.ogf.org/occi/core#link"
# Long free text (keys, user data) reads better in a text area.
_LONG_TEXT = re.compile(r"(publickey|userdata|user_data|\.data)$")
_STATE = re.compile(r"^occi\.[a-z]+\.state$")
# Turns a model path into the path a browser uses (the server's base path added).
Locate = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # the form field name: an attribute name, or `category` for choices of mixins
    label: str
    widget: str = "text"  # text | number | select | textarea | checkboxes
    required: bool = False
    value: str = ""  # pre-filled value (an attribute default)
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) for select / checkboxes
    step: str = "any"
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Fieldset:
    """Optional fields of one mixin: the mixin is added only when `trigger` is filled in."""

    legend: str
    fields: tuple[Field, ...]
    category_with: str  # `<attribute> <type id>` (html_form.py's `_category_with`)


@dataclass(frozen=True, slots=True)
class Form:
    ident: str  # unique on its page: prefixes the ids of the fields (label `for`)
    title: str
    action: str  # the OCCI path the form posts to (query included)
    submit: str
    fields: tuple[Field, ...] = ()
    hidden: tuple[tuple[str, str], ...] = ()
    fieldsets: tuple[Fieldset, ...] = ()
    more: tuple[Field, ...] = ()  # optional attributes, shown folded


class CategoryIndex:
    """The request's categories by type id and location, with the few derived facts pages need."""

    def __init__(self, categories: Iterable[Category] = ()) -> None:
        self.categories = tuple(categories)
        self.by_id = {c.type_id: c for c in self.categories}
        self.by_location: dict[str, Kind | Mixin] = {
            c.location: c for c in self.categories if isinstance(c, Kind | Mixin) and c.location
        }

    def at_path(self, path: str) -> Kind | Mixin | None:
        return self.by_location.get(path) or self.by_location.get(path.rstrip("/") + "/")

    def depends_on(self, mixin: Mixin, ancestor: str) -> bool:
        seen: set[str] = set()
        stack = [mixin]
        while stack:
            current = stack.pop()
            if current.type_id in seen:
                continue
            seen.add(current.type_id)
            if ancestor in current.depends:
                return True
            stack.extend(m for d in current.depends if isinstance(m := self.by_id.get(d), Mixin))
        return False

    def mixins_under(self, ancestor: str) -> list[Mixin]:
        return [c for c in self.categories if isinstance(c, Mixin) and self.depends_on(c, ancestor)]

    def is_a(self, kind: Kind, ancestor: str) -> bool:
        current: Kind | None = kind
        for _ in range(16):  # kinds form a shallow tree; the bound guards against cycles
            if current is None:
                return False
            if current.type_id == ancestor:
                return True
            parent = self.by_id.get(current.parent or "")
            current = parent if isinstance(parent, Kind) else None
        return False

    def kind_attributes(self, kind: Kind) -> list[Attribute]:
        """The kind's attributes and its parents' (nearest last, as Core lists them first)."""
        chain: list[Kind] = []
        current: Category | None = kind
        while isinstance(current, Kind) and current not in chain:
            chain.append(current)
            current = self.by_id.get(current.parent or "")
        return [a for k in reversed(chain) for a in k.attributes]

    def action(self, type_id: str) -> Action | None:
        found = self.by_id.get(type_id)
        return found if isinstance(found, Action) else None


# --- Small facts about entities and categories ------------------------------------------------


def term_of(type_id: str) -> str:
    return type_id.rsplit("#", 1)[-1] if "#" in type_id else type_id.rsplit("/", 1)[-1]


def state_of(entity: Entity) -> str:
    return next((str(v) for k, v in entity.attributes.items() if _STATE.match(k)), "")


def category_label(category: Category) -> str:
    return category.title or category.term


def display(value: object) -> str:
    """An attribute value as text: booleans and numbers as OCCI writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def template_values(mixin: Mixin) -> list[tuple[str, str]]:
    """What a template sets: (short name, value) for each attribute with a default."""
    return [
        (short_name(a.name), display(a.default)) for a in mixin.attributes if a.default is not None
    ]


def short_name(name: str) -> str:
    """`occi.compute.cores` -> `cores`; other names keep their last two parts (`flavor.disk`)."""
    parts = name.split(".")
    return parts[-1] if name.startswith("occi.") else ".".join(parts[-2:])


# --- Fields ------------------------------------------------------------------------------------


def field_for(attr: Attribute, *, required: bool | None = None) -> Field:
    """A form field for one attribute definition, typed by its OCCI type."""
    label = attr.description or attr.name
    needed = attr.required if required is None else required
    value = "" if attr.default is None or attr.secret else display(attr.default)
    if attr.enum is not None:
        choices = tuple((v, v) for v in attr.enum)
        if not needed:
            choices = (("", "(default)"), *choices)
        return Field(attr.name, label, "select", needed, value, choices, hint=attr.name)
    if attr.type is AttributeType.BOOLEAN:
        choices = (("", "(default)"), ("true", "true"), ("false", "false"))
        return Field(attr.name, label, "select", needed, value, choices, hint=attr.name)
    if attr.type in (AttributeType.INTEGER, AttributeType.FLOAT):
        step = "1" if attr.type is AttributeType.INTEGER else "any"
        return Field(attr.name, label, "number", needed, value, step=step, hint=attr.name)
    widget = "textarea" if _LONG_TEXT.search(attr.name) else "text"
    if attr.secret:
        widget = "password"
    return Field(attr.name, label, widget, needed, value, hint=attr.name)


def _editable(attributes: Iterable[Attribute]) -> list[Attribute]:
    """What a client may set at creation: mutable, and not an entity field like occi.core.id."""
    skipped = {"occi.core.id", "occi.core.source", "occi.core.target", "occi.core.summary"}
    return [a for a in attributes if a.mutable and a.name not in skipped]


# --- Forms -------------------------------------------------------------------------------------


def action_form(
    entity: Entity, action: Action, locate: Locate, index: CategoryIndex | None = None
) -> Form:
    return Form(
        ident=f"action-{action.term}",
        title=category_label(action),
        action=locate(entity.location) + f"?action={action.term}",
        submit=action.term.replace("_", " ").capitalize(),
        fields=tuple(_parameter(a, index) for a in action.attributes),
        hidden=(("category", action.type_id),),
    )


def _parameter(attr: Attribute, index: CategoryIndex | None) -> Field:
    """An action's parameter; a floating-IP pool is chosen among the cloud's pools."""
    pools = [
        m
        for m in (index.categories if index is not None else ())
        if isinstance(m, Mixin) and m.scheme == FLOATING_POOL_SCHEME
    ]
    if attr.name != FLOATING_POOL or not pools:
        return field_for(attr)
    choices = (("", "(the first pool)"), *((m.term, category_label(m)) for m in pools))
    label = attr.description or attr.name
    return Field(attr.name, label, "select", choices=choices, hint=attr.name)


def entity_actions(entity: Entity, index: CategoryIndex, locate: Locate) -> list[Form]:
    """One form per action the entity advertises now; unknown type ids are skipped."""
    return [
        action_form(entity, action, locate, index)
        for type_id in entity.actions
        if (action := index.action(type_id)) is not None
    ]


def create_form(kind: Kind, index: CategoryIndex, locate: Locate) -> Form | None:
    """The form creating an entity of `kind` in its collection; None for abstract kinds.

    Templates, the title, security groups and required attributes come first; the kind's other
    attributes are folded away (templates usually set them).
    """
    if kind.location is None:
        return None
    fields: list[Field] = []
    if index.is_a(kind, LINK):
        for end in ("source", "target"):
            hint = f"occi.core.{end}: a path such as /compute/…"
            fields.append(
                Field(f"occi.core.{end}", f"{end.capitalize()} location", required=True, hint=hint)
            )
    for base, label in ((RESOURCE_TPL, "Resource template"), (OS_TPL, "OS template")):
        templates = [m for m in index.mixins_under(base) if _applies(m, kind, index)]
        if templates:
            choices = (("", "(server default)"), *((m.type_id, _choice(m)) for m in templates))
            fields.append(Field("category", label, "select", choices=choices, hint=base))
    attributes = _editable(index.kind_attributes(kind))
    main = [a for a in attributes if a.required or a.name == "occi.core.title"]
    fields.extend(field_for(a) for a in main)
    groups = [m for m in index.mixins_under(SECURITY_GROUP) if _applies(m, kind, index)]
    if groups:
        choices = tuple((m.type_id, category_label(m)) for m in groups)
        fields.append(Field("category", "Security groups", "checkboxes", choices=choices))
    return Form(
        ident=f"create-{kind.term}",
        title=f"Create a {kind.term}",
        action=locate(kind.location),
        submit=f"Create {kind.term}",
        fields=tuple(fields),
        hidden=(("category", kind.type_id),),
        fieldsets=tuple(_optional_mixins(kind, index)),
        more=tuple(field_for(a) for a in attributes if a not in main),
    )


def _optional_mixins(kind: Kind, index: CategoryIndex) -> list[Fieldset]:
    """Plain mixins with attributes (keys, user data, IP networking) as optional groups."""
    special = (*TEMPLATE_BASES, SECURITY_GROUP)
    sets = []
    for mixin in index.categories:
        if not isinstance(mixin, Mixin) or not mixin.attributes or mixin.user_defined:
            continue
        if any(index.depends_on(mixin, s) for s in special) or not mixin.applies:
            continue
        if not _applies(mixin, kind, index):
            continue
        trigger = next((a for a in mixin.attributes if a.required), mixin.attributes[0])
        fields = tuple(field_for(a, required=False) for a in _editable(mixin.attributes))
        sets.append(Fieldset(category_label(mixin), fields, f"{trigger.name} {mixin.type_id}"))
    return sets


def attach_form(
    entity: Entity,
    index: CategoryIndex,
    locate: Locate,
    volumes: Sequence[tuple[str, str]] = (),
) -> Form | None:
    """On a compute's page: attach a volume (one of `volumes`, (location, label) pairs, when
    the project has any) by creating a storagelink from it."""
    link_kind = index.by_id.get(STORAGELINK)
    if not isinstance(link_kind, Kind) or link_kind.location is None or entity.kind != COMPUTE:
        return None
    attached = {link.target for link in getattr(entity, "links", ())}
    offered = tuple((loc, label) for loc, label in volumes if loc not in attached)
    if offered:
        target = Field(
            "occi.core.target", "Volume", "select", required=True, choices=offered, hint=""
        )
    else:
        target = Field(
            "occi.core.target",
            "Volume location",
            required=True,
            hint="the storage's path, e.g. /storage/… (the project has no other volume)",
        )
    extra = [field_for(a) for a in _editable(link_kind.attributes)]
    return Form(
        ident="attach",
        title="Attach a volume",
        action=locate(link_kind.location),
        submit="Attach volume",
        fields=(target, *extra),
        hidden=(
            ("category", link_kind.type_id),
            ("occi.core.source", entity.location),
            ("_redirect", locate(entity.location)),
        ),
    )


def group_form(collection: Mixin, locate: Locate) -> Form | None:
    """On the security groups' page: define a new group (a user mixin, via /-/)."""
    if collection.type_id != SECURITY_GROUP:
        return None
    return Form(
        ident="create-group",
        title="Create a security group",
        action=locate("/-/"),
        submit="Create security group",
        fields=(
            Field("_mixin_term", "Name", required=True, hint="lower-case letters, digits, _, -"),
            Field("_mixin_title", "Description"),
        ),
        hidden=(
            ("_mixin_scheme", CONSOLE_GROUP_SCHEME),
            ("_mixin_rel", SECURITY_GROUP),
            ("_mixin_location", "/security/group/"),
            ("_redirect", locate(collection.location or "/security/group/")),
        ),
    )


def _applies(mixin: Mixin, kind: Kind, index: CategoryIndex) -> bool:
    if not mixin.applies:
        parents = [m for d in mixin.depends if isinstance(m := index.by_id.get(d), Mixin)]
        return all(_applies(p, kind, index) for p in parents)
    return any(index.is_a(kind, a) for a in mixin.applies)


def _choice(mixin: Mixin) -> str:
    values = ", ".join(f"{n} {v}" for n, v in template_values(mixin) if "." not in n)
    return f"{category_label(mixin)} ({values})" if values else category_label(mixin)


def group_categories(
    categories: Sequence[Category], index: CategoryIndex
) -> dict[str, list[Category]]:
    """The query interface's sections, in reading order; empty ones are dropped."""
    groups: dict[str, list[Category]] = {
        "Kinds": [],
        "Resource templates": [],
        "OS templates": [],
        "Security groups": [],
        "Mixins": [],
        "Actions": [],
    }
    for category in categories:
        if isinstance(category, Kind):
            groups["Kinds"].append(category)
        elif isinstance(category, Action):
            groups["Actions"].append(category)
        elif isinstance(category, Mixin):
            groups[_mixin_group(category, index)].append(category)
    return {name: members for name, members in groups.items() if members}


def _mixin_group(mixin: Mixin, index: CategoryIndex) -> str:
    if index.depends_on(mixin, RESOURCE_TPL):
        return "Resource templates"
    if index.depends_on(mixin, OS_TPL):
        return "OS templates"
    if index.depends_on(mixin, SECURITY_GROUP):
        return "Security groups"
    return "Mixins"
