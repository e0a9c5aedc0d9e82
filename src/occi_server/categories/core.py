"""OCCI Core kinds (GFD.221): entity, resource, link."""

from __future__ import annotations

from occi_server.model import Attribute, Kind

CORE = "http://schemas.ogf.org/occi/core#"

ENTITY = CORE + "entity"
RESOURCE = CORE + "resource"
LINK = CORE + "link"

# occi.core.id/source/target are entity fields; these definitions describe them for discovery
# and validation.
ID = Attribute(name="occi.core.id", mutable=False, required=False, description="Entity identifier")
TITLE = Attribute(name="occi.core.title", description="Display name")
SUMMARY = Attribute(name="occi.core.summary", description="Short description of the resource")
SOURCE = Attribute(
    name="occi.core.source", required=True, mutable=False, description="Location of the source"
)
TARGET = Attribute(
    name="occi.core.target", required=True, mutable=False, description="Location of the target"
)
TARGET_KIND = Attribute(
    name="occi.core.target.kind", mutable=False, description="Kind of the target"
)

ENTITY_KIND = Kind(scheme=CORE, term="entity", title="Entity", attributes=(ID, TITLE))
RESOURCE_KIND = Kind(
    scheme=CORE,
    term="resource",
    title="Resource",
    parent=ENTITY,
    location="/resource/",
    attributes=(SUMMARY,),
)
LINK_KIND = Kind(
    scheme=CORE,
    term="link",
    title="Link",
    parent=ENTITY,
    location="/link/",
    attributes=(SOURCE, TARGET, TARGET_KIND),
)

KINDS = (ENTITY_KIND, RESOURCE_KIND, LINK_KIND)
