"""OCCI Infrastructure 1.2 (GFD.224), plus the 1.1 storage actions that 1.1 clients expect."""

from __future__ import annotations

from occi_server.categories.core import LINK, RESOURCE
from occi_server.model import Action, Attribute, AttributeType, Kind, Mixin

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
COMPUTE = INFRA + "compute"
STORAGE = INFRA + "storage"
NETWORK = INFRA + "network"
NETWORKINTERFACE = INFRA + "networkinterface"
STORAGELINK = INFRA + "storagelink"
OS_TPL = INFRA + "os_tpl"
RESOURCE_TPL = INFRA + "resource_tpl"
IPNETWORK = "http://schemas.ogf.org/occi/infrastructure/network#ipnetwork"
IPNETWORKINTERFACE = (
    "http://schemas.ogf.org/occi/infrastructure/networkinterface#ipnetworkinterface"
)
SSH_KEY = "http://schemas.ogf.org/occi/infrastructure/credentials#ssh_key"
USER_DATA = "http://schemas.ogf.org/occi/infrastructure/compute#user_data"

COMPUTE_ACTION = "http://schemas.ogf.org/occi/infrastructure/compute/action#"
STORAGE_ACTION = "http://schemas.ogf.org/occi/infrastructure/storage/action#"
NETWORK_ACTION = "http://schemas.ogf.org/occi/infrastructure/network/action#"

IP_PATTERN = r"[0-9A-Fa-f:.]{2,45}"
CIDR_PATTERN = r"[0-9A-Fa-f:.]{2,45}/\d{1,3}"
STATE_ENUM = ("active", "inactive", "error")
# occi.network.label is a Token (GFD.184/224): RFC 7230's token, one or more tchar.
TOKEN_PATTERN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"


def _state(
    prefix: str, values: tuple[str, ...] = STATE_ENUM, default: str = "inactive"
) -> tuple[Attribute, Attribute]:
    return (
        Attribute(
            name=f"{prefix}.state",
            mutable=False,
            enum=values,
            default=default,
            description="Current state",
        ),
        Attribute(name=f"{prefix}.state.message", mutable=False, description="Why the state is so"),
    )


def _action(scheme: str, term: str, title: str, *params: Attribute) -> Action:
    return Action(scheme=scheme, term=term, title=title, attributes=params)


def _method(*values: str, default: str) -> Attribute:
    return Attribute(name="method", enum=values, default=default, description="How to do it")


START = _action(COMPUTE_ACTION, "start", "Start the compute")
STOP = _action(
    COMPUTE_ACTION,
    "stop",
    "Stop the compute",
    _method("graceful", "acpioff", "poweroff", default="poweroff"),
)
RESTART = _action(
    COMPUTE_ACTION,
    "restart",
    "Restart the compute",
    _method("graceful", "warm", "cold", default="cold"),
)
SUSPEND = _action(
    COMPUTE_ACTION,
    "suspend",
    "Suspend the compute",
    _method("hibernate", "suspend", default="suspend"),
)
SAVE = _action(
    COMPUTE_ACTION,
    "save",
    "Save the compute as an OS template",
    _method("hot", "deferred", "deffered", default="deferred"),
    Attribute(name="name", description="Name of the new OS template"),
)
COMPUTE_ACTIONS = (START, STOP, RESTART, SUSPEND, SAVE)

ONLINE = _action(STORAGE_ACTION, "online", "Bring the storage online")
OFFLINE = _action(STORAGE_ACTION, "offline", "Take the storage offline")
BACKUP = _action(STORAGE_ACTION, "backup", "Back up the storage (OCCI 1.1)")
SNAPSHOT = _action(STORAGE_ACTION, "snapshot", "Snapshot the storage (OCCI 1.1)")
RESIZE = _action(
    STORAGE_ACTION,
    "resize",
    "Resize the storage (OCCI 1.1)",
    Attribute(
        name="size",
        type=AttributeType.FLOAT,
        required=True,
        description="New size in GiB",
    ),
)
STORAGE_ACTIONS = (ONLINE, OFFLINE, BACKUP, SNAPSHOT, RESIZE)

UP = _action(NETWORK_ACTION, "up", "Bring the network up")
DOWN = _action(NETWORK_ACTION, "down", "Take the network down")
NETWORK_ACTIONS = (UP, DOWN)

COMPUTE_KIND = Kind(
    scheme=INFRA,
    term="compute",
    title="Compute Resource",
    parent=RESOURCE,
    location="/compute/",
    actions=tuple(a.type_id for a in COMPUTE_ACTIONS),
    attributes=(
        Attribute(
            name="occi.compute.architecture", enum=("x86", "x64"), description="CPU architecture"
        ),
        Attribute(
            name="occi.compute.cores",
            type=AttributeType.INTEGER,
            description="Number of virtual CPU cores",
        ),
        # A String in GFD.184/224: no pattern. A cloud that needs a DNS name derives one (Nova
        # does from the display name); see docs/behaviour.md.
        Attribute(name="occi.compute.hostname", description="Fully qualified host name"),
        Attribute(
            name="occi.compute.share",
            type=AttributeType.INTEGER,
            description="Relative CPU share",
        ),
        Attribute(
            name="occi.compute.memory",
            type=AttributeType.FLOAT,
            description="Memory in GiB",
        ),
        Attribute(
            name="occi.compute.speed",
            type=AttributeType.FLOAT,
            description="CPU clock in GHz (OCCI 1.1)",
        ),
        *_state("occi.compute", ("active", "inactive", "suspended", "error")),
    ),
)

