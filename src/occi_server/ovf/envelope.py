"""The OVF descriptor (DSP0243 1.x and 2.x) read into an `Appliance`: what a compute needs.

Elements are matched by local name and attributes with or without the `ovf:` prefix, because
producers differ (VirtualBox writes OVF 2.0 `StorageItem`/`EthernetPortItem` in their own CIM
namespaces; ovftool writes 1.x `Item`s). The XML is parsed with defusedxml: a DTD or an entity
declaration is refused before anything expands.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from occi_server.ovf import units
from occi_server.ovf.errors import EnvelopeError

NAMESPACES = {
    "http://schemas.dmtf.org/ovf/envelope/1": "1",
    "http://schemas.dmtf.org/ovf/envelope/2": "2",
}
OLD_NAMESPACE = "http://www.vmware.com/schema/ovf/1/envelope"  # OVF 0.9
CPU, MEMORY, DISK, NIC = "3", "4", "17", "10"
HARDWARE_ITEMS = ("Item", "StorageItem", "EthernetPortItem")
MAX_DISKS, MAX_NICS, MAX_PROPERTIES = 24, 32, 256  # disks: vdb to vdy
MIB = 1 << 20


@dataclass(frozen=True, slots=True)
class File:
    href: str  # its path inside the package
    size: int | None


@dataclass(frozen=True, slots=True)
class Disk:
    disk_id: str
    capacity: int  # bytes the guest sees
    file: str | None  # the href of its image; None: a blank disk of that capacity
    format: str | None  # vmdk, qcow2 or raw from ovf:format; None: not said


@dataclass(frozen=True, slots=True)
class Appliance:
    version: str  # "1" or "2"
    name: str
    cores: int | None
    memory: int | None  # bytes
    disks: tuple[Disk, ...]  # in the order of the hardware section
    networks: tuple[str, ...]  # NetworkSection's names
    nics: tuple[str | None, ...]  # the network each NIC connects to
    properties: tuple[tuple[str, str], ...]  # ProductSection's, keys qualified by class
    files: tuple[File, ...]


def parse(data: bytes) -> Appliance:
    """The appliance `data` (an .ovf file's bytes) describes; EnvelopeError saying what is
    wrong or unsupported."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise EnvelopeError(f"the descriptor is refused: {type(error).__name__}") from error
    except ParseError as error:
        raise EnvelopeError(f"the descriptor is not well-formed XML: {error}") from error
    namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", "")
    if local != "Envelope":
        raise EnvelopeError("the descriptor's root element is not an OVF Envelope")
    if namespace == OLD_NAMESPACE:
        raise EnvelopeError("OVF 0.9 descriptors are not supported (OVF 1.x and 2.x are)")
    version = NAMESPACES.get(namespace)
    if version is None:
        raise EnvelopeError(f"envelope namespace {namespace[:80]} is not OVF 1.x or 2.x")
    return _Reader(root, namespace, version).appliance()


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _children(element: Element, name: str) -> Iterator[Element]:
    return (child for child in element if _local(child.tag) == name)


def _child(element: Element, name: str) -> Element | None:
    return next(_children(element, name), None)


def _text(element: Element, name: str) -> str | None:
    found = _child(element, name)
    return None if found is None or found.text is None else found.text.strip()


class _Reader:
    def __init__(self, root: Element, namespace: str, version: str) -> None:
        self.root = root
        self.ns = namespace
        self.version = version

    def attr(self, element: Element, name: str) -> str | None:
        """`ovf:name`, or a plain `name` as some producers write it."""
        value = element.get(f"{{{self.ns}}}{name}")
        return value if value is not None else element.get(name)

    def appliance(self) -> Appliance:
        files = self.files()
        disks = self.disks(files)
        system = self.system()
        hardware = _child(system, "VirtualHardwareSection")
        if hardware is None:
            raise EnvelopeError("the VirtualSystem has no VirtualHardwareSection")
        cores, memory, order, nics = self.hardware(hardware)
        return Appliance(
            version=self.version,
            name=self.name(system),
            cores=cores,
            memory=memory,
            disks=_ordered(disks, order),
            networks=self.networks(),
            nics=tuple(nics),
            properties=self.properties(system),
            files=tuple(files.values()),
        )

    def files(self) -> dict[str, File]:
        found: dict[str, File] = {}
        references = _child(self.root, "References")
        for element in references if references is not None else ():
            if _local(element.tag) != "File":
                continue
            file_id, href = self.attr(element, "id"), self.attr(element, "href")
            if not file_id or not href:
                raise EnvelopeError("a References/File lacks ovf:id or ovf:href")
            compression = self.attr(element, "compression")
            if compression not in (None, "", "identity"):
                raise EnvelopeError(
                    f"file {href[:80]}: ovf:compression={compression[:20]} is not supported; "
                    "pack the disk uncompressed"
                )
            if self.attr(element, "chunkSize"):
                raise EnvelopeError(f"file {href[:80]}: chunked files are not supported")
            size = self.attr(element, "size")
            found[file_id] = File(href, int(size) if size and size.isdigit() else None)
        return found

    def disks(self, files: dict[str, File]) -> dict[str, Disk]:
        section = _child(self.root, "DiskSection")
        found: dict[str, Disk] = {}
        for element in _children(section, "Disk") if section is not None else ():
            disk_id = self.attr(element, "diskId")
            if not disk_id:
                raise EnvelopeError("a DiskSection/Disk lacks ovf:diskId")
            what = f"disk {disk_id[:80]}"
            capacity = units.quantity(
                self.attr(element, "capacity"),
                self.attr(element, "capacityAllocationUnits"),
                1,
                what + " capacity",
            )
            ref = self.attr(element, "fileRef")
            if ref and ref not in files:
                raise EnvelopeError(f"{what} refers to file {ref[:80]}, which References lacks")
            found[disk_id] = Disk(
                disk_id, capacity, files[ref].href if ref else None, _format(element, self)
            )
        if len(found) > MAX_DISKS:
            raise EnvelopeError(f"{len(found)} disks; at most {MAX_DISKS} are imported")
        return found

    def system(self) -> Element:
        if _child(self.root, "VirtualSystemCollection") is not None:
            raise EnvelopeError("a VirtualSystemCollection is not supported; one VirtualSystem is")
        systems = list(_children(self.root, "VirtualSystem"))
        if len(systems) != 1:
            raise EnvelopeError(f"the envelope holds {len(systems)} VirtualSystems, not one")
        return systems[0]

    def name(self, system: Element) -> str:
        return _text(system, "Name") or self.attr(system, "id") or "appliance"

    def hardware(
        self, section: Element
    ) -> tuple[int | None, int | None, list[str], list[str | None]]:
        chosen = self.configuration()
        cores: int | None = None
        memory: int | None = None
        order: list[str] = []
        nics: list[str | None] = []
        for item in section:
            if _local(item.tag) not in HARDWARE_ITEMS or not self.applies(item, chosen):
                continue
            kind = _text(item, "ResourceType")
            instance = _text(item, "InstanceID") or "?"
            if kind == CPU:
                cores = int(units.quantity(_text(item, "VirtualQuantity"), None, 1, "CPU item"))
                if cores < 1:
                    raise EnvelopeError(f"item {instance}: 0 virtual CPUs")
            elif kind == MEMORY:
                memory = units.quantity(
                    _text(item, "VirtualQuantity"),
                    _text(item, "AllocationUnits"),
                    MIB,  # as ovftool and virt-v2v: memory without units is in MiB
                    f"memory item {instance}",
                )
            elif kind == DISK:
                order.append(_disk_reference(_text(item, "HostResource"), instance))
            elif kind == NIC:
                nics.append(_text(item, "Connection") or None)
        if len(nics) > MAX_NICS:
            raise EnvelopeError(f"{len(nics)} network adapters; at most {MAX_NICS}")
        return cores, memory, order, nics

    def configuration(self) -> str | None:
        """The deployment option items are chosen for: the default one, else the first."""
        section = _child(self.root, "DeploymentOptionSection")
        options = list(_children(section, "Configuration")) if section is not None else []
        default = next((o for o in options if self.attr(o, "default") == "true"), None)
        chosen = default if default is not None else (options[0] if options else None)
        return None if chosen is None else self.attr(chosen, "id")

    def applies(self, item: Element, chosen: str | None) -> bool:
        names = self.attr(item, "configuration")
        return not names or chosen in names.split()

    def networks(self) -> tuple[str, ...]:
        section = _child(self.root, "NetworkSection")
        found = _children(section, "Network") if section is not None else iter(())
        names = [self.attr(n, "name") for n in found]
        return tuple(n for n in names if n)

    def properties(self, system: Element) -> tuple[tuple[str, str], ...]:
        found: list[tuple[str, str]] = []
        for product in _children(system, "ProductSection"):
            prefix = self.attr(product, "class")
            for prop in _children(product, "Property"):
                key = self.attr(prop, "key")
                if not key:
                    continue
                value = self.attr(prop, "value")
                if value is None:
                    inner = _child(prop, "Value")
                    value = self.attr(inner, "value") if inner is not None else ""
                found.append((f"{prefix}.{key}" if prefix else key, value or ""))
        if len(found) > MAX_PROPERTIES:
            raise EnvelopeError(f"{len(found)} properties; at most {MAX_PROPERTIES}")
        return tuple(found)


# ovf:format URIs and the qemu-img format each names.
_FORMATS = (("vmdk", "vmdk"), ("qcow", "qcow2"), ("raw", "raw"))


def _format(element: Element, reader: _Reader) -> str | None:
    uri = (reader.attr(element, "format") or "").lower()
    return next((fmt for marker, fmt in _FORMATS if marker in uri), None)


def _disk_reference(resource: str | None, instance: str) -> str:
    """`ovf:/disk/<id>` (or `/disk/<id>`, as VirtualBox writes it) -> `<id>`."""
    value = (resource or "").strip()
    for prefix in ("ovf:/disk/", "/disk/"):
        if value.startswith(prefix) and len(value) > len(prefix):
            return value[len(prefix) :]
    raise EnvelopeError(
        f"disk item {instance}: HostResource {value[:80]!r} does not name a DiskSection disk"
    )


def _ordered(disks: dict[str, Disk], order: list[str]) -> tuple[Disk, ...]:
    """The disks as the hardware section attaches them; unattached ones after them."""
    seen: list[Disk] = []
    for disk_id in order:
        disk = disks.get(disk_id)
        if disk is None:
            raise EnvelopeError(f"a disk item names disk {disk_id[:80]}, which DiskSection lacks")
        if disk in seen:
            raise EnvelopeError(f"disk {disk_id[:80]} is attached twice")
        seen.append(disk)
    return (*seen, *(d for d in disks.values() if d not in seen))
