"""What can be wrong with a package: each error's message names the culprit."""

from __future__ import annotations


class PackageError(Exception):
    """The package cannot be imported (its message says why, for the job's rendering)."""


class EnvelopeError(PackageError):
    """The .ovf descriptor is malformed or asks for what this server does not do."""


class ManifestError(PackageError):
    """The manifest is malformed or a file's digest does not match it."""
