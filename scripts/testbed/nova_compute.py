"""Test bed only: nova-compute with the fake virt driver, made to behave like a real hypervisor
in the two places the OCCI walkthrough looks at.

* A snapshot (createImage) uploads a few KiB to the Glance image, so the image becomes `active`
  (the fake driver leaves it `queued` forever).
* The root disk is /dev/vda (the fake driver names none, and Nova then falls back to /dev/sdX),
  so a volume asked for at /dev/vdc shows up there, as on a libvirt guest.
"""

from __future__ import annotations

import io
import sys
from typing import Any

# nova.cmd decides about eventlet monkey patching on import: it must come first.
from nova.cmd import compute as compute_cmd
from nova.compute import task_states
from nova.image import glance
from nova.virt import fake


def _snapshot(
    self: Any, context: Any, instance: Any, image_id: str, update_task_state: Any
) -> None:
    if instance.uuid not in self.instances:
        from nova import exception

        raise exception.InstanceNotRunning(instance_id=instance.uuid)
    update_task_state(task_state=task_states.IMAGE_PENDING_UPLOAD)
    update_task_state(
        task_state=task_states.IMAGE_UPLOADING, expected_state=task_states.IMAGE_PENDING_UPLOAD
    )
    metadata = {
        "disk_format": "raw",
        "container_format": "bare",
        "properties": {"image_location": "snapshot", "owner_id": instance.project_id},
    }
    data = io.BytesIO(b"occi-testbed snapshot of " + instance.uuid.encode() + b"\0" * 4096)
    glance.API().update(context, image_id, metadata, data, purge_props=False)


def _root_device_name(self: Any, instance: Any, image_meta: Any, root_bdm: Any) -> str:
    return "/dev/vda"


fake.FakeDriver.snapshot = _snapshot
fake.FakeDriver.default_root_device_name = _root_device_name

if __name__ == "__main__":
    sys.argv[0] = "nova-compute"
    sys.exit(compute_cmd.main())
