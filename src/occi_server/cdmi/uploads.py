"""Uploads in progress: bytes received for an object that does not exist yet.

A one-shot upload is received into a fresh file and handed to the store whole. A resumable one
(`X-CDMI-Partial: true`, CDMI 1.1.1 §8.2/§8.6) keeps its file here between requests, named by a
digest of project, container and object name with a sidecar holding the real names; the object
exists for OCCI only once the request without `X-CDMI-Partial` completes it. Files live on disk
(every worker process sees them) and are dropped after `expiry` seconds without a write.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Partial:
    container: str
    name: str
    mimetype: str
    path: Path  # the bytes received so far (holes where nothing was written yet)

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


class Uploads:
    def __init__(
        self, directory: str | Path, expiry: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.directory = Path(directory)
        self.expiry = expiry
        self.clock = clock

    def incoming(self) -> Path:
        """A new file name for a one-shot upload (the caller creates and removes it)."""
        return self.directory / f"incoming-{secrets.token_hex(12)}"

    def _folder(self, project: str, container: str) -> Path:
        return self.directory / "partial" / _digest(project) / container

    def find(self, project: str, container: str, name: str) -> Partial | None:
        data = self._folder(project, container) / _digest(name)
        return self._load(data, container)

    def listing(self, project: str, container: str) -> list[Partial]:
        folder = self._folder(project, container)
        if not folder.is_dir():
            return []
        found = (self._load(p, container) for p in sorted(folder.iterdir()) if not p.suffix)
        return [p for p in found if p is not None]

    def _load(self, data: Path, container: str) -> Partial | None:
        try:
            sidecar = json.loads(data.with_suffix(".json").read_text())
            if self.clock() - data.stat().st_mtime > self.expiry:
                self._remove(data)
                return None
        except (OSError, ValueError):
            return None
        return Partial(container, str(sidecar["name"]), str(sidecar["mimetype"]), data)

    def begin(self, project: str, container: str, name: str, mimetype: str) -> Partial:
        self.sweep()
        folder = self._folder(project, container)
        folder.mkdir(parents=True, exist_ok=True)
        data = folder / _digest(name)
        data.touch()
        data.with_suffix(".json").write_text(json.dumps({"name": name, "mimetype": mimetype}))
        return Partial(container, name, mimetype, data)

    def sweep(self) -> None:
        """Drop every upload not continued within `expiry` (run as each new one begins)."""
        for sidecar in (self.directory / "partial").glob("*/*/*.json"):
            data = sidecar.with_suffix("")
            try:
                idle = self.clock() - data.stat().st_mtime
            except OSError:
                idle = self.expiry + 1  # a sidecar without its data
            if idle > self.expiry:
                self._remove(data)

    def discard(self, partial: Partial) -> None:
        self._remove(partial.path)

    def _remove(self, data: Path) -> None:
        for path in (data, data.with_suffix(".json")):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)

    def take(self, partial: Partial) -> Path:
        """The completed upload's file, moved out of the partial area (the caller owns it)."""
        target = self.incoming()
        os.replace(partial.path, target)
        self._remove(partial.path)
        return target
