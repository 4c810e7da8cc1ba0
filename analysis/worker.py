"""What runs in an analysis worker process: read one image (OCR) and hash it.

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


def analyse_media(task: dict) -> dict:
    """``task``: sha, path, ocr_langs (or None), hash (bool), tmp_dir, timeout."""
    from PIL import Image

    out: dict = {"sha": task["sha"]}
    path = Path(task["path"])
    if task.get("hash"):
        from analysis.hashing import HashingError, hash_image

        try:
            out["hashes"] = asdict(hash_image(path))
        except (HashingError, OSError, ValueError, Image.DecompressionBombError) as e:
            out["hash_error"] = str(e)
        except Exception as e:  # one bad image must not end the run
            out["hash_error"] = f"The image could not be hashed ({type(e).__name__}: {e})."
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
