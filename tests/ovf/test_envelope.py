"""The descriptor parser on the third-party fixtures and on hostile XML (no server)."""

from __future__ import annotations

import pytest

from occi_server.ovf import envelope
from occi_server.ovf.errors import EnvelopeError
from tests.ovf.builders import COT, V2V

GIB, MIB = 1 << 30, 1 << 20


def parse(path: object) -> envelope.Appliance:
    return envelope.parse(path.read_bytes())  # type: ignore[attr-defined]


def test_virtualbox_2_0_storage_and_ethernet_port_items_with_megabytes() -> None:
    found = parse(COT / "ubuntu.2.0.ovf")
    assert (found.version, found.name, found.cores, found.memory) == ("2", "ubuntu", 1, 512 * MIB)
    assert [(d.disk_id, d.capacity, d.file, d.format) for d in found.disks] == [
        ("vmdisk1", 8 * GIB, "ubuntu.2.0-disk1.vmdk", "vmdk")
    ]
    assert found.networks == ("NAT",) and found.nics == ("NAT",)


def test_ovftool_1_x_units_nics_and_product_properties() -> None:
    found = parse(COT / "vmware.ovf")
    assert (found.cores, found.memory) == (2, 1536 * MIB)
    assert found.disks[0].capacity == GIB  # capacity 1 with capacityAllocationUnits byte * 2^30
    assert found.nics == ("lanethernet0",) * 4
    assert found.properties == (("custom-property", "custom-value"),)


def test_deployment_options_choose_the_default_configuration() -> None:
    found = parse(COT / "csr1000v.ovf")
    assert (found.cores, found.memory) == (1, 4 * GIB)  # the "1CPU-4GB" default profile
    assert len(found.nics) == 3


def test_disk_without_file_is_a_blank_disk_in_hardware_order() -> None:
    found = parse(COT / "iosv.ovf")
    assert [(d.disk_id, d.capacity, d.file) for d in found.disks] == [
        ("vios-adventerprisek9-m.vmdk", GIB, "input.vmdk"),
        ("flash2", 128 * MIB, None),
    ]


def test_minimal_envelope_has_no_hardware() -> None:
    found = parse(COT / "minimal.ovf")
    assert (found.name, found.cores, found.memory, found.disks, found.nics) == (
        "x",
        None,
        None,
        (),
        (),
    )


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        (COT / "invalid.ovf", "disk flash2 refers to file flash2, which References lacks"),
        (COT / "ersatz_ovf_3.0.ovf", "envelope/3 is not OVF 1.x or 2.x"),
        (COT / "v0.9.ovf", "OVF 0.9 descriptors are not supported"),
        (V2V / "test-i-ova-gz.ovf", "ovf:compression=gzip is not supported"),
    ],
)
def test_unsupported_or_invalid_fixtures_name_their_reason(fixture: object, reason: str) -> None:
    with pytest.raises(EnvelopeError, match=reason):
        parse(fixture)


def test_virt_v2v_fixtures_parse_with_units() -> None:
    found = parse(V2V / "test-i-ova-two-disks.ovf")
    assert [d.capacity for d in found.disks] == [50 * GIB, 450 * GIB]
    assert found.memory == GIB and found.networks == ("PG-VLAN60",)


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"><References>&lol2;</References>
</Envelope>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY file SYSTEM "file:///etc/passwd">]>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1">&file;</Envelope>"""


@pytest.mark.parametrize("document", [BOMB, XXE], ids=["entity-bomb", "external-entity"])
def test_dtds_and_entities_are_refused_before_expansion(document: bytes) -> None:
    with pytest.raises(EnvelopeError, match="refused: DTDForbidden"):
        envelope.parse(document)


def test_attributes_without_the_ovf_prefix_and_bare_disk_references() -> None:
    document = b"""<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
      xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
      <References><File href="a.vmdk" id="f"/></References>
      <DiskSection><Disk diskId="d" fileRef="f" capacity="3" capacityAllocationUnits="byte*2^20"/>
      </DiskSection>
      <VirtualSystem id="bare"><VirtualHardwareSection>
        <Item><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity>
          <rasd:AllocationUnits>GigaBytes</rasd:AllocationUnits></Item>
        <Item><rasd:ResourceType>17</rasd:ResourceType><rasd:HostResource>/disk/d</rasd:HostResource></Item>
      </VirtualHardwareSection></VirtualSystem></Envelope>"""
    found = envelope.parse(document)
    assert (found.name, found.memory, found.disks[0].capacity) == ("bare", 2 * GIB, 3 * MIB)


@pytest.mark.parametrize(
    ("units", "reason"),
    [("hertz * 10^6", "not a byte unit"), ("byte * 2^-3", "below one byte")],
)
def test_memory_in_units_that_are_not_bytes_is_refused(units: str, reason: str) -> None:
    document = f"""<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/2"
      xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
      <VirtualSystem id="v"><VirtualHardwareSection><Item>
        <rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity>
        <rasd:AllocationUnits>{units}</rasd:AllocationUnits></Item>
      </VirtualHardwareSection></VirtualSystem></Envelope>""".encode()
    with pytest.raises(EnvelopeError, match=reason):
        envelope.parse(document)
