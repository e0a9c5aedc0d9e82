"""An OVF 1.0 descriptor for one compute: its title, cores, memory, disks (streamOptimized VMDK
files of the package) and the networks its interfaces connect to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, register_namespace, tostring

OVF = "http://schemas.dmtf.org/ovf/envelope/1"
RASD = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
VSSD = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
STREAM_OPTIMIZED = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"
for _prefix, _uri in (("ovf", OVF), ("rasd", RASD), ("vssd", VSSD)):
    register_namespace(_prefix, _uri)


@dataclass(frozen=True, slots=True)
class ExportedDisk:
    href: str  # the VMDK's name in the package
    file_size: int
    capacity: int  # bytes the guest sees


@dataclass(frozen=True, slots=True)
class System:
    name: str
    cores: int
    memory_mib: int
    disks: tuple[ExportedDisk, ...]
    nics: tuple[str, ...]  # each interface's network name


def slug(title: str) -> str:
    """A file name from a title: letters, digits, dots, dashes."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", title).strip(".-")[:60] or "compute"


def _ovf(name: str) -> str:
    return f"{{{OVF}}}{name}"


def _rasd(item: Element, values: list[tuple[str, str]]) -> None:
    for name, value in sorted(values):  # CIM's schema orders them alphabetically
        SubElement(item, f"{{{RASD}}}{name}").text = value


def render(system: System) -> bytes:
    root = Element(_ovf("Envelope"), {_ovf("version"): "1.0"})
    references = SubElement(root, _ovf("References"))
    disks = SubElement(root, _ovf("DiskSection"))
    SubElement(disks, _ovf("Info")).text = "Virtual disk information"
    for number, disk in enumerate(system.disks, start=1):
        SubElement(
            references,
            _ovf("File"),
            {
                _ovf("href"): disk.href,
                _ovf("id"): f"file{number}",
                _ovf("size"): str(disk.file_size),
            },
        )
        SubElement(
            disks,
            _ovf("Disk"),
            {
                _ovf("capacity"): str(disk.capacity),
                _ovf("capacityAllocationUnits"): "byte",
                _ovf("diskId"): f"vmdisk{number}",
                _ovf("fileRef"): f"file{number}",
                _ovf("format"): STREAM_OPTIMIZED,
            },
        )
    networks = SubElement(root, _ovf("NetworkSection"))
    SubElement(networks, _ovf("Info")).text = "The logical networks the interfaces connect to"
    for name in dict.fromkeys(system.nics):
        network = SubElement(networks, _ovf("Network"), {_ovf("name"): name})
        SubElement(network, _ovf("Description")).text = f"The {name} network"
    _system(root, system)
    rendered: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return rendered


def _system(root: Element, system: System) -> None:
    virtual = SubElement(root, _ovf("VirtualSystem"), {_ovf("id"): slug(system.name)})
    SubElement(virtual, _ovf("Info")).text = "A virtual machine exported by occi-server"
    SubElement(virtual, _ovf("Name")).text = system.name
    os_section = SubElement(virtual, _ovf("OperatingSystemSection"), {_ovf("id"): "1"})
    SubElement(os_section, _ovf("Info")).text = "The guest operating system (not recorded)"
    hardware = SubElement(virtual, _ovf("VirtualHardwareSection"))
    SubElement(hardware, _ovf("Info")).text = "Virtual hardware requirements"
    family = SubElement(hardware, _ovf("System"))
    for name, value in (
        ("ElementName", "Virtual Hardware Family"),
        ("InstanceID", "0"),
        ("VirtualSystemIdentifier", system.name),
        ("VirtualSystemType", "vmx-07"),
    ):
        SubElement(family, f"{{{VSSD}}}{name}").text = value
    items: list[list[tuple[str, str]]] = [
        [
            ("AllocationUnits", "hertz * 10^6"),
            ("Description", "Number of virtual CPUs"),
            ("ElementName", f"{system.cores} virtual CPU(s)"),
            ("ResourceType", "3"),
            ("VirtualQuantity", str(system.cores)),
        ],
        [
            ("AllocationUnits", "byte * 2^20"),
            ("Description", "Memory size"),
            ("ElementName", f"{system.memory_mib} MB of memory"),
            ("ResourceType", "4"),
            ("VirtualQuantity", str(system.memory_mib)),
        ],
        [
            ("Address", "0"),
            ("ElementName", "SCSI controller 0"),
            ("ResourceSubType", "lsilogic"),
            ("ResourceType", "6"),
        ],
    ]
    controller = "3"
    for number, _disk in enumerate(system.disks, start=1):
        items.append(
            [
                ("AddressOnParent", str(number - 1)),
                ("ElementName", f"Hard disk {number}"),
                ("HostResource", f"ovf:/disk/vmdisk{number}"),
                ("Parent", controller),
                ("ResourceType", "17"),
            ]
        )
    for number, network in enumerate(system.nics, start=1):
        items.append(
            [
                ("AutomaticAllocation", "true"),
                ("Connection", network),
                ("ElementName", f"Ethernet adapter {number}"),
                ("ResourceSubType", "E1000"),
                ("ResourceType", "10"),
            ]
        )
    for instance, values in enumerate(items, start=1):
        _rasd(SubElement(hardware, _ovf("Item")), [*values, ("InstanceID", str(instance))])
