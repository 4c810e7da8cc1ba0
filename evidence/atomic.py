"""Writing a file so that a reader sees the old whole file or the new whole file, never a part.

Owns ``write_atomic``: the content goes to a temporary file beside the target (named after this
process and thread, so two writers of the same file never share one), which then replaces the
target in one rename. The temporary file is removed when anything fails.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomic(path: Path, write: Callable[[BinaryIO], object], *, sync: bool = True) -> None:
    """Replace ``path`` with what ``write`` writes to the binary file it is given.

    ``sync`` waits for the data to reach the disk before the rename (what a crash must not
    lose); caches that are rebuilt when missing can skip it. Errors propagate.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as out:
            write(out)
            if sync:
                out.flush()
                os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
