"""What the embedded cloud adds to storage when it serves CDMI: where the volume's bytes are
(OCCI 1.1 Infrastructure §3.4.3 links OCCI storage with CDMI-managed storage)."""

from __future__ import annotations

from occi_server.categories.infrastructure import STORAGE
from occi_server.model.attribute import Attribute
from occi_server.model.category import KindExtension

LOCATION = "org.snia.cdmi.location"

STORAGE_EXTENSION = KindExtension(
    kind=STORAGE,
    actions=(),
    attributes=(
        Attribute(
            name=LOCATION,
            mutable=False,
            description="The volume's bytes as a CDMI data object (GET streams them, PUT writes)",
        ),
    ),
)
