"""What runs in an analysis worker process: read one image (OCR) and hash it.

Hashing decodes every image (JPEG at a reduced size, other formats in full); when it fails, a
full decode tells a truncated or corrupt image (reported as ``unreadable``) from a hashing
error.

Workers are started with ``spawn``; they load neither Qt nor the case database and return
plain dicts for the single writer in the parent to store. Each worker leads its own process
group, so a cancel can end it together with the Tesseract it started.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict
from pathlib import Path


def init_worker(tmp_dir: str) -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"  # one Tesseract per core, not one per thread
    os.environ["TMPDIR"] = tmp_dir
    tempfile.tempdir = tmp_dir  # temporary files stay inside the case
    try:  # HEIC/HEIF photos from iPhones open through pillow-heif, as at import
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:
        pass
    if hasattr(os, "setpgid"):
        try:
            os.setpgid(0, 0)
        except OSError:
            pass


def full_decode_failure(path: Path) -> str | None:
    """Why the image at ``path`` cannot be decoded in full, as one sentence; None if it can.

    The import checks structure (PNG chunk CRCs, a draft-size JPEG decode) but does not inflate
    every image, so this is where a broken image that passed those checks is caught. Only run
    after hashing failed, so a good image is never decoded twice.
    """
    from PIL import Image

    try:
        with Image.open(path) as im:
            im.load()
    except Image.DecompressionBombError:
        return "The image claims so many pixels that decoding it is refused."
    except Exception as e:
        text = str(e).strip().rstrip(".") or type(e).__name__
        return f"The image is truncated or corrupt ({text[:157]})."
    return None


def analyse_media(task: dict) -> dict:
    """``task``: sha, path, ocr_langs (or None), hash (bool), tmp_dir, timeout.

    The result has ``unreadable`` (one sentence) when the image fails a full decode."""
    from PIL import Image

    out: dict = {"sha": task["sha"]}
    path = Path(task["path"])
    if task.get("hash"):
        from analysis.hashing import HashingError, hash_image

        try:
            # Window hashes find crops and half-visible photos as candidates for the linker's
            # local-feature check (analysis/imagelinks.py).
            out["hashes"] = asdict(hash_image(path, windows=True))
        except (HashingError, OSError, ValueError, Image.DecompressionBombError) as e:
            out["hash_error"] = str(e)
        except Exception as e:  # one bad image must not end the run
            out["hash_error"] = f"The image could not be hashed ({type(e).__name__}: {e})."
        if "hash_error" in out:
            reason = full_decode_failure(path)
            if reason:
                out["unreadable"] = reason
    if task.get("ocr_langs"):
        from analysis.ocr import OcrError, ocr_image

        try:
            result = ocr_image(path, task["ocr_langs"], timeout=task.get("timeout", 60),
                               tmp_dir=Path(task["tmp_dir"]))
            out["ocr"] = asdict(result)
        except OcrError as e:
            out["ocr_error"] = str(e)
        except Exception as e:
            out["ocr_error"] = f"The image could not be read ({type(e).__name__}: {e})."
    return out
