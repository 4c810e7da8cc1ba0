"""What runs in an analysis worker process: hash images and read them (OCR), one image at a
time (``analyse_media``) or a batch at a time (``analyse_media_batch``), where Tesseract reads
the whole batch with one process per pass and so loads its language models once per batch.

Hashing decodes every image (JPEG at a reduced size, other formats in full); when it fails, a
full decode tells a truncated or corrupt image (reported as ``unreadable``) from a hashing
error. A batch keeps each greyscale copy it decoded for hashing until its OCR is done, and
finds in it the bands between the posts of a feed screenshot (analysis/posts.py) from the
photo regions and OCR words just found, so that nothing decodes the image again for posts.

Workers are started with ``spawn``; they load neither Qt nor the case database and return
plain dicts for the single writer in the parent to store. Each worker leads its own process
group, so a cancel can end it together with the Tesseract it started.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image


# Settings a worker needs from its first instruction on. OpenBLAS reads its thread count when
# numpy loads, and a spawned child loads numpy before any pool initializer runs (it imports the
# parent's main module again: main.py imports the CLI, which imports numpy), so these must be in
# the environment the child starts with. Two BLAS threads in each of two workers on two cores
# spin against each other: window hashing took 3-12 times its one-thread CPU
# (bench/hash_bench.py).
_CHILD_ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "1"}


def spawn_context() -> multiprocessing.context.SpawnContext:
    """The context every analysis pool starts its workers with: ``spawn`` (never a fork of a
    process holding Qt or SQLite), each worker starting with one BLAS thread (unless the
    environment already says otherwise). The parent's numpy, loaded already, is unaffected."""
    for name, value in _CHILD_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    return multiprocessing.get_context("spawn")


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
    end_with_parent()


PARENT_CHECK_SECONDS = 1.0


def end_with_parent() -> None:
    """End this worker process when the process that started it is gone (the analysis
    workers here, and the pools that describe and verify photo areas).

    An analysis worker leads its own process group (so a cancel can end it with its
    Tesseract), which puts it out of reach of a signal sent to the parent's group; and a pool
    worker waiting for its next task never hears that the parent died. Killed mid-analysis,
    the app would leave its workers waiting for ever. A daemon thread watches the parent's pid.
    """
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


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
    out = _hash(task)
    if task.get("ocr_langs"):
        from analysis.ocr import OcrError, ocr_image

        try:
            result = ocr_image(Path(task["path"]), task["ocr_langs"],
                               timeout=task.get("timeout", 60), tmp_dir=Path(task["tmp_dir"]))
            out["ocr"] = asdict(result)
        except OcrError as e:
            out["ocr_error"] = str(e)
        except Exception as e:
            out["ocr_error"] = f"The image could not be read ({type(e).__name__}: {e})."
    return out


def analyse_media_batch(tasks: list[dict]) -> list[dict]:
    """Every task of ``analyse_media``, with the same results in the same order: each image is
    hashed, then the images to read are read together with ``ocr_images`` (one batch per set of
    languages and folder for temporary files; in the pipeline there is one).

    A task with ``separators`` set also gets ``separators``: the bands (y0, y1) between posts
    (``posts.find_separators``), from this run's photo regions and OCR words, or the task's
    ``photos`` (boxes) and ``words`` (word boxes) for the half not redone. It gets none when a
    half it needs failed."""
    decoded = [_hash_decoded(task) for task in tasks]
    outs = [out for out, _ in decoded]
    _ocr_batch(tasks, outs)
    for task, out, (_, work) in zip(tasks, outs, decoded, strict=True):
        if task.get("separators"):
            _separators(task, out, work)
    return outs


def _ocr_batch(tasks: list[dict], outs: list[dict]) -> None:
    groups: dict[tuple[str, str, float], list[int]] = {}
    for k, task in enumerate(tasks):
        if task.get("ocr_langs"):
            key = (task["ocr_langs"], task["tmp_dir"], float(task.get("timeout", 60)))
            groups.setdefault(key, []).append(k)
    if not groups:
        return
    from analysis.ocr import OcrError, ocr_images

    for (langs, tmp_dir, timeout), members in groups.items():
        try:
            results = ocr_images([Path(tasks[k]["path"]) for k in members], langs,
                                 tmp_dir=Path(tmp_dir), timeout=timeout)
        except OcrError as e:  # Tesseract or the languages are missing: every image says so
            results = [e] * len(members)
        except Exception as e:
            error = OcrError(f"The images could not be read ({type(e).__name__}: {e}).")
            results = [error] * len(members)
        for k, result in zip(members, results, strict=True):
            if isinstance(result, OcrError):
                outs[k]["ocr_error"] = str(result)
            else:
                outs[k]["ocr"] = asdict(result)


def _separators(task: dict, out: dict, work: Image.Image | None) -> None:
    """Add the bands between posts to ``out`` when both halves they need are known."""
    from analysis.hashing import decode_grey
    from analysis.posts import find_separators, word_boxes

    if task.get("ocr_langs"):
        if "ocr" not in out:
            return
        words = word_boxes(out["ocr"]["words"])
    else:
        words = [tuple(b) for b in task.get("words") or ()]
    if task.get("hash"):
        if "hashes" not in out:
            return
        photos = [tuple(r["box"]) for r in out["hashes"]["regions"] if r["kind"] == "photo"]
        size = (out["hashes"]["width"], out["hashes"]["height"])
    else:
        photos = [tuple(b) for b in task.get("photos") or ()]
        size = None
    try:
        if words and work is None:  # hashes were up to date: decode for the bands alone
            work, width, height = decode_grey(task["path"])
            size = (width, height)
        out["separators"] = (
            [list(b) for b in find_separators(work, photos, words, size)] if words else [])
    except Exception:
        # One odd image must not end the batch: without bands here, posts.py finds them when
        # posts are needed, or cuts the image by its photos alone.
        pass


def _hash(task: dict) -> dict:
    """The hashing half of a task: ``hashes``, or ``hash_error`` and perhaps ``unreadable``."""
    return _hash_decoded(task)[0]


def _hash_decoded(task: dict) -> tuple[dict, Image.Image | None]:
    """``_hash`` and the greyscale copy it hashed (None when it did not decode one)."""
    from PIL import Image

    out: dict = {"sha": task["sha"]}
    work = None
    path = Path(task["path"])
    if task.get("hash"):
        from analysis.hashing import HashingError, decode_grey, hash_pil

        try:
            # What hash_image does, keeping the decoded copy for the post separators.
            work, width, height = decode_grey(path)
            if work.width < 1 or work.height < 1:
                raise HashingError(f"Image {path.name} has no pixels.")
            # Window hashes find crops and half-visible photos as candidates for the linker's
            # local-feature check (analysis/imagelinks.py).
            out["hashes"] = asdict(hash_pil(work, width, height, windows=True))
        except (HashingError, OSError, ValueError, Image.DecompressionBombError) as e:
            out["hash_error"] = str(e)
        except Exception as e:  # one bad image must not end the run
            out["hash_error"] = f"The image could not be hashed ({type(e).__name__}: {e})."
        if "hash_error" in out:
            work = None
            reason = full_decode_failure(path)
            if reason:
                out["unreadable"] = reason
    return out, work
