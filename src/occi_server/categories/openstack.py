"""The OpenStack extension of the seed walkthrough: instance actions, credentials, security rules.

Flavors, images and floating-IP pools are per-cloud and come from the backend as mixins in the
schemes below; the categories here are the static part.
"""

from __future__ import annotations

from occi_server.categories.core import RESOURCE
from occi_server.categories.infrastructure import COMPUTE
from occi_server.model import Action, Attribute, AttributeType, Kind, Mixin
from occi_server.model.category import KindExtension
from occi_server.model.lifecycle import Step

RESOURCE_TPL_SCHEME = "http://schemas.openstack.org/template/resource#"
OS_TPL_SCHEME = "http://schemas.openstack.org/template/os#"
FLOATING_POOL_SCHEME = "http://schemas.openstack.org/network/floatingippool#"
INSTANCE_ACTION = "http://schemas.openstack.org/instance/action#"
SECURITY_GROUP = "http://schemas.ogf.org/occi/infrastructure/security#group"
SECURITY_RULE_SCHEME = "http://schemas.openstack.org/occi/infrastructure/network/security#"
SECURITY_RULE = SECURITY_RULE_SCHEME + "rule"
PUBLIC_KEY = "http://schemas.openstack.org/instance/credentials#public_key"
OS_USER_DATA = "http://schemas.openstack.org/compute/instance#user_data"

FLOATING_POOL = "org.openstack.network.floating.pool"
FLOATING_IP = "org.openstack.network.floating.ip"
ADMIN_PWD = "org.openstack.credentials.admin_pwd"
IMAGE_NAME = "org.openstack.snapshot.image_name"
NOVA_STATE = "org.openstack.compute.state"
NOVA_TASK = "org.openstack.compute.task_state"
REBOOT_TYPE = "org.openstack.compute.reboot.type"
# Nova's server statuses (org.openstack.compute.state), the compute lifecycle's vocabulary.
ACTIVE, SHUTOFF, SUSPENDED, PAUSED = "ACTIVE", "SHUTOFF", "SUSPENDED", "PAUSED"
VERIFY_RESIZE, ERROR, BUILD, REBOOT_STATUS = "VERIFY_RESIZE", "ERROR", "BUILD", "REBOOT"


def _action(term: str, title: str, *params: Attribute) -> Action:
    return Action(scheme=INSTANCE_ACTION, term=term, title=title, attributes=params)


CONFIRM_RESIZE = _action("confirm_resize", "Confirm a pending resize")
REVERT_RESIZE = _action("revert_resize", "Revert a pending resize")
ALLOC_FLOAT_IP = _action(
    "alloc_float_ip",
    "Allocate a floating IP to the compute",
    Attribute(name=FLOATING_POOL, description="Pool to take the address from (default: first)"),
)
DEALLOC_FLOAT_IP = _action(
    "dealloc_float_ip",
    "Release a floating IP of the compute",
    Attribute(name=FLOATING_IP, description="Address to release (default: the last allocated)"),
)
CHG_PWD = _action(
    "chg_pwd",
    "Change the administrative password",
    Attribute(name=ADMIN_PWD, required=True, secret=True, description="New password"),
)
CREATE_IMAGE = _action(
    "create_image",
    "Snapshot the compute into a new OS template",
    Attribute(name=IMAGE_NAME, required=True, description="Name of the new OS template"),
)
REBOOT = _action(
    "reboot",
    "Reboot the compute, as Nova does (SOFT: the guest is asked; HARD: power cycled)",
    Attribute(name=REBOOT_TYPE, enum=("SOFT", "HARD"), default="SOFT", description="How"),
)
INSTANCE_ACTIONS = (
    CONFIRM_RESIZE,
    REVERT_RESIZE,
    ALLOC_FLOAT_IP,
    DEALLOC_FLOAT_IP,
    CHG_PWD,
    CREATE_IMAGE,
    REBOOT,
)

