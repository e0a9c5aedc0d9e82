"""The capability objects list what the backend's object store does, and nothing else."""

from __future__ import annotations

from occi_server.backends.base import ObjectFeatures
from occi_server.backends.openstack.objects import FEATURES as OPENSTACK
from occi_server.cdmi.capabilities import Capability, catalogue


def _objects(features: ObjectFeatures) -> dict[str, Capability]:
    return catalogue(
        containers=features.containers,
        ranged_volume_writes=features.ranged_writes,
        volume_rewrites=features.rewrites,
        max_upload=1 << 30,
        export_occi=True,
    )


def _catalogue(features: ObjectFeatures) -> dict[str, dict[str, str]]:
    return {path: item.values for path, item in _objects(features).items()}


def test_the_embedded_store_lists_every_container_and_write() -> None:
    found = _catalogue(ObjectFeatures())
    assert set(found) == {
        "", "container/", "container/volumes/", "container/images/", "container/snapshots/",
        "dataobject/", "dataobject/image/", "dataobject/snapshot/",
    }  # fmt: skip
    assert found["dataobject/"]["cdmi_modify_value"] == "true"
    assert found["dataobject/"]["cdmi_modify_value_range"] == "true"


def test_openstack_lists_no_snapshots_and_no_writes_into_a_volume() -> None:
    found = _objects(OPENSTACK)
    assert set(found) == {
        "", "container/", "container/volumes/", "container/images/", "dataobject/",
        "dataobject/image/",
    }  # fmt: skip
    assert found["container/"].children == ("volumes/", "images/")
    assert found["dataobject/"].children == ("image/",)
    volume = found["dataobject/"].values
    assert "cdmi_modify_value" not in volume
    assert "cdmi_modify_value_range" not in volume
    assert volume["cdmi_read_value_range"] == "true"
    assert found["container/volumes/"].values["cdmi_create_dataobject"] == "true"
