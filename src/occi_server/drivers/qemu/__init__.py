"""The QEMU hypervisor driver ([cloud] hypervisor = "qemu"): real guests driven over QMP."""

from occi_server.drivers.qemu.driver import ImageFile, QemuHypervisor

__all__ = ["ImageFile", "QemuHypervisor"]
