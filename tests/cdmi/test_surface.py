"""CDMI at /cdmi/ against the real server process, following the specification's examples:
capabilities, containers, data objects by CDMI JSON and by plain HTTP, ranges, resumable
uploads, access by object ID; and the same objects through OCCI."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable

import httpx

from tests.cdmi.conftest import CAPABILITY, CONTAINER, OBJECT, VERSION, Cdmi
from tests.support.server import ServerProcess

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
STORAGE = f'storage; scheme="{INFRA}"; class="kind"'


def test_capabilities_list_what_works(cdmi: Cdmi) -> None:
    system = cdmi.cdmi_get("/cdmi/cdmi_capabilities/", CAPABILITY)
    assert system["objectType"] == CAPABILITY
    assert system["children"] == ["container/", "dataobject/"]
    for name in ("cdmi_dataobjects", "cdmi_object_access_by_ID", "cdmi_size"):
        assert system["capabilities"][name] == "true"
    volume = cdmi.cdmi_get("/cdmi/cdmi_capabilities/dataobject/", CAPABILITY)["capabilities"]
    assert volume["cdmi_read_value_range"] == volume["cdmi_modify_value_range"] == "true"
    image = cdmi.cdmi_get("/cdmi/cdmi_capabilities/dataobject/image/", CAPABILITY)
    assert "cdmi_modify_value" not in image["capabilities"]  # images do not change
    snapshots = cdmi.cdmi_get("/cdmi/cdmi_capabilities/container/snapshots/", CAPABILITY)
    assert "cdmi_create_dataobject" not in snapshots["capabilities"]
    exports = cdmi.cdmi_get("/cdmi/cdmi_capabilities/container/volumes/", CAPABILITY)
    assert exports["capabilities"]["cdmi_export_container_occi"] == "true"


def test_the_project_container_holds_volumes_images_and_snapshots(cdmi: Cdmi) -> None:
    project = cdmi.cdmi_get(f"/cdmi/{cdmi.project}/", CONTAINER)
    assert project["children"] == ["volumes/", "images/", "snapshots/"]
    volumes = cdmi.cdmi_get(cdmi.path("volumes"), CONTAINER)
    assert (volumes["objectName"], volumes["parentURI"]) == ("volumes/", f"/{cdmi.project}/")
    assert volumes["parentID"] == project["objectID"]
    assert volumes["children"] == [] and volumes["completionStatus"] == "Complete"
    response = cdmi.http.get(cdmi.path("volumes"), headers={"Accept": CONTAINER})
    assert "x-cdmi-specification-version" not in response.headers  # a 2.x client sent none


def test_a_data_object_created_by_cdmi_json_reads_back_as_the_example_does(cdmi: Cdmi) -> None:
    # CDMI 1.1.1 §8.2 example 1, into volumes/: the value becomes a volume's bytes.
    value = "This is the Value of this Data Object"
    created = cdmi.cdmi_put(
        cdmi.path("volumes", "MyDataObject"), {"mimetype": "text/plain", "value": value}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["objectType"] == OBJECT and body["objectName"] == "MyDataObject"
    assert body["parentURI"] == f"/{cdmi.project}/volumes/"
    assert body["metadata"]["cdmi_size"] == "37"
    read = cdmi.cdmi_get(cdmi.path("volumes", "MyDataObject"))
    assert (read["value"], read["valuetransferencoding"]) == (value, "utf-8")
    part = cdmi.cdmi_get(cdmi.path("volumes", "MyDataObject") + "?value:21-24")
    assert (part["value"], part["valuerange"]) == ("this", "21-24")
    assert cdmi.get(cdmi.path("volumes", "MyDataObject")).content == value.encode()


def test_plain_put_and_ranged_get_of_binary_bytes(cdmi: Cdmi) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    put = cdmi.put(
        cdmi.path("volumes", "blob"), data, **{"Content-Type": "application/octet-stream"}
    )
    assert put.status_code == 201, put.text
    assert cdmi.get(cdmi.path("volumes", "blob")).content == data
    ranged = cdmi.get(cdmi.path("volumes", "blob"), Range="bytes=1048570-1048589")
    assert ranged.status_code == 206
    assert ranged.headers["content-range"] == f"bytes 1048570-1048589/{len(data)}"
    assert ranged.content == data[1048570:1048590]
    past = cdmi.get(cdmi.path("volumes", "blob"), Range=f"bytes={len(data)}-")
    assert past.status_code == 416
    # CDMI JSON carries binary values in base64.
    head = cdmi.cdmi_get(cdmi.path("volumes", "blob") + "?value:0-99")
    assert head["valuetransferencoding"] == "base64"
    assert base64.b64decode(head["value"]) == data[:100]


def test_a_ranged_write_changes_those_bytes_of_the_volume(cdmi: Cdmi) -> None:
    # CDMI 2.0 http_data_object update, example 2: four bytes within the value.
    path = cdmi.path("volumes", "text")
    assert cdmi.put(path, b"This is the value of this data object").status_code == 201
    changed = cdmi.put(path, b"that", **{"Content-Range": "bytes 21-24/37"})
    assert changed.status_code == 204, changed.text
    assert cdmi.get(path).content == b"This is the value of that data object"
    shrink = cdmi.put(path, b"short")
    assert shrink.status_code == 409 and "shrink" in shrink.text


def test_a_resumable_upload_is_invisible_to_occi_until_its_last_part(cdmi: Cdmi) -> None:
    path = cdmi.path("volumes", "resumed")
    first = cdmi.put(path, b"Hello ", **{"X-CDMI-Partial": "true", "Content-Range": "bytes 0-5/11"})
    assert first.status_code == 201, first.text
    assert cdmi.occi("GET", "/storage/resumed").status_code == 404
    status = cdmi.cdmi_get(path)
    assert status["completionStatus"] == "Processing" and "value" not in status
    assert cdmi.get(path).status_code == 409  # no value while Processing
    last = cdmi.put(path, b"World", **{"Content-Range": "bytes 6-10/11"})
    assert last.status_code == 201, last.text
    assert cdmi.get(path).content == b"Hello World"
    assert cdmi.cdmi_get(path)["completionStatus"] == "Complete"
    storage = cdmi.occi("GET", "/storage/resumed").json()
    assert storage["attributes"]["occi.storage.size"] * 2**30 == 11


def test_a_discarded_resumable_upload_leaves_nothing(cdmi: Cdmi) -> None:
    path = cdmi.path("volumes", "dropped")
    assert cdmi.put(path, b"abc", **{"X-CDMI-Partial": "true"}).status_code == 201
    assert "dropped" in cdmi.cdmi_get(cdmi.path("volumes"), CONTAINER)["children"]
    assert cdmi.http.delete(path).status_code == 204
    assert cdmi.get(path).status_code == 404
    assert "dropped" not in cdmi.cdmi_get(cdmi.path("volumes"), CONTAINER)["children"]


def test_an_occi_volume_reads_through_cdmi_and_a_cdmi_delete_removes_it(cdmi: Cdmi) -> None:
    created = cdmi.http.post(
        "/storage/",
        headers={
            "Content-Type": "text/occi",
            "Category": STORAGE,
            "X-OCCI-Attribute": 'occi.core.id="fromocci", occi.storage.size=0.001',
        },
    )
    assert created.status_code == 201, created.text
    read = cdmi.get(cdmi.path("volumes", "fromocci"))
    assert read.status_code == 200 and len(read.content) == round(0.001 * 2**30)
    assert read.content.count(0) == len(read.content)  # a new volume reads as zeros
    metadata = cdmi.cdmi_get(cdmi.path("volumes", "fromocci") + "?metadata")["metadata"]
    assert metadata["org.ogf.occi.location"] == cdmi.url + "/storage/fromocci"
    assert metadata["occi.storage.state"] == "online"
    assert cdmi.http.delete(cdmi.path("volumes", "fromocci")).status_code == 204
    assert cdmi.occi("GET", "/storage/fromocci").status_code == 404


def test_an_attached_volume_is_409_until_offline_and_its_compute_is_exported(cdmi: Cdmi) -> None:
    assert cdmi.put(cdmi.path("volumes", "disk"), b"x" * 4096).status_code == 201
    compute = cdmi.http.post(
        "/compute/",
        headers={
            "Content-Type": "text/occi",
            "Category": f'compute; scheme="{INFRA}"; class="kind"',
            "X-OCCI-Attribute": 'occi.core.id="vm"',
            "Link": f'</storage/disk>; rel="{INFRA}storage"; category="{INFRA}storagelink"',
        },
    )
    assert compute.status_code == 201, compute.text
    refused = cdmi.get(cdmi.path("volumes", "disk"))
    assert refused.status_code == 409 and "/compute/vm" in refused.text
    assert (
        cdmi.put(cdmi.path("volumes", "disk"), b"y", **{"Content-Range": "bytes 0-0/*"}).status_code
        == 409
    )
    exports = cdmi.cdmi_get(cdmi.path("volumes"), CONTAINER)["exports"]["OCCI/iSCSI"]
    assert exports["permissions"] == [cdmi.url + "/compute/vm"]
    offline = cdmi.http.post(
        "/storage/disk?action=offline",
        headers={
            "Content-Type": "text/occi",
            "Category": f'offline; scheme="{INFRA[:-1]}/storage/action#"; class="action"',
        },
    )
    assert offline.status_code == 200, offline.text
    assert cdmi.get(cdmi.path("volumes", "disk")).content == b"x" * 4096


def test_a_snapshot_reads_while_its_volume_is_in_use(cdmi: Cdmi) -> None:
    assert cdmi.put(cdmi.path("volumes", "orig"), b"before").status_code == 201
    snap = cdmi.http.post(
        "/storage/orig?action=snapshot",
        headers={
            "Content-Type": "text/occi",
            "Category": f'snapshot; scheme="{INFRA[:-1]}/storage/action#"; class="action"',
        },
    )
    assert snap.status_code == 200, snap.text
    assert cdmi.put(cdmi.path("volumes", "orig"), b"after!").status_code == 204
    assert cdmi.cdmi_get(cdmi.path("snapshots"), CONTAINER)["children"] == ["orig@snapshot"]
    assert cdmi.get(cdmi.path("snapshots", "orig@snapshot")).content == b"before"
    refused = cdmi.put(cdmi.path("snapshots", "new"), b"x")
    assert refused.status_code == 400 and "snapshot action" in refused.text


def test_objects_and_containers_are_reachable_by_object_id(cdmi: Cdmi) -> None:
    assert cdmi.put(cdmi.path("volumes", "byid"), b"by id").status_code == 201
    object_id = cdmi.cdmi_get(cdmi.path("volumes", "byid") + "?objectID")["objectID"]
    assert cdmi.get(f"/cdmi/cdmi_objectid/{object_id}").content == b"by id"
    assert cdmi.get(f"/cdmi/cdmi_objectid/{object_id.lower()}").content == b"by id"
    container_id = cdmi.cdmi_get(cdmi.path("volumes"), CONTAINER)["objectID"]
    listed = cdmi.cdmi_get(f"/cdmi/cdmi_objectid/{container_id}/", CONTAINER)
    assert listed["children"] == ["byid"]
    bad_crc = object_id[:-1] + ("0" if object_id[-1] != "0" else "1")
    assert cdmi.get(f"/cdmi/cdmi_objectid/{bad_crc}").status_code == 404


def test_another_project_sees_none_of_it(
    server: ServerProcess, cdmi: Cdmi, tokens: Callable[[str], str]
) -> None:
    assert cdmi.put(cdmi.path("volumes", "mine"), b"secret").status_code == 201
    object_id = cdmi.cdmi_get(cdmi.path("volumes", "mine") + "?objectID")["objectID"]
    other = Cdmi(server.url, tokens("cdmi-other"))
    assert other.get(cdmi.path("volumes", "mine")).status_code == 404
    assert other.get(f"/cdmi/cdmi_objectid/{object_id}").status_code == 404
    assert other.http.delete(cdmi.path("volumes", "mine")).status_code == 404
    assert cdmi.get(cdmi.path("volumes", "mine")).content == b"secret"


def test_credentials_version_and_methods_are_checked(server: ServerProcess, cdmi: Cdmi) -> None:
    anonymous = httpx.get(server.url + "/cdmi/")
    assert anonymous.status_code == 401 and "www-authenticate" in anonymous.headers
    echoed = cdmi.http.get("/cdmi/", headers=VERSION)
    assert echoed.headers["x-cdmi-specification-version"] == "1.1.1"
    refused = cdmi.http.get("/cdmi/", headers={"X-CDMI-Specification-Version": "3.0"})
    assert refused.status_code == 400 and "X-CDMI-Specification-Version" in refused.text
    put_container = cdmi.put(cdmi.path("volumes"), b"")
    assert put_container.status_code == 405 and put_container.headers["allow"] == "GET, HEAD"
    assert cdmi.get(cdmi.path("nothing")).status_code == 404
    copy = cdmi.cdmi_put(cdmi.path("volumes", "c"), {"copy": "/elsewhere"})
    assert copy.status_code == 400 and "copy" in copy.text


def test_the_occi_rendering_of_a_storage_names_its_cdmi_object(cdmi: Cdmi) -> None:
    assert cdmi.put(cdmi.path("volumes", "linked"), b"linked bytes").status_code == 201
    storage = cdmi.occi("GET", "/storage/linked").json()
    where = storage["attributes"]["org.snia.cdmi.location"]
    assert where == cdmi.url + cdmi.path("volumes", "linked")
    assert httpx.get(where, headers={"X-Auth-Token": cdmi.token}).content == b"linked bytes"