STORAGE_KIND = Kind(
    scheme=INFRA,
    term="storage",
    title="Storage Resource",
    parent=RESOURCE,
    location="/storage/",
    actions=tuple(a.type_id for a in STORAGE_ACTIONS),
    attributes=(
        Attribute(
            name="occi.storage.size",
            type=AttributeType.FLOAT,
            required=True,
            description="Size in GiB",
        ),
        *_state("occi.storage", ("online", "offline", "error"), default="offline"),
    ),
)

NETWORK_KIND = Kind(
    scheme=INFRA,
    term="network",
    title="Network Resource",
    parent=RESOURCE,
    location="/network/",
    actions=tuple(a.type_id for a in NETWORK_ACTIONS),
    attributes=(
        Attribute(
            name="occi.network.vlan",
            type=AttributeType.INTEGER,
            minimum=0,
            maximum=4095,
            description="802.1q VLAN id",
        ),
        Attribute(
            name="occi.network.label",
            pattern=TOKEN_PATTERN,
            description="Tag-based VLAN label",
        ),
        *_state("occi.network"),
    ),
)

NETWORKINTERFACE_KIND = Kind(
    scheme=INFRA,
    term="networkinterface",
    title="NetworkInterface Link",
    parent=LINK,
    location="/networklink/",
    attributes=(
        Attribute(
            name="occi.networkinterface.interface",
            mutable=False,
            description="Interface name, e.g. eth0",
        ),
        Attribute(name="occi.networkinterface.mac", description="MAC address"),
        *_state("occi.networkinterface"),
    ),
)

STORAGELINK_KIND = Kind(
    scheme=INFRA,
    term="storagelink",
    title="StorageLink Link",
    parent=LINK,
    location="/storage/link/",
    attributes=(
        # "as defined by the OCCI service provider" (GFD.224): the cloud picks one when the
        # client gives none (pOCCI's INFRA/CREATE/005 links a storage inline without one).
        Attribute(
            name="occi.storagelink.deviceid",
            description="Device id in the guest, e.g. /dev/vdc (chosen by the cloud if omitted)",
        ),
        Attribute(name="occi.storagelink.mountpoint", description="Mount point in the guest"),
        *_state("occi.storagelink"),
    ),
)

IPNETWORK_MIXIN = Mixin(
    scheme="http://schemas.ogf.org/occi/infrastructure/network#",
    term="ipnetwork",
    title="IP Networking",
    applies=(NETWORK,),
    location="/mixin/ipnetwork/",
    attributes=(
        Attribute(name="occi.network.address", pattern=CIDR_PATTERN, description="CIDR range"),
        Attribute(name="occi.network.gateway", pattern=IP_PATTERN, description="Gateway address"),
        Attribute(
            name="occi.network.allocation",
            enum=("dynamic", "static"),
            default="dynamic",
            description="Address allocation",
        ),
    ),
)

IPNETWORKINTERFACE_MIXIN = Mixin(
    scheme="http://schemas.ogf.org/occi/infrastructure/networkinterface#",
    term="ipnetworkinterface",
    title="IP Network Interface",
    applies=(NETWORKINTERFACE,),
    location="/mixin/ipnetworkinterface/",
    attributes=(
        Attribute(
            name="occi.networkinterface.address",
            pattern=IP_PATTERN,
            description="IP address (allocated from the network when omitted)",
        ),
        Attribute(
            name="occi.networkinterface.gateway", pattern=IP_PATTERN, description="Gateway address"
        ),
        Attribute(
            name="occi.networkinterface.allocation",
            enum=("dynamic", "static"),
            default="dynamic",
            description="Address allocation",
        ),
    ),
)

OS_TPL_MIXIN = Mixin(
    scheme=INFRA,
    term="os_tpl",
    title="OS template",
    applies=(INFRA + "compute",),
    location="/mixin/os_tpl/",
)
RESOURCE_TPL_MIXIN = Mixin(
    scheme=INFRA,
    term="resource_tpl",
    title="Resource template",
    applies=(INFRA + "compute",),
    location="/mixin/resource_tpl/",
)
SSH_KEY_MIXIN = Mixin(
    scheme="http://schemas.ogf.org/occi/infrastructure/credentials#",
    term="ssh_key",
    title="SSH key credentials",
    applies=(COMPUTE,),
    location="/mixin/ssh_key/",
    attributes=(
        Attribute(
            name="occi.credentials.ssh.publickey",
            required=True,
            description="SSH public key",
        ),
    ),
)
USER_DATA_MIXIN = Mixin(
    scheme="http://schemas.ogf.org/occi/infrastructure/compute#",
    term="user_data",
    title="Contextualization user data",
    applies=(COMPUTE,),
    location="/mixin/user_data/",
    attributes=(
        Attribute(
            name="occi.compute.userdata",
            required=True,
            description="Boot-time data (e.g. base64 cloud-config)",
        ),
    ),
)

KINDS = (COMPUTE_KIND, STORAGE_KIND, NETWORK_KIND, NETWORKINTERFACE_KIND, STORAGELINK_KIND)
MIXINS = (
    IPNETWORK_MIXIN,
    IPNETWORKINTERFACE_MIXIN,
    OS_TPL_MIXIN,
    RESOURCE_TPL_MIXIN,
    SSH_KEY_MIXIN,
    USER_DATA_MIXIN,
)
ACTIONS = COMPUTE_ACTIONS + STORAGE_ACTIONS + NETWORK_ACTIONS
