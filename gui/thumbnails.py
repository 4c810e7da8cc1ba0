"""Thumbnails and previews of vault images, made off the GUI thread and cached as files.

``ThumbnailLoader.request(sha256, size, blurred)`` returns a ``QPixmap`` at once when it has one
and otherwise queues the work on its own ``QThreadPool``; ``ready(sha256, size, blurred)`` is
emitted (on the GUI thread) when it has been made. A worker reads the original from the vault
with Pillow, writes a PNG into ``cache/thumbs/`` (so the next session does not decode the
original again) and hands back a ``QImage``; the ``QPixmap`` is made only on the GUI thread.
The cache is derived: deleting it loses nothing.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from pathlib import Path

from PIL import Image, ImageFilter, ImageOps
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtGui import QImage, QPixmap

from evidence.atomic import write_atomic

with contextlib.suppress(ImportError):  # HEIC photos from phones, when pillow-heif is present
    import pillow_heif

    pillow_heif.register_heif_opener()

THUMB_SIZE = 192
PREVIEW_SIZE = 2400
MEMORY_PIXMAPS = 400  # about 60 MB of 192-pixel thumbnails
MEMORY_PREVIEWS = 4


def cache_path(cache_dir: Path, sha256: str, size: int, blurred: bool) -> Path:
    suffix = "-safe" if blurred else ""
    return cache_dir / "thumbs" / sha256[:2] / f"{sha256}-{size}{suffix}.png"


def make_thumbnail(source: Path, dest: Path, size: int, blurred: bool) -> None:
    """Scale ``source`` to fit ``size`` pixels (blurred for the safe view) and save it as PNG."""
    with Image.open(source) as img:
        img.draft("RGB", (size, size))  # JPEG decodes at a reduced scale: much faster
        img = ImageOps.exif_transpose(img)
        img.thumbnail((size, size), Image.Resampling.LANCZOS)
        if img.mode not in ("RGB", "RGBA"):
            img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
        if blurred:
            img = img.filter(ImageFilter.GaussianBlur(max(4, size // 20)))
        dest.parent.mkdir(parents=True, exist_ok=True)
        # Readers (the GUI, other workers) never see half a file.
        write_atomic(dest, lambda out: img.save(out, "PNG"), sync=False)


class _Relay(QObject):
    done = Signal(str, int, bool, QImage)
    failed = Signal(str, int, bool, str)


class _ThumbJob(QRunnable):
    def __init__(self, source: Path, dest: Path, sha256: str, size: int, blurred: bool,
                 relay: _Relay) -> None:
        super().__init__()
        self._source, self._dest = source, dest
        self._sha, self._size, self._blurred = sha256, size, blurred
        self._relay = relay

    def run(self) -> None:
        try:
            if not self._dest.is_file():
                make_thumbnail(self._source, self._dest, self._size, self._blurred)
            image = QImage(str(self._dest))
            if image.isNull():
                raise OSError("the cached thumbnail could not be read")
            self._relay.done.emit(self._sha, self._size, self._blurred, image)
        except Exception as exc:  # a bad file must not kill the pool thread
            self._relay.failed.emit(self._sha, self._size, self._blurred, str(exc))


class ThumbnailLoader(QObject):
    """Asynchronous, cached thumbnails for one case's vault."""

    ready = Signal(str, int, bool)

    def __init__(self, vault_path_for, cache_dir: Path, parent: QObject | None = None,
                 threads: int = 2) -> None:
        super().__init__(parent)
        self._path_for = vault_path_for
        self._cache_dir = cache_dir
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(1, threads))
        self._relay = _Relay()
        self._relay.done.connect(self._on_job_done)
        self._relay.failed.connect(self._on_job_failed)
        self._pixmaps: OrderedDict[tuple[str, int, bool], QPixmap] = OrderedDict()
        self._pending: set[tuple[str, int, bool]] = set()
        self.failures: dict[str, str] = {}
        self.made = 0

    def pixmap(self, sha256: str, size: int = THUMB_SIZE, blurred: bool = False) -> QPixmap | None:
        """The pixmap if it is ready now; otherwise None (and it is made in the background)."""
        key = (sha256, size, blurred)
        pix = self._pixmaps.get(key)
        if pix is not None:
            self._pixmaps.move_to_end(key)
            return pix
        if key not in self._pending and sha256 not in self.failures:
            self._pending.add(key)
            dest = cache_path(self._cache_dir, sha256, size, blurred)
            job = _ThumbJob(self._path_for(sha256), dest, sha256, size, blurred, self._relay)
            self._pool.start(job)
        return None

    def failure(self, sha256: str) -> str | None:
        return self.failures.get(sha256)

    def wait(self, msecs: int = 10_000) -> bool:
        return self._pool.waitForDone(msecs)

    def stop(self) -> None:
        self._pool.clear()
        self._pool.waitForDone(5000)

    @Slot(str, int, bool, QImage)
    def _on_job_done(self, sha256: str, size: int, blurred: bool, image: QImage) -> None:
        key = (sha256, size, blurred)
        self._pending.discard(key)
        self._pixmaps[key] = QPixmap.fromImage(image)
        self.made += 1
        previews = [k for k in self._pixmaps if k[1] > THUMB_SIZE]
        for old in previews[: max(0, len(previews) - MEMORY_PREVIEWS)]:
            del self._pixmaps[old]
        while len(self._pixmaps) > MEMORY_PIXMAPS + MEMORY_PREVIEWS:
            self._pixmaps.popitem(last=False)
        self.ready.emit(sha256, size, blurred)

    @Slot(str, int, bool, str)
    def _on_job_failed(self, sha256: str, size: int, blurred: bool, message: str) -> None:
        self._pending.discard((sha256, size, blurred))
        self.failures[sha256] = message
        self.ready.emit(sha256, size, blurred)
