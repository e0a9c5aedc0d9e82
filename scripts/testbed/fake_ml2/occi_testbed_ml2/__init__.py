"""Test bed only: bind every Neutron port on every host, so Nova's fake driver can boot servers.

There is no dataplane behind it; the binding only satisfies Nova's PortBindingFailed check.
"""

from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api


class BindAllDriver(api.MechanismDriver):  # type: ignore[misc]
    def initialize(self) -> None:
        return None

    def bind_port(self, context):  # type: ignore[no-untyped-def]
        details = {portbindings.CAP_PORT_FILTER: True, portbindings.OVS_HYBRID_PLUG: False}
        for segment in context.segments_to_bind:
            context.set_binding(
                segment[api.ID], portbindings.VIF_TYPE_OVS, details, status="ACTIVE"
            )
            return
