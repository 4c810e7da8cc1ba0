"""The vault: every file received, stored once under its SHA-256 and made read-only.

Files are streamed in (never read whole), hashed while they are copied to a temporary name
inside the case, fsynced, renamed into ``vault/ab/cd/<sha256>`` and made read-only. Adding the
same bytes again stores nothing new. ``verify`` re-hashes what is there.

``add``/``add_stream`` may run in several threads at once (the importer overlaps one file's
fsync with the next file's reading): the copy, hash and fsync run unlocked, and only the
check-and-rename into place is serialised so two copies of the same bytes count as one new.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .progress import CancelToken, ProgressCallback, check, report

CHUNK = 1 << 20


@dataclass(frozen=True)
class VaultEntry:
    sha256: str
    size: int
    new: bool


@dataclass
class VaultReport:
    checked: int = 0
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    misplaced: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.misplaced)


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Vault:
    def __init__(self, root: Path, tmp_dir: Path) -> None:
        self.root = root
        self.tmp_dir = tmp_dir
        self._placing = threading.Lock()

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def contains(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def add(self, path: Path) -> VaultEntry:
        with open(path, "rb") as src:
            return self.add_stream(src)

    def add_bytes(self, data: bytes) -> VaultEntry:
        import io

        return self.add_stream(io.BytesIO(data))

    def add_stream(self, src: BinaryIO, max_bytes: int | None = None) -> VaultEntry:
        """Copy a stream into the vault. ``max_bytes`` stops a stream that runs on too long
        (a member of a hostile archive); the partial copy is removed and ValueError raised."""
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.tmp_dir / f"vault-{uuid.uuid4().hex}.part"
        digest = hashlib.sha256()
        size = 0
        try:
            with open(tmp, "xb") as out:
                while chunk := src.read(CHUNK):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise ValueError(f"the file is larger than the limit of {max_bytes} bytes")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            target = self.path_for(sha)
            with self._placing:
                if target.exists():
                    tmp.unlink()
                    return VaultEntry(sha, size, new=False)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
                os.replace(tmp, target)
            _fsync_dir(target.parent)
            return VaultEntry(sha, size, new=True)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def stored(self) -> Iterable[Path]:
        if not self.root.exists():
            return []
        return (p for p in self.root.glob("??/??/*") if p.is_file())

    def verify(
        self,
        expected: Iterable[str] = (),
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> VaultReport:
        """Re-hash every stored file; report changed, misplaced and ``expected`` but missing."""
        result = VaultReport()
        files = sorted(self.stored())
        present = set()
        for n, path in enumerate(files):
            check(cancel)
            name = path.name
            present.add(name)
            if path.parent != self.path_for(name).parent:
                result.misplaced.append(name)
            digest = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(CHUNK):
                    digest.update(chunk)
            if digest.hexdigest() != name:
                result.changed.append(name)
            result.checked += 1
            report(progress, n + 1, len(files), "Checking the vault")
        result.missing = sorted(set(expected) - present)
        return result
