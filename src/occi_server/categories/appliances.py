"""This server's own compute action: export as an OVA package (docs/ovf.md).

Its Step (from which states it runs) is in categories/lifecycles.py; a backend that can do the
work offers it (the embedded cloud, OpenStack), so no other advertises it.
"""

from __future__ import annotations

from occi_server.categories.infrastructure import COMPUTE
from occi_server.model import Action
from occi_server.model.category import KindExtension

APPLIANCE_ACTION = "http://schemas.occi-server.org/occi/compute/action#"

EXPORT = Action(
    scheme=APPLIANCE_ACTION,
    term="export",
    title="Export the compute as an OVA package (OVF 1.0, streamOptimized VMDK disks)",
)

COMPUTE_EXTENSION = KindExtension(kind=COMPUTE, actions=(EXPORT.type_id,))
CATEGORIES = (EXPORT,)