# Their place in the compute lifecycle (categories/lifecycles.py): from which Nova statuses
# they run, and what a client sees while and after they do. Advertised in this order.
_ANY = (ACTIVE, SHUTOFF, SUSPENDED, PAUSED, VERIFY_RESIZE)
INSTANCE_STEPS = (
    Step(
        action=CONFIRM_RESIZE.type_id,
        sources=(VERIFY_RESIZE,),
        target=None,  # back to the status the OCCI state is drawn as
        busy="confirming the resize",
        done="resize confirmed",
        task="resize_finish",
    ),
    Step(
        action=REVERT_RESIZE.type_id,
        sources=(VERIFY_RESIZE,),
        target=None,
        busy="reverting the resize",
        done="resize reverted",
        task="resize_reverting",
    ),
    Step(
        action=CHG_PWD.type_id,
        sources=(ACTIVE,),  # Nova sets passwords on running servers only
        target=None,
        busy="changing the administrative password",
        done="administrative password changed",
        task="updating_password",
    ),
    Step(
        action=CREATE_IMAGE.type_id,
        sources=(ACTIVE, SHUTOFF, SUSPENDED, PAUSED),
        target=None,
        busy="creating an image",
        done="image created",
        task="image_snapshot",
    ),
    Step(
        action=ALLOC_FLOAT_IP.type_id,
        sources=_ANY,
        target=None,
        busy="allocating a floating IP",
        done="floating IP allocated",
    ),
    Step(
        action=DEALLOC_FLOAT_IP.type_id,
        sources=_ANY,
        target=None,
        busy="releasing a floating IP",
        done="floating IP released",
    ),
    Step(
        action=REBOOT.type_id,
        sources=(ACTIVE, ERROR),
        target=ACTIVE,
        busy="rebooting",
        done="rebooted",
        during=REBOOT_STATUS,
        task="rebooting",
    ),
)

# What the walkthrough adds to every compute: its actions and attributes.
COMPUTE_EXTENSION = KindExtension(
    kind=COMPUTE,
    actions=tuple(a.type_id for a in INSTANCE_ACTIONS),
    attributes=(
        Attribute(
            name=FLOATING_IP,
            mutable=False,
            description="Floating IP of the compute (the first, when it has several)",
        ),
        Attribute(
            name=ADMIN_PWD,
            secret=True,
            description="Administrative password (write only; never rendered)",
        ),
        Attribute(
            name=NOVA_STATE,
            mutable=False,
            description="The cloud's own state of the instance, e.g. VERIFY_RESIZE",
        ),
        Attribute(
            name=NOVA_TASK,
            mutable=False,
            description="What the cloud is doing to the instance, e.g. powering-on (else absent)",
        ),
    ),
)

SECURITY_GROUP_MIXIN = Mixin(
    scheme="http://schemas.ogf.org/occi/infrastructure/security#",
    term="group",
    title="Security group",
    location="/security/group/",
)

RULE_KIND = Kind(
    scheme=SECURITY_RULE_SCHEME,
    term="rule",
    title="Security group rule",
    parent=RESOURCE,
    location="/network/security/rule/",
    attributes=(
        Attribute(
            name="occi.network.security.protocol",
            required=True,
            pattern=r"(?i:tcp|udp|icmp)",
            description="tcp, udp or icmp",
        ),
        Attribute(
            name="occi.network.security.from",
            type=AttributeType.INTEGER,
            minimum=-1,
            maximum=65535,
            description="First port (ICMP type; -1 for any)",
        ),
        Attribute(
            name="occi.network.security.to",
            type=AttributeType.INTEGER,
            minimum=-1,
            maximum=65535,
            description="Last port (ICMP code; -1 for any)",
        ),
        Attribute(
            name="occi.network.security.range",
            default="0.0.0.0/0",
            pattern=r"[0-9A-Fa-f:.]{2,45}/\d{1,3}",
            description="Source CIDR",
        ),
    ),
)

PUBLIC_KEY_MIXIN = Mixin(
    scheme="http://schemas.openstack.org/instance/credentials#",
    term="public_key",
    title="OpenStack key pair",
    applies=(COMPUTE,),
    location="/mixin/public_key/",
    attributes=(
        Attribute(name="org.openstack.credentials.publickey.name", description="Key pair name"),
        Attribute(
            name="org.openstack.credentials.publickey.data",
            required=True,
            description="Public key (OpenSSH format)",
        ),
    ),
)

OS_USER_DATA_MIXIN = Mixin(
    scheme="http://schemas.openstack.org/compute/instance#",
    term="user_data",
    title="OpenStack user data",
    applies=(COMPUTE,),
    location="/mixin/os_user_data/",
    attributes=(
        Attribute(
            name="org.openstack.compute.user_data",
            required=True,
            description="User data (base64) passed to the instance",
        ),
    ),
)

CATEGORIES = (
    *INSTANCE_ACTIONS,
    SECURITY_GROUP_MIXIN,
    RULE_KIND,
    PUBLIC_KEY_MIXIN,
    OS_USER_DATA_MIXIN,
)
