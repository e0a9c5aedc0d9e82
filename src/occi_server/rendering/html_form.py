"""The HTML console's form posts (application/x-www-form-urlencoded) -> one neutral OcciRequest.

Field names are the OCCI ones, so a form reads like the request it stands for:

- `category` (repeatable): a category's type id (`scheme#term`), e.g. the kind, a template,
  a security group, or the action being invoked;
- `location` (repeatable): an entity location (mixin membership);
- `_category_with` (repeatable): `<attribute> <type id>`, which adds the category only when that
  attribute's field was filled in (an optional SSH key brings its mixin along);
- `_csrf`, `_method`, `_redirect`: the console's own controls (see http/console.py);
- `_mixin_term` with `_mixin_scheme`, `_mixin_rel`, `_mixin_location` and `_mixin_title`: a
  user mixin to define (a form posted to the query interface, e.g. a new security group whose
  location is `_mixin_location` + term + `/`);
- any other name: an OCCI attribute (`occi.compute.hostname`, an action's `method`, ...).

Browsers send every text field, filled or not, so empty values are dropped: an empty field means
"not given" (the server default applies), never "set to the empty string".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from occi_server.errors import BadRequest
from occi_server.model.category import split_type_id
from occi_server.model.request import CategoryRef, OcciRequest

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
# Methods a form may ask for with `_method`; HTML forms can only GET and POST.
OVERRIDABLE = frozenset({"PUT", "DELETE"})
_CONTROLS = frozenset({"_csrf", "_method", "_redirect", "_category_with"})
_MIXIN_FIELDS = ("_mixin_term", "_mixin_scheme", "_mixin_rel", "_mixin_location", "_mixin_title")
_TERM = re.compile(r"[a-z][a-z0-9_-]{0,63}")
# A form is small; this bounds parse_qsl's work on a hostile body well below the body limit.
MAX_FIELDS = 1000


@dataclass(slots=True)
class FormPost:
    """A parsed form: the OCCI content plus the console's controls."""

    request: OcciRequest
    csrf: str = ""
    method: str | None = None  # PUT or DELETE when `_method` asked for it
    redirect: str | None = None  # a local path to go to afterwards
    fields: dict[str, str] = field(default_factory=dict)  # non-OCCI values (login forms)


def is_form(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() == FORM_MEDIA_TYPE


def parse_form(body: bytes) -> FormPost:
    """Parse a form body; 400 naming the field for malformed content."""
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("form: body is not valid UTF-8 form data") from None
    if len(pairs) > MAX_FIELDS:
        raise BadRequest(f"form: more than {MAX_FIELDS} fields")
    post = FormPost(OcciRequest())
    filled = {name for name, value in pairs if value.strip()}
    mixin: dict[str, str] = {}
    for name, raw in pairs:
        value = raw.strip()
        if name in _MIXIN_FIELDS:
            mixin[name] = value
        elif name in _CONTROLS:
            _control(post, name, value, filled)
        elif not value:
            continue
        elif name == "category":
            post.request.categories.append(category_ref(value))
        elif name == "location":
            post.request.locations.append(value)
        else:
            post.request.attributes[name] = value
            post.fields[name] = value
    if "_mixin_term" in mixin:
        post.request.categories.append(_mixin_definition(mixin))
    return post


def _mixin_definition(fields: dict[str, str]) -> CategoryRef:
    """A user mixin from the console's "new mixin" form; 400 naming a bad field."""
    term = fields.get("_mixin_term", "")
    if not _TERM.fullmatch(term):
        raise BadRequest(
            "form field name: lower-case letters, digits, _ and - (starting with a letter)"
        )
    scheme = fields.get("_mixin_scheme", "")
    if not scheme.endswith("#"):
        raise BadRequest("form field _mixin_scheme: a scheme ending with #")
    prefix = fields.get("_mixin_location", "")
    rel = fields.get("_mixin_rel", "")
    return CategoryRef(
        term=term,
        scheme=scheme,
        category_class="mixin",
        title=fields.get("_mixin_title") or None,
        rel=(rel,) if rel else (),
        location=f"{prefix}{term}/" if is_local_path(prefix) and prefix.endswith("/") else None,
    )


def _control(post: FormPost, name: str, value: str, filled: set[str]) -> None:
    if name == "_csrf":
        post.csrf = value
    elif name == "_method":
        if value and value.upper() not in OVERRIDABLE:
            raise BadRequest(f"form field _method: {value[:20]!r} is not PUT or DELETE")
        post.method = value.upper() or None
    elif name == "_redirect":
        post.redirect = value if is_local_path(value) else None
    else:  # _category_with
        attribute, _, type_id = value.partition(" ")
        if attribute in filled and type_id.strip():
            post.request.categories.append(category_ref(type_id.strip()))


def category_ref(type_id: str) -> CategoryRef:
    """A category named by type id; its class is left for the service to look up."""
    scheme, term = split_type_id(type_id)
    if not term or not scheme:
        raise BadRequest(f"form field category: {type_id[:80]!r} is not scheme#term")
    return CategoryRef(term=term, scheme=scheme)


def is_local_path(value: str) -> bool:
    """Only paths on this server: `//host` and `/\\host` would leave it (open redirect)."""
    return (
        value.startswith("/")
        and not value.startswith(("//", "/\\"))
        and not any(c in value for c in "\r\n\t")
    )
