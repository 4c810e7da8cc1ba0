"""Reading text out of images with Tesseract.

Owns how Tideline runs OCR: checking that Tesseract and its language data are there
(``ocr_status``), preparing an image (dark mode inverted, small text upscaled, Otsu threshold
for flat screenshot backgrounds, a light-text mask as a second reading of photos), running the
``tesseract`` program with a timeout, mapping its word boxes back onto the original image
(``ocr_image``; ``ocr_images`` for a batch), and the second readings of the parts that carry
phone numbers: lines with digits read again with the English model, Arabic-Indic and Persian
digits read by their shape (``read_digit_shapes``). The choices, including reading all
requested languages in one pass rather than detecting the script first, are measured in
bench/ocr_choices.md.

Tesseract is run directly as a subprocess, so a timeout kills exactly the one process.
``ocr_image`` sends the image in on stdin and reads TSV on stdout: no temporary files at all.
Loading the five language models costs most of the time of a one-image Tesseract process, so
``ocr_images`` reads a batch with one process per pass, given a list file of prepared PNGs; those
files go in the ``tmp_dir`` the caller names (the case's ``cache/``), never the system temp
folder, and are deleted when the batch is done. ``pytesseract`` would write both the image and
its output to ``tempfile``'s folder.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import phonenumbers
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError
from scipy import ndimage

__all__ = [
    "DEFAULT_LANGS",
    "OcrError",
    "OcrResult",
    "OcrStatus",
    "OcrTimeout",
    "OcrUnavailable",
    "OcrWord",
    "encode_png",
    "ocr_image",
    "ocr_image_with",
    "ocr_images",
    "ocr_status",
    "preprocess",
    "read_digit_shapes",
]

DEFAULT_LANGS = "eng+ara+fas+fra+tur"

# The program to run; a module attribute so a deployment (or a test) can point elsewhere.
TESSERACT_CMD = "tesseract"
# ocr_images writes its list files and prepared images in a folder named so inside tmp_dir; one
# left by a killed process may be deleted by whoever holds the case.
BATCH_FOLDER_PREFIX = "ocr-batch-"
# Bumped whenever preprocessing or the second readings change what ocr_image returns, so an
# `analyse` reads images again (as a new version) instead of keeping results of older code.
RECIPE_VERSION = 11

LANG_NAMES = {
    "eng": "English",
    "ara": "Arabic",
    "fas": "Persian",
    "fra": "French",
    "tur": "Turkish",
    "osd": "script detection",
    "deu": "German",
    "urd": "Urdu",
    "pus": "Pashto",
    "kur": "Kurdish",
    "ita": "Italian",
    "ell": "Greek",
    "spa": "Spanish",
}

class OcrError(Exception):
    """OCR could not read an image; the message is one sentence an analyst can read."""


class OcrUnavailable(OcrError):
    """Tesseract or the language data needed is not installed."""


class OcrTimeout(OcrError):
    """Tesseract took longer than the allowed time and was stopped."""


@dataclass
class OcrStatus:
    available: bool
    message: str
    engine_version: str | None
    missing_langs: list[str] = field(default_factory=list)


@dataclass
class OcrWord:
    text: str
    conf: float
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in original image pixels
    block: int
    par: int
    line: int
    word: int


@dataclass
class OcrResult:
    text: str
    mean_confidence: float
    words: list[OcrWord]
    engine: str
    engine_version: str | None
    settings: dict
    script: str | None


# -- status --------------------------------------------------------------------------------


def _split_langs(langs: str) -> list[str]:
    parts = [p.strip() for p in langs.split("+")]
    if not langs.strip() or any(not re.fullmatch(r"[A-Za-z_]+", p) for p in parts):
        raise OcrError(f"'{langs}' is not a list of Tesseract languages such as 'eng+ara'.")
    return parts


def _names(codes: list[str]) -> str:
    names = [LANG_NAMES.get(c, c) for c in codes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@functools.lru_cache(maxsize=32)
def _engine(cmd: str) -> tuple[str | None, frozenset[str]]:
    """(version, installed languages) of the Tesseract program, or (None, {}) if absent."""
    exe = shutil.which(cmd)
    if exe is None:
        return None, frozenset()
    try:
        ver = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20)
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None, frozenset()
    first = (ver.stdout or ver.stderr).strip().splitlines()
    m = re.match(r"tesseract\s+v?(\S+)", first[0]) if first else None
    version = m.group(1) if m else "unknown"
    langs = frozenset(
        line.strip() for line in out.stdout.splitlines()[1:] if line.strip()
    )
    return version, langs


@functools.lru_cache(maxsize=32)
def _status(cmd: str, langs: str) -> OcrStatus:
    wanted = _split_langs(langs)
    version, installed = _engine(cmd)
    if version is None:
        return OcrStatus(
            False, "OCR is unavailable: the Tesseract program is not installed.", None, wanted
        )
    missing = [c for c in wanted if c not in installed]
    have = [c for c in wanted if c in installed]
    if not missing:
        return OcrStatus(True, f"OCR is ready: Tesseract {version} with {_names(have)}.",
                         version, [])
    quoted = " and ".join(f"'{c}'" for c in missing)
    verb = "is" if len(missing) == 1 else "are"
    msg = (f"OCR is unavailable for {_names(missing)}: the {quoted} language data {verb} "
           f"not installed.")
    return OcrStatus(bool(have), msg, version, missing)


def ocr_status(langs: str = DEFAULT_LANGS) -> OcrStatus:
    """Whether OCR can run with ``langs``, as one plain sentence for the GUI.

    ``available`` is true when Tesseract runs and at least one requested language is installed;
    ``missing_langs`` lists the requested languages that are not. Cached per ``langs``.
    """
    try:
        return _status(TESSERACT_CMD, langs)
    except OcrError as exc:
        return OcrStatus(False, str(exc), None, [])


# -- preprocessing -------------------------------------------------------------------------

PREPROCESSING = ("auto", "raw", "gray", "upscale", "otsu", "light-text")

# Tesseract reads best with capital letters around 30 px high; UI text in a phone screenshot
# is often 10-15 px.
_TARGET_LINE_PX = 40
_MAX_SCALE = 4.0
# Overlay text is drawn near-white; grey 200 kept it whole on the rendered photos while
# dropping most of the background (bench/ocr_choices.md).
_LIGHT_TEXT_MIN = 200


def _otsu_threshold(arr: np.ndarray) -> int:
    hist = np.bincount(arr.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    levels = np.arange(256)
    w0 = np.cumsum(hist)
    m0 = np.cumsum(hist * levels)
    w1 = total - w0
    mean_all = m0[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean_all * w0 - m0 * total) ** 2 / (w0 * w1)
    between[~np.isfinite(between)] = 0
    return int(np.argmax(between))


def _line_height(binary: np.ndarray) -> float | None:
    """Median height of the horizontal bands that hold ink, or None if there are no clear bands
    (a photo, or text that fills the image)."""
    ink_rows = (binary < 128).mean(axis=1) > 0.002
    if ink_rows.mean() > 0.9:
        return None
    heights, run = [], 0
    for has_ink in ink_rows:
        if has_ink:
            run += 1
        elif run:
            heights.append(run)
            run = 0
    if run:
        heights.append(run)
    heights = [h for h in heights if h >= 4]  # rules and specks are not lines of text
    return float(np.median(heights)) if heights else None


def _flat_background(gray: np.ndarray) -> bool:
    """A screenshot has a flat background: most pixels share one tone. A photo does not."""
    hist = np.bincount(gray.ravel() // 8, minlength=32)
    return hist.max() / gray.size > 0.5


def preprocess(
    image: Image.Image, mode: str = "auto"
) -> tuple[Image.Image, float, dict]:
    """Prepare ``image`` for Tesseract: (prepared image, scale applied, what was done).

    ``auto``: grayscale; invert when the background is dark; upscale when the text lines are
    small; Otsu threshold only on flat (screenshot) backgrounds, where it cleans anti-aliasing
    but would cut text out of a photo. The other modes are fixed recipes for measurement.
    """
    if mode not in PREPROCESSING:
        raise OcrError(f"'{mode}' is not a preprocessing mode; use one of {PREPROCESSING}.")
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(flat, rgba)
    if mode == "raw":
        return image.convert("RGB"), 1.0, {"steps": []}
    gray = image.convert("L")
    arr = np.asarray(gray)
    steps: list[str] = ["grayscale"]
    # The background is the commonest tone, so the median tells dark mode from light.
    if np.median(arr) < 110 and mode != "light-text":
        gray = ImageOps.invert(gray)
        arr = 255 - arr
        steps.append("invert")
    flat = _flat_background(arr)
    threshold = _otsu_threshold(arr)
    scale = 1.0
    if mode in ("auto", "upscale", "otsu"):
        line = _line_height(np.where(arr > threshold, 255, 0).astype(np.uint8))
        if line is not None and line < _TARGET_LINE_PX * 0.75:
            scale = min(_MAX_SCALE, _TARGET_LINE_PX / line)
        elif line is None and mode != "auto" and min(gray.size) < 600:
            scale = 2.0
        # Very large images gain nothing from upscaling and cost seconds.
        scale = min(scale, max(1.0, 4000 / max(gray.size)))
        if scale > 1.05:
            size = (round(gray.width * scale), round(gray.height * scale))
            gray = gray.resize(size, Image.Resampling.LANCZOS)
            steps.append(f"upscale x{scale:.2f}")
        else:
            scale = 1.0
    if mode == "light-text":
        arr = np.asarray(gray)
        gray = Image.fromarray(np.where(arr > _LIGHT_TEXT_MIN, 0, 255).astype(np.uint8), "L")
        steps.append("light-text mask")
    elif mode == "otsu" or (mode == "auto" and flat):
        arr = np.asarray(gray)
        t = _otsu_threshold(arr)
        gray = Image.fromarray(np.where(arr > t, 255, 0).astype(np.uint8), "L")
        steps.append("otsu")
    return gray, scale, {"steps": steps, "flat_background": flat}


def encode_png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


# -- running tesseract ---------------------------------------------------------------------


def _env(tmp_dir: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    # Workers run side by side on every core; OpenMP threads inside each would only contend.
    env.setdefault("OMP_THREAD_LIMIT", "1")
    if tmp_dir is not None:
        env["TMPDIR"] = env["TMP"] = env["TEMP"] = str(tmp_dir)
    return env


def _call(args: list[str], png: bytes | None, deadline: float, tmp_dir: Path | None) -> str:
    """Run Tesseract with ``args`` (``png`` on stdin when given) in ``tmp_dir``; its stdout."""
    exe = shutil.which(TESSERACT_CMD)
    if exe is None:
        raise OcrUnavailable("OCR is unavailable: the Tesseract program is not installed.")
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise OcrTimeout("OCR ran out of time on this image and was stopped.")
    try:
        proc = subprocess.run(
            [exe, *args],
            **({"input": png} if png is not None else {"stdin": subprocess.DEVNULL}),
            capture_output=True,
            timeout=remaining,
            env=_env(tmp_dir),
            cwd=str(tmp_dir) if tmp_dir is not None else None,
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrTimeout(
            f"OCR took longer than {exc.timeout:.0f} s on this image and was stopped."
        ) from None
    except OSError as exc:
        raise OcrUnavailable(f"OCR is unavailable: Tesseract could not be started ({exc}).") \
            from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = err[-1] if err else f"exit code {proc.returncode}"
        raise OcrError(f"Tesseract could not read this image: {detail}")
    return proc.stdout.decode("utf-8", "replace")


def _run(args: list[str], png: bytes, deadline: float, tmp_dir: Path | None) -> str:
    return _call(["stdin", "stdout", *args], png, deadline, tmp_dir)


def _run_list(args: list[str], pngs: list[bytes], deadline: float, work: Path, tag: str) -> str:
    """One Tesseract process over every image in ``pngs``, handed over as a list file, so the
    language models load once for all of them. The files are written in ``work`` under
    relative names (a case folder's path may hold anything)."""
    names = []
    for k, png in enumerate(pngs):
        names.append(f"{tag}-{k:04d}.png")
        (work / names[-1]).write_bytes(png)
    (work / f"{tag}.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    return _call([f"{tag}.txt", "stdout", *args], None, deadline, work)


def _tsv_pages(tsv: str, n: int) -> list[str]:
    """Split the TSV of a list run into one TSV per image by its page_num column."""
    lines = [line for line in tsv.split("\n") if line]
    if not lines or not lines[0].startswith("level\tpage_num"):
        raise OcrError("Tesseract returned no word table for this batch.")
    pages: list[list[str]] = [[] for _ in range(n)]
    for line in lines[1:]:
        parts = line.split("\t", 2)
        page = int(parts[1]) - 1 if len(parts) > 2 and parts[1].isdigit() else -1
        if not 0 <= page < n:
            raise OcrError("Tesseract returned a word table that does not match the batch.")
        pages[page].append(line)
    if any(not rows for rows in pages):
        raise OcrError("Tesseract returned no word table for an image of the batch.")
    return ["\n".join([lines[0], *rows]) + "\n" for rows in pages]


_ARABIC_LETTER = re.compile("[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\ufb50-\ufdff\ufe70-\ufefc]")
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u024f]")


def _parse_tsv(tsv: str, scale: float) -> list[OcrWord]:
    words: list[OcrWord] = []
    reader = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in reader:
        try:
            if row.get("level") != "5":
                continue
            text = (row.get("text") or "").strip()
            conf = float(row["conf"])
            if not text or conf < 0:
                continue
            x, y = int(row["left"]), int(row["top"])
            w, h = int(row["width"]), int(row["height"])
            box = (
                int(x / scale),
                int(y / scale),
                int(round((x + w) / scale)),
                int(round((y + h) / scale)),
            )
            words.append(
                OcrWord(text, conf, box, int(row["block_num"]), int(row["par_num"]),
                        int(row["line_num"]), int(row["word_num"]))
            )
        except (KeyError, TypeError, ValueError):
            continue  # a malformed row from Tesseract loses that word, not the page
    return words


def _join_lines(words: list[OcrWord]) -> str:
    lines: list[list[str]] = []
    last = None
    for w in words:
        key = (w.block, w.par, w.line)
        if key != last:
            lines.append([])
            last = key
        lines[-1].append(w.text)
    return "\n".join(" ".join(line) for line in lines)


def _script_of_text(text: str) -> str | None:
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if arabic == latin == 0:
        return None
    return "Arabic" if arabic >= latin else "Latin"


def _load(image: Image.Image | Path | str) -> Image.Image:
    if isinstance(image, Image.Image):
        return image
    path = Path(image)
    try:
        with Image.open(path) as im:
            im.load()
            return im.copy()
    except FileNotFoundError:
        raise OcrError(f"The image {path.name} does not exist.") from None
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise OcrError(f"The image {path.name} cannot be read: {exc}.") from None


def _check_tmp(tmp_dir: Path | None) -> Path | None:
    if tmp_dir is None:
        return None
    tmp_dir = Path(tmp_dir)
    if not tmp_dir.is_dir():
        raise OcrError(f"The temporary folder {tmp_dir} does not exist.")
    return tmp_dir


def ocr_image_with(
    image: Image.Image | Path,
    langs: str,
    *,
    psm: int = 3,
    preprocessing: str = "auto",
    timeout: float = 60,
    tmp_dir: Path | None = None,
) -> OcrResult:
    """Read ``image`` with exactly ``langs``, one page segmentation mode and one preprocessing
    recipe (see ``preprocess``), in a single Tesseract pass. ``ocr_image`` is the call to use;
    this one is for measuring and for re-reading with settings an analyst chose. Every
    language must be installed."""
    deadline = time.monotonic() + timeout
    tmp_dir = _check_tmp(tmp_dir)
    img = _load(image)
    wanted = _split_langs(langs)
    version, installed = _engine(TESSERACT_CMD)
    if version is None:
        raise OcrUnavailable("OCR is unavailable: the Tesseract program is not installed.")
    missing = [c for c in wanted if c not in installed]
    if missing:
        raise OcrUnavailable(ocr_status("+".join(wanted)).message)
    prepared, scale, info = preprocess(img, preprocessing)
    return _read(prepared, scale, info, wanted, psm, preprocessing, deadline, tmp_dir,
                 version)


def _read(
    prepared: Image.Image,
    scale: float,
    info: dict,
    langs: list[str],
    psm: int,
    preprocessing: str,
    deadline: float,
    tmp_dir: Path | None,
    version: str | None,
) -> OcrResult:
    tsv = _run(["--psm", str(psm), "-l", "+".join(langs), "tsv"], encode_png(prepared),
               deadline, tmp_dir)
    return _result(tsv, scale, info, langs, psm, preprocessing, version)


def _result(tsv: str, scale: float, info: dict, langs: list[str], psm: int,
            preprocessing: str, version: str | None) -> OcrResult:
    words = _parse_tsv(tsv, scale)
    text = _join_lines(words)
    mean = float(np.mean([w.conf for w in words])) if words else 0.0
    script = _script_of_text(text)
    settings = {
        "psm": psm,
        "preprocessing": preprocessing,
        "steps": info.get("steps", []),
        "scale": round(scale, 3),
        "langs": "+".join(langs),
        "script": script,  # the script most of the text came back in
    }
    return OcrResult(text, mean, words, "tesseract", version, settings, script)


def ocr_image(
    image: Image.Image | Path,
    langs: str = DEFAULT_LANGS,
    *,
    timeout: float = 60,
    tmp_dir: Path | None = None,
) -> OcrResult:
    """Read the text in ``image`` (a Pillow image or a file path).

    ``langs`` are the languages to read with ("eng+ara+fas+fra+tur"), all in one Tesseract
    pass: on rendered screenshots that beat detecting the script first (OSD costs more than a
    reading pass, and captions mix scripts). Requested languages that are not installed are
    left out and the languages used are in ``settings["langs"]``; ``script`` is the script
    most of the text came back in. Photos (no flat background) get a second reading of their
    light pixels only and keep the better one. With ara or fas, words with Eastern digits are
    read again by shape and replaced when every digit matches (``settings["digit_shapes"]``
    keeps what Tesseract read; words that match no digit shape are listed in
    ``settings["digit_doubts"]``); lines with numbers get a second reading in
    ``settings["line_readings"]`` that ``find_selectors_in_ocr`` uses. Boxes are in the original
    image's pixels. Raises
    ``OcrUnavailable`` when Tesseract or every requested language is missing, ``OcrTimeout``
    when the image takes longer than ``timeout`` seconds, ``OcrError`` for an unreadable image.
    No temporary files are written; ``tmp_dir``, when given, is Tesseract's working and
    temporary folder. To read many images, ``ocr_images`` gives the same results faster.
    """
    deadline = time.monotonic() + timeout
    tmp_dir = _check_tmp(tmp_dir)
    img = _load(image)
    have, installed, version = _languages(langs)
    prepared, scale, info = preprocess(img, "auto")
    result = _read(prepared, scale, info, have, 3, "auto", deadline, tmp_dir, version)
    if not info["flat_background"]:
        # Text over a photo is usually light with a dark outline: keeping only the light pixels
        # as ink often reads far better than the grey image, and sometimes far worse.
        masked, mscale, minfo = preprocess(img, "light-text")
        other = _read(masked, mscale, minfo, have, 3, "light-text", deadline, tmp_dir,
                      version)
        if _score(other) > _score(result):
            result, prepared, scale = other, masked, mscale
    extra: list[dict] = []
    if any(c in have for c in ("ara", "fas")):
        extra = _reread_eastern_digits(prepared, scale, result)
        extra += _contact_shape_readings(prepared, scale, result)
        extra += _contact_line_shape_readings(prepared, scale, result)
        extra += _below_contact_shape_readings(prepared, scale, result)
        extra += _wrapped_eastern_rest_readings(prepared, scale, result)
    if "eng" in installed and len(have) > 1:
        extra += _reread_number_lines(prepared, scale, result, deadline, tmp_dir)
    if extra or len(have) > 1:
        result.settings["line_readings"] = extra
    return result


def _languages(langs: str) -> tuple[list[str], frozenset[str], str | None]:
    """(requested languages that are installed, every installed language, engine version)."""
    wanted = _split_langs(langs)
    version, installed = _engine(TESSERACT_CMD)
    if version is None:
        raise OcrUnavailable("OCR is unavailable: the Tesseract program is not installed.")
    have = [c for c in wanted if c in installed and c != "osd"]
    if not have:
        raise OcrUnavailable(ocr_status(langs).message)
    return have, installed, version


@dataclass
class _Page:
    """One image of a batch on its way through the passes."""

    index: int
    image: Image.Image
    prepared: Image.Image
    scale: float
    info: dict
    result: OcrResult | None = None


def ocr_images(
    images: Sequence[Image.Image | Path | str],
    langs: str = DEFAULT_LANGS,
    *,
    tmp_dir: Path,
    timeout: float = 60,
) -> list[OcrResult | OcrError]:
    """Read every image as ``ocr_image`` reads it, with the same results, in one Tesseract
    process per pass for the whole batch instead of several per image: the main reading of
    every image, the light-text reading of the photos, and the English re-reading of every line
    with a number. Loading the language models is most of what a one-image process costs.

    Returns one entry per image, in order: its ``OcrResult``, or the ``OcrError`` that image
    alone raised (unreadable, or over its time). ``timeout`` is per image; the batch may use
    ``timeout`` x its number of images, and a batch that runs out of time or fails is read
    again image by image, each with its own ``timeout``. The prepared images and list files
    are written in a folder made inside ``tmp_dir`` (the case's cache) and deleted at the end.
    Raises ``OcrUnavailable`` when Tesseract or every requested language is missing and
    ``OcrError`` when ``tmp_dir`` does not exist: those concern the batch, not one image.
    """
    work_root = _check_tmp(tmp_dir)
    if work_root is None:
        raise OcrError("Reading a batch of images needs a folder for its temporary files.")
    have, installed, version = _languages(langs)
    out: list[OcrResult | OcrError | None] = [None] * len(images)
    pages: list[_Page] = []
    for k, image in enumerate(images):
        try:
            img = _load(image)
            prepared, scale, info = preprocess(img, "auto")
        except OcrError as exc:
            out[k] = exc
            continue
        except Exception as exc:  # one odd image must not cost the batch
            out[k] = OcrError(f"The image could not be read ({type(exc).__name__}: {exc}).")
            continue
        pages.append(_Page(k, img, prepared, scale, info))
    if pages:
        deadline = time.monotonic() + timeout * len(pages)
        work = Path(tempfile.mkdtemp(prefix=BATCH_FOLDER_PREFIX, dir=work_root))
        try:
            _read_batch(pages, have, installed, version, deadline, work)
        except Exception:
            # A timeout, a failed process or one image that trips a pass: read each image
            # alone, so one bad image fails alone with its own error and the others still
            # get read.
            for page in pages:
                page.result = None
        finally:
            shutil.rmtree(work, ignore_errors=True)
        for page in pages:
            if page.result is None:
                try:
                    page.result = ocr_image(page.image, langs, timeout=timeout,
                                            tmp_dir=work_root)
                except OcrError as exc:
                    out[page.index] = exc
                    continue
                except Exception as exc:
                    out[page.index] = OcrError(
                        f"The image could not be read ({type(exc).__name__}: {exc}).")
                    continue
            out[page.index] = page.result
    return [r if r is not None else OcrError("The image was not read.") for r in out]


def _read_batch(pages: list[_Page], have: list[str], installed: frozenset[str],
                version: str | None, deadline: float, work: Path) -> None:
    """The passes of ``ocr_image`` over a whole batch, one Tesseract process each; sets every
    page's result, or raises ``OcrError`` when a pass fails."""
    read_args = ["--psm", "3", "-l", "+".join(have), "tsv"]
    tsvs = _tsv_pages(_run_list(read_args, [encode_png(p.prepared) for p in pages], deadline,
                                work, "main"), len(pages))
    results = [_result(tsv, p.scale, p.info, have, 3, "auto", version)
               for tsv, p in zip(tsvs, pages, strict=True)]
    photos = [k for k, p in enumerate(pages) if not p.info["flat_background"]]
    if photos:
        masks = [preprocess(pages[k].image, "light-text") for k in photos]
        tsvs = _tsv_pages(_run_list(read_args, [encode_png(m[0]) for m in masks], deadline,
                                    work, "light"), len(photos))
        for k, (masked, mscale, minfo), tsv in zip(photos, masks, tsvs, strict=True):
            other = _result(tsv, mscale, minfo, have, 3, "light-text", version)
            if _score(other) > _score(results[k]):
                results[k] = other
                pages[k].prepared, pages[k].scale = masked, mscale
    extras: list[list[dict]] = [[] for _ in pages]
    if any(c in have for c in ("ara", "fas")):
        for k, p in enumerate(pages):
            extras[k] = _reread_eastern_digits(p.prepared, p.scale, results[k])
            extras[k] += _contact_shape_readings(p.prepared, p.scale, results[k])
            extras[k] += _contact_line_shape_readings(p.prepared, p.scale, results[k])
            extras[k] += _below_contact_shape_readings(p.prepared, p.scale, results[k])
            extras[k] += _wrapped_eastern_rest_readings(p.prepared, p.scale, results[k])
    if "eng" in installed and len(have) > 1:
        jobs = [(k, job) for k, p in enumerate(pages)
                for job in _number_line_jobs(p.prepared, p.scale, results[k])]
        if jobs:
            text = _run_list(["--psm", "7", "-l", "eng"],
                             [encode_png(pages[k].prepared.crop(job.crop)) for k, job in jobs],
                             deadline, work, "lines")
            # The text of each page is followed by a form feed, the last one's too or not.
            reads = text.split("\f")
            if len(reads) == len(jobs) + 1 and not reads[-1].strip():
                reads.pop()
            if len(reads) != len(jobs):
                raise OcrError("Tesseract did not return one reading per line of the batch.")
            for (k, job), read in zip(jobs, reads, strict=True):
                reading = _line_reading(job, read)
                if reading is not None:
                    extras[k].append(reading)
    for k, p in enumerate(pages):
        if extras[k] or len(have) > 1:
            results[k].settings["line_readings"] = extras[k]
        p.result = results[k]


_DIGIT = re.compile(r"\d", re.UNICODE)


@dataclass
class _LineJob:
    """A line to read again: its crop of the prepared image, the first reading, and its box
    in original pixels."""

    crop: tuple[int, int, int, int]
    text: str
    box: list[int]


def _reread_number_lines(prepared: Image.Image, scale: float, result: OcrResult,
                         deadline: float, tmp_dir: Path | None) -> list[dict]:
    """Read again, with English alone, every line that holds a phone-number-like run.

    Reading with all five languages at once reads captions best overall but drops or swaps
    Latin digits now and then ("56 78" came back as "56 8"), and a number is the piece of
    evidence that matters most. A single-line pass with one Latin model over just those lines
    costs little (one or two lines per screenshot) and gives the selector finder a second,
    independent reading; the main text is left as it was read. The two lines around a line
    break between digit groups are read again too, whatever their digit count.
    """
    out = []
    for job in _number_line_jobs(prepared, scale, result):
        try:
            read = _run(["--psm", "7", "-l", "eng"], encode_png(prepared.crop(job.crop)),
                        deadline, tmp_dir)
        except OcrTimeout:
            break
        except OcrError:
            continue
        reading = _line_reading(job, read)
        if reading is not None:
            out.append(reading)
    return out


# The words adverts put right before a number ("WhatsApp", "call", "واتساب", "تماس"...), as
# the last word of a line: the number then stands at the start of the next line, which is the
# line Tesseract most often drops or cuts short ("+218.91.2345959" read "99+").
_CONTACT_WORDS = frozenset({
    "whatsapp", "call", "contact", "info", "infos", "appelez", "arayın", "arayin", "iletişim",
    "iletisim", "için", "icin", "واتساب", "واتساپ", "تماس", "اتصل", "للتواصل", "للاستفسار",
    "اطلاعات",
})
_ARABIC_VARIANTS = str.maketrans({"ی": "ي", "ى": "ي", "ک": "ك", "\u200c": None,
                                  "\u200e": None, "\u200f": None})
# A "+" beside a digit: the start of an international number whatever the digit count the
# first pass kept of it.
_PLUS_DIGIT = re.compile(r"\+\s?\d|\d\s?\+")


def _contact_word(text: str) -> bool:
    word = text.strip(".,:;!?()[]{}'\"-").lower().translate(_ARABIC_VARIANTS)
    return word in _CONTACT_WORDS


def _px(box: Sequence[float], scale: float, pad: int, prepared: Image.Image
        ) -> tuple[int, int, int, int]:
    return (max(0, int(box[0] * scale) - pad), max(0, int(box[1] * scale) - pad),
            min(prepared.width, int(box[2] * scale) + pad),
            min(prepared.height, int(box[3] * scale) + pad))


def _words_by_line(result: OcrResult) -> list[list[OcrWord]]:
    """The first pass's words, line by line (Tesseract's block, paragraph and line), in the
    order Tesseract gave them."""
    grouped: dict[tuple[int, int, int], list[OcrWord]] = {}
    for w in result.words:
        grouped.setdefault((w.block, w.par, w.line), []).append(w)
    return list(grouped.values())


def _number_line_jobs(prepared: Image.Image, scale: float, result: OcrResult
                      ) -> list[_LineJob]:
    lines = _words_by_line(result)
    # Both lines of a number wrapped across two: the second line often holds only a short
    # group or two, and those are what the first pass garbles ("91-2345696" read "91-6").
    wrap = {i for i in range(len(lines) - 1)
            if len(_DIGIT.findall(lines[i][-1].text)) >= 2 and _DIGIT.search(lines[i + 1][0].text)}
    wrap |= {i + 1 for i in wrap}
    boxes = [_union(words) for words in lines]
    texts = [" ".join(w.text for w in words) for words in lines]
    jobs = []
    taken: set[int] = set()
    for i, text in enumerate(texts):
        if len(_DIGIT.findall(text)) < 6 and i not in wrap and not _PLUS_DIGIT.search(text):
            continue
        x0, y0, x1, y1 = boxes[i]
        box = _px(boxes[i], scale, max(6, int((y1 - y0) * 0.4)), prepared)
        if box[2] - box[0] < 4 or box[3] - box[1] < 4:
            continue
        jobs.append(_LineJob(box, text, [x0, y0, x1, y1]))
        taken.add(i)
    for i, below in _after_contact(lines, boxes):
        if below is not None and below in taken:
            continue
        region, report = _after_contact_box(boxes, i, below)
        box = _px(region, scale, max(4, int((region[3] - region[1]) * 0.25)), prepared)
        if box[2] - box[0] < 4 or box[3] - box[1] < 4:
            continue
        jobs.append(_LineJob(box, texts[below] if below is not None else "", report))
    return jobs


def _after_contact(lines: list[list[OcrWord]], boxes: list[list[int]], arabic: bool = False
                   ) -> list[tuple[int, int | None]]:
    """(line ending in a contact word, the line right below it or None when the row below is
    empty of words) for every line that ends in a contact word and holds no number after it;
    with ``arabic``, only where that word is in Arabic script (the Eastern-digit readers)."""
    out = []
    for i, words in enumerate(lines):
        if not _contact_word(words[-1].text):
            continue
        if arabic and not _ARABIC_LETTER.search(words[-1].text):
            continue
        height = boxes[i][3] - boxes[i][1]
        below = None
        for j, other in enumerate(boxes):
            if (j != i and 0 <= other[1] - boxes[i][3] <= 1.2 * height
                    and other[0] < boxes[i][2] and other[2] > boxes[i][0]):
                if below is None or other[1] < boxes[below][1]:
                    below = j
        out.append((i, below))
    return out


def _contact_shape_readings(prepared: Image.Image, scale: float, result: OcrResult
                            ) -> list[dict]:
    """Read by digit shape the row after a contact word that ends a right-to-left line, when
    the first pass has no number there: compact Arabic-Indic and Persian numbers come back as
    no word at all or as garbage ("۹4۹ 0"). Taken only when every blob in the row matches a
    digit (so a row of words gives nothing) and there are at least eight digits; the groups
    are given right to left, as they stand in a right-to-left line."""
    lines = _words_by_line(result)
    boxes = [_union(words) for words in lines]
    out = []
    for i, below in _after_contact(lines, boxes, arabic=True):
        below_text = " ".join(w.text for w in lines[below]) if below is not None else ""
        if len(re.findall("[0-9]", below_text)) >= 6:
            continue  # a Latin number is there; the English re-read covers it
        region, report = _after_contact_box(boxes, i, below)
        box = _px(region, scale, 2, prepared)
        if box[2] - box[0] < 4 or box[3] - box[1] < 6:
            continue
        shaped = match_digit_shapes(prepared.crop(box))
        if shaped is None or shaped.worst > _ROW_SHAPE_MAX_DISTANCE or shaped.unclear:
            continue
        read = (shaped.text, shaped.worst)
        groups = read[0].split()
        if sum(len(g) for g in groups) < 8:
            continue
        persian = any("\u06f0" <= ch <= "\u06f9" or ch in "یکگپچژ"
                      for w in lines[i] for ch in w.text)
        text = " ".join(_eastern(g, persian) for g in reversed(groups))
        out.append({"text": text, "box": report, "first_pass": below_text,
                    "distance": round(float(read[1]), 3)})
    return out


# A token the first pass made of Eastern digits it could not read: Latin letters ("Yrtotot" for
# "٢٣٤٥٩٥٩"), or digits of two scripts in one word ("۰۷۹۱۲۳2۵۱۳۲"). No Arabic letter in it.
_MIXED_DIGITS = re.compile("(?=.*[0-9])(?=.*[\u0660-\u0669\u06f0-\u06f9])")
# A Latin number as the first pass read it ("+212-6-50-12-36-20", "93+"): not garbage.
_LATIN_NUMBER = re.compile(r"^[+(]?[0-9][0-9().\-/]*\+?$")
# Shape readings of such tokens must be sure of every digit (``_sure``): the best digit of
# each blob this much closer than the next best other digit (a small "٢" taken for "٣" was
# 0.025 from it) unless the first pass read that digit too, and no blob far from its digit.
_LINE_SHAPE_MAX_DISTANCE = 0.3
_LINE_SHAPE_MIN_MARGIN = 0.05


def _garbled_digits(text: str) -> bool:
    text = text.translate(_BIDI_MARKS).strip(".,:;()")
    if not text or _ARABIC_LETTER.search(text) or _LATIN_NUMBER.match(text):
        return False
    if _ALL_EASTERN.match(text):
        return True  # part of the number; read with the rest so every group is sure
    return bool(_LATIN_LETTER.search(text) or _MIXED_DIGITS.match(text)
                or _EASTERN_RE.search(text))


def _sure(read: DigitShapeReading, word: OcrWord) -> bool:
    """Every digit of a shape reading is sure: by its margin over the next best digit, or,
    where the margin is small (at 10 px "٢", "٣" and "٤" are 0.03 apart), because the first
    pass read the same digit there in a word of as many digits (whatever their script)."""
    if read.unclear:
        return False  # a "٢"/"٣" tie the teeth did not settle: a guess, whoever agrees
    digits = read.text.replace(" ", "")
    tesseract = "".join(EASTERN_DIGITS.get(ch, ch) for ch in word.text if ch.isdigit())
    agree = len(tesseract) == len(digits)
    return all(m >= _LINE_SHAPE_MIN_MARGIN or (agree and tesseract[k] == digits[k])
               for k, m in enumerate(read.margins))


def _contact_line_shape_readings(prepared: Image.Image, scale: float, result: OcrResult
                                 ) -> list[dict]:
    """Read by digit shape the garbled tokens right after an Arabic-script contact word in its
    own right-to-left line ("+212-6-50-12-36-20 Yrtotot İsa3 للاستفسار": the number after
    the word came back as Latin letters). The tokens left of the contact word, up to a word of
    Arabic letters or a Latin number, are read one by one over the line's height, touching
    digits cut apart; the reading is taken only when every digit is sure (``_sure``) and no
    blob is far from its digit, there are at least eight digits, and the digits differ from
    the first pass's. The groups are given right to left, as the line reads; the first pass's
    words are left as they were."""
    out = []
    for words in _words_by_line(result):
        line_box = _union(words)
        by_x = sorted(words, key=lambda w: w.box[0])
        persian = any("\u06f0" <= ch <= "\u06f9" or ch in "یکگپچژ" for w in words for ch in w.text)
        for k, word in enumerate(by_x):
            if not (_ARABIC_LETTER.search(word.text) and _contact_word(word.text)):
                continue
            run: list[OcrWord] = []
            for other in reversed(by_x[:k]):
                if not _garbled_digits(other.text):
                    break
                run.append(other)  # right to left: the order the line reads in
            if not run:
                continue
            groups = []
            for w in run:
                # The word's width over the line's height, unpadded: a pad takes in the foot
                # of the next glyph ("İsa3" beside the contact word).
                x0, y0, x1, y1 = (round(v * scale) for v in
                                  (w.box[0], line_box[1], w.box[2], line_box[3]))
                box = (max(0, x0), max(0, y0), min(prepared.width, x1), min(prepared.height, y1))
                if box[2] - box[0] < 4 or box[3] - box[1] < 6:
                    break
                read = match_digit_shapes(prepared.crop(box), split=True)
                if read is None or read.worst > _LINE_SHAPE_MAX_DISTANCE or not _sure(read, w):
                    break
                groups += reversed(read.text.split())
            else:
                digits = "".join(groups)
                first = "".join(EASTERN_DIGITS.get(ch, ch) for w in run for ch in w.text
                                if ch.isdigit())
                if len(digits) < 8 or digits == first:
                    continue
                text = " ".join(_eastern(g, persian) for g in groups)
                out.append({"text": text, "box": _union(run),
                            "first_pass": " ".join(w.text for w in words)})
    return out


# A compact Eastern number on the row below a contact word is read only when it has at least
# this many digits and starts with "0" (a trunk 0 or "00"): a space the segmenting missed puts
# the number's last group first (groups stand right to left), and that seldom starts with 0.
_BELOW_MIN_DIGITS = 8
_BELOW_MAX_DIGITS = 15
# The Eastern zero is a dot of a few pixels: its shape matches poorly (0.4 at 10 px) but no
# other digit comes near it. Such a blob is sure by a wide margin alone.
_DOT_MAX_DISTANCE = 0.45
_DOT_MIN_MARGIN = 0.3


# A close digit is also sure when a sure blob of the same digit in the same piece looks like
# it: the same glyph at the same size in the same row is a far better template than the font
# drawn at 80 px. At 10 px a "٢" and a "٣" of one row were 0.149 apart, one "۴" from another
# 0.064 (and 0.237 from a "۲").
_EXEMPLAR_MAX_DISTANCE = 0.1
_EXEMPLAR_MIN_MARGIN = 0.05


def _sure_blobs(read: DigitShapeReading) -> bool:
    """Every digit of a shape reading with no first-pass word to agree is sure: near its shape
    and clear of the next best digit, or a zero's dot far from every other digit, or close to
    a sure blob of the same digit in the reading and clear of the sure blobs of the others."""
    digits = read.text.replace(" ", "")
    n = len(digits)
    if (read.unclear or len(read.distances) != n or len(read.margins) != n
            or len(read.features) != n):
        return False
    clear = [(dist <= _LINE_SHAPE_MAX_DISTANCE and margin >= _LINE_SHAPE_MIN_MARGIN)
             or (d == "0" and dist <= _DOT_MAX_DISTANCE and margin >= _DOT_MIN_MARGIN)
             for d, dist, margin in zip(digits, read.distances, read.margins, strict=True)]
    for k in range(n):
        if clear[k]:
            continue
        if read.distances[k] > _LINE_SHAPE_MAX_DISTANCE:
            return False
        near = {}
        for j in range(n):
            if j != k and clear[j]:
                gap = _feature_distance(read.features[k], read.features[j])
                near[digits[j]] = min(gap, near.get(digits[j], gap))
        same = near.pop(digits[k], None)
        if (same is None or same > _EXEMPLAR_MAX_DISTANCE
                or any(other - same < _EXEMPLAR_MIN_MARGIN for other in near.values())):
            return False
    return True


def _ink_runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of every run of True in a 1-D array."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _row_segments(prepared: Image.Image, scale: float, line_box: list[int]
                  ) -> list[tuple[int, int, int, int]]:
    """The pieces of ink, in prepared pixels, of the first row of text below ``line_box``
    (original pixels), parted where the gap is as wide as a space between digit groups. The
    row is found in the ink itself, not in the first pass's boxes, which may cover half of it
    or be missing; its descenders reach into the top of the band, so the first band of rows
    at least a third of the line's height tall is the row."""
    x0, y0, x1, y1 = line_box
    height = y1 - y0
    box = _px([x0, y1 - 0.2 * height, x1, y1 + 1.5 * height], scale, 0, prepared)
    if box[2] - box[0] < 8 or box[3] - box[1] < 8:
        return []
    arr = np.asarray(prepared.crop(box).convert("L"))
    if arr.min() == arr.max():
        return []
    ink = arr <= _otsu_threshold(arr)
    if ink.mean() > 0.5:  # light ink on dark
        ink = ~ink
    bands = [b for b in _ink_runs(ink.any(axis=1)) if b[1] - b[0] >= 0.35 * height * scale]
    if not bands:
        return []
    top, bottom = bands[0]
    full = bottom - top
    pieces: list[tuple[int, int]] = []
    for c0, c1 in _ink_runs(ink[top:bottom].any(axis=0)):
        if pieces and c0 - pieces[-1][1] < _SPACE_GAP * full:
            pieces[-1] = (pieces[-1][0], c1)
        else:
            pieces.append((c0, c1))
    return [(box[0] + max(0, c0 - 1), box[1] + max(0, top - 2),
             box[0] + min(ink.shape[1], c1 + 1), box[1] + min(ink.shape[0], bottom + 2))
            for c0, c1 in pieces]


def _below_contact_shape_readings(prepared: Image.Image, scale: float, result: OcrResult
                                  ) -> list[dict]:
    """Read by digit shape the row below an Arabic-script contact word that ends its line,
    piece by piece, where the first pass kept no word for a compact Eastern number there or
    only Latin garbage ("POAT YY fe AY" for "۰۵۰۱۲۳۴۵۰۵۴ ۰۰۹۳ ..."), or one box over it and a
    Latin number beside it ("+114" for "+90.501.234.56.61 ۰۷۹۱۲۳۴۵۶۶۹"). The row is cut into
    pieces at space-wide gaps, the first pass's boxes aside, and each piece is matched to the
    Arabic-Indic and to the Persian digits apart; a piece is given as a ``line_readings``
    entry when in one set, or in both alike, it is one group of 8 to 15 digits starting with
    0 with every digit sure (``_sure_blobs``), it matches the Latin digits worse, and the
    first pass did not read those digits already. A row of short groups is read only in the
    grouping a valid number is written in (``_short_groups_row``): at 10 px a space can be as
    narrow as the gap around a zero's dot, and groups read right to left after a lost space
    come out in another order, making another number. Groups parted
    by a dash are read ("٠٩١-٢٣٤٥٧٢٥"): a dash is ink the reading sees, not a gap it may
    lose, and the bidirectional algorithm says which order the groups stand in
    (``_dashed_groups``); the piece must still hold 8 to 15 digits in all, starting with 0."""
    lines = _words_by_line(result)
    boxes = [_union(words) for words in lines]
    out = []
    for i, below in _after_contact(lines, boxes, arabic=True):
        persian = any("\u06f0" <= ch <= "\u06f9" or ch in "یکگپچژ"
                      for w in lines[i] for ch in w.text)
        below_text = " ".join(w.text for w in lines[below]) if below is not None else ""
        first = "".join(EASTERN_DIGITS.get(ch, ch) for ch in below_text if ch.isdigit())
        _, report = _after_contact_box(boxes, i, below)
        pieces = _row_segments(prepared, scale, boxes[i])
        taken = len(out)
        for piece in pieces:
            crop = prepared.crop(piece)
            # Each digit set alone (Persian "۴" and Arabic-Indic "٣" are rivals when both are
            # matched at once); the first pass does not tell which set the row is in (it gave
            # an Arabic line's price in Persian digits).
            sure: dict[str, tuple[DigitShapeReading, list[str]]] = {}
            for system in ("arabic_indic", "persian"):
                read = match_digit_shapes(crop, split=True, system=system)
                if read is None or read.gaps or not _sure_blobs(read):
                    continue  # a space-wide gap: the groups may be out of order
                groups = _dashed_groups(read.text, system)
                digits = "".join(groups)
                if (digits.startswith("0")
                        and _BELOW_MIN_DIGITS <= len(digits) <= _BELOW_MAX_DIGITS):
                    sure[system] = (read, groups)
            if len({" ".join(groups) for _, groups in sure.values()}) != 1:
                continue  # neither set is sure of it, or the two read different digits
            system = next(iter(sure)) if len(sure) == 1 else (
                "persian" if persian else "arabic_indic")
            read, groups = sure[system]
            if "".join(groups) in first:
                continue
            latin = match_digit_shapes(crop, latin=True)
            if latin is not None and latin.worst <= read.worst:
                continue
            out.append({"text": " ".join(_eastern(g, system == "persian") for g in groups),
                        "box": report, "first_pass": below_text})
        if len(out) == taken:
            out += _short_groups_row(prepared, pieces, report, below_text, persian, first)
    return out


def _short_groups_row(prepared: Image.Image, pieces: list[tuple[int, int, int, int]],
                      report: list[int], below_text: str, persian: bool, first: str
                      ) -> list[dict]:
    """A row of short Eastern groups below a contact word ("٠٧٩١ ٢٣٤ ٥٦٢٤", which the first
    pass read "01171 7374 VAN"), read piece by piece from the row's right, where a right-to-
    left row starts, while each piece is one group with every digit sure (``_sure_blobs``)
    that matches the Latin digits worse. Taken when two or more groups make 9 to 15 digits
    starting with 0, in one digit set alone or in both alike, and the groups are the ones a
    valid number is written in (``_written_grouping``). A space lost between two groups
    joins them into one piece with their digits in screen order, which reorders the number
    (the worry that kept ``_below_contact_shape_readings`` to one group); the piece cut
    cannot tell, since it cuts where a space is wide, but the grouping then no longer is
    the number's own."""
    if len(pieces) < 2:
        return []
    sure: dict[str, list[str]] = {}
    for system in ("arabic_indic", "persian"):
        groups = _sure_groups_from_right(prepared, pieces, system)
        digits = "".join(groups)
        if len(groups) >= 2 and digits.startswith("0") and (
                _BELOW_MIN_DIGITS < len(digits) <= _BELOW_MAX_DIGITS):
            sure[system] = groups
    if len({" ".join(g) for g in sure.values()}) != 1:
        return []
    system = next(iter(sure)) if len(sure) == 1 else ("persian" if persian else "arabic_indic")
    groups = sure[system]
    if not _written_grouping(groups) or "".join(groups) in first:
        return []
    return [{"text": " ".join(_eastern(g, system == "persian") for g in groups),
             "box": report, "first_pass": below_text}]


def _sure_groups_from_right(prepared: Image.Image, pieces: list[tuple[int, int, int, int]],
                            system: str) -> list[str]:
    """The digit groups (ASCII) of a row's pieces read by shape in ``system`` from the row's
    right, where a right-to-left row starts, while each piece is one group with every digit
    sure (``_sure_blobs``) that matches the Latin digits worse."""
    groups: list[str] = []
    for piece in sorted(pieces, key=lambda p: -p[2]):
        crop = prepared.crop(piece)
        read = match_digit_shapes(crop, split=True, system=system)
        if read is None or " " in read.text or not _sure_blobs(read):
            break
        latin = match_digit_shapes(crop, latin=True)
        if latin is not None and latin.worst <= read.worst:
            break
        groups.append(read.text)
    return groups


def _written_grouping(groups: list[str]) -> bool:
    """``groups`` (ASCII digits) are how phonenumbers writes a valid number of one of the
    route regions: national format ("0791 234 5624") after a trunk 0, international after
    "00" ("0090 501 234 57 33": "+90 501 234 57 33")."""
    from .selectors import DEFAULT_REGIONS  # the selector finder imports this module

    digits = "".join(groups)
    if digits.startswith("00"):
        tries = [("+" + digits[2:], None, phonenumbers.PhoneNumberFormat.INTERNATIONAL)]
    else:
        tries = [(digits, region, phonenumbers.PhoneNumberFormat.NATIONAL)
                 for region in DEFAULT_REGIONS]
    for text, region, style in tries:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(number):
            continue
        written = re.findall(r"\d+", phonenumbers.format_number(number, style))
        if style == phonenumbers.PhoneNumberFormat.INTERNATIONAL:
            written[0] = "00" + written[0]
        if written == groups:
            return True
    return False


_TO_PERSIAN = str.maketrans("0123456789", "".join(chr(0x06F0 + i) for i in range(10)))
_TO_ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + i) for i in range(10)))


def _eastern(digits: str, persian: bool) -> str:
    """ASCII ``digits`` written in Persian or in Arabic-Indic digits."""
    return digits.translate(_TO_PERSIAN if persian else _TO_ARABIC_INDIC)


def _dashed_groups(text: str, system: str) -> list[str]:
    """The digit groups of a shape reading whose groups a dash parts ("٠٩١-٢٣٤٥٧٢٥"), in the
    order they are written. The bidirectional algorithm does not join Arabic-Indic digits
    across a hyphen (a hyphen joins only European digits, and Persian digits count as
    those), so in a right-to-left line Arabic-Indic groups stand right to left ("٢٣٤٥٧٢٥-٠٩١"
    on the screen) and Persian ones left to right."""
    groups = text.split()
    return groups[::-1] if system == "arabic_indic" else groups


# The rest of a wrapped Eastern number on the row below is at most this many digits: a longer
# run is another number or text, not the last groups of one.
_WRAPPED_REST_MAX_DIGITS = 8


def _wrapped_eastern_rest_readings(prepared: Image.Image, scale: float, result: OcrResult
                                   ) -> list[dict]:
    """Read by digit shape the rest of an Eastern-digit number that a right-to-left line ends
    with, when it wrapped onto a row the first pass left empty ("اطلاعات ۰۹۱۲ ۳۴۵" over
    "۶۴۳۶", read as no word at all: "۰۹۱۲ ۳۴۵" alone is an Italian fixed line). The line
    must end, at its visual left, with words of Eastern digits only right after a contact
    word, and the row below must hold no first-pass word with a digit. The row is cut into
    pieces at space-wide gaps (``_row_segments``) and read from its right, where a
    right-to-left row starts, piece by piece in the line's digit set while each piece is one
    group with every digit sure (``_sure_blobs``) and matches the Latin digits worse; at most
    eight digits are taken. The line's groups and the row's are given as one
    ``line_readings`` entry over both rows, reported with the line; the first pass's words
    are left as they were."""
    lines = _words_by_line(result)
    boxes = [_union(words) for words in lines]
    out = []
    for i, words in enumerate(lines):
        k = len(words)
        while k > 0 and _ALL_EASTERN.match(words[k - 1].text.translate(_BIDI_MARKS)
                                           .strip(".,:;()")):
            k -= 1
        if k in (0, len(words)) or not (_ARABIC_LETTER.search(words[k - 1].text)
                                        and _contact_word(words[k - 1].text)):
            continue
        groups = words[k:]
        x0, y0, x1, y1 = boxes[i]
        height = y1 - y0
        if min(w.box[0] for w in groups) > x0 + 0.5 * height:
            continue  # the number does not end the line: it did not wrap
        if any(j != i and 0 <= boxes[j][1] - y1 <= 1.2 * height and boxes[j][0] < x1
               and boxes[j][2] > x0 and any(ch.isdigit() for w in lines[j] for ch in w.text)
               for j in range(len(lines))):
            continue  # the first pass read digits below: the selector finder mends the wrap
        pieces = _row_segments(prepared, scale, boxes[i])
        persian = any("\u06f0" <= ch <= "\u06f9" for w in groups for ch in w.text)
        system = "persian" if persian else "arabic_indic"
        rest = _sure_groups_from_right(prepared, pieces, system)
        if not rest or sum(map(len, rest)) > _WRAPPED_REST_MAX_DIGITS:
            continue
        text = " ".join([w.text for w in groups] + [_eastern(g, persian) for g in rest])
        bottom = round(max(p[3] for p in pieces) / scale)
        out.append({"text": text, "box": [x0, y0, x1, max(y1, bottom)],
                    "first_pass": " ".join(w.text for w in words)})
    return out


def _after_contact_box(boxes: list[list[int]], i: int, below: int | None
                       ) -> tuple[list[int], list[int]]:
    """The region to read after the contact word of line ``i`` (the row below, as wide as the
    line above it, since a dropped or cut number may stand anywhere in it), and the box to
    report the reading under: the row below when the first pass kept it, else the contact line
    and the row together, so the selector finder puts the reading with the contact line."""
    x0, y0, x1, y1 = boxes[i]
    height = y1 - y0
    if below is not None:
        bx0, by0, bx1, by1 = boxes[below]
        return [min(x0, bx0), by0, max(x1, bx1), by1], [bx0, by0, bx1, by1]
    row = [x0, y1 + int(0.15 * height), x1, y1 + int(1.35 * height)]
    return row, [x0, y0, x1, row[3]]


def _line_reading(job: _LineJob, read: str) -> dict | None:
    read = " ".join(read.split())
    if read and read != job.text:
        return {"text": read, "box": job.box, "first_pass": job.text}
    return None


def _score(result: OcrResult) -> float:
    """How much confidently read text a pass found: used to pick between the two readings of
    a photo. Junk from noise comes back as short words with low confidence."""
    return sum(max(0.0, w.conf - 40) * len(w.text) for w in result.words)


# -- Eastern digits by shape -----------------------------------------------------------------

# Tesseract's ara and fas models misread Arabic-Indic and Persian digits in Naskh type (the
# Android system font for Arabic script): "۴" comes back as "۲", "۶۷" as "12", "٧٨" as "VA"
# (bench/ocr_choices.md, bench/RESULTS-ocr.md). Digits are separate glyphs of one stroke each,
# so matching each connected blob against the ten digit shapes drawn from the bundled Noto
# Naskh fonts reads them far more reliably than the language model, which is the wrong tool for
# a string of digits with no words around it.
EASTERN_DIGITS = {**{chr(0x0660 + i): str(i) for i in range(10)},
                  **{chr(0x06F0 + i): str(i) for i in range(10)}}
_EASTERN_RE = re.compile("[\u0660-\u0669\u06f0-\u06f9]")
# A token that may be a misread group of Eastern digits next to one read as such ("VA", "12").
_ALL_EASTERN = re.compile("^[\u0660-\u0669\u06f0-\u06f9]+$")
_DIGITISH = re.compile("^[0-9A-Za-z\u0660-\u0669\u06f0-\u06f9]{1,6}$")
_BIDI_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u061c"))
_SHAPE_FONTS = Path(__file__).resolve().parent.parent / "resources" / "fonts"
_SHAPE_FONT_FILES = ("NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf")
_LATIN_FONT_FILES = ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf")
_SHAPE_N = 20
# Mean absolute difference of the normalised bitmaps plus size and position penalties; the
# correct shape scores 0.1-0.35 on 14-30 px text and a wrong one 0.45 and up.
_SHAPE_MAX_DISTANCE = 0.4
# A row read by shape with no word of the first pass to confirm it needs closer matches: at
# 0.27 a small dark-mode "٢" was taken for "٣" and made another valid number.
_ROW_SHAPE_MAX_DISTANCE = 0.2
# Gaps between digits of one group are up to a third of the digit height in Naskh, spaces
# 0.4 and more.
_SPACE_GAP = 0.42


def _normalise_shape(mask: np.ndarray) -> tuple[np.ndarray, int, int]:
    ys, xs = np.nonzero(mask)
    m = mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = m.shape
    side = max(h, w)
    square = np.zeros((side, side), bool)
    square[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = m
    small = Image.fromarray((square * 255).astype(np.uint8)).resize(
        (_SHAPE_N, _SHAPE_N), Image.Resampling.BILINEAR)
    return np.asarray(small, dtype=np.float32) / 255.0, h, w


# The digit sets ``match_digit_shapes`` can match against: first code point of each set.
_DIGIT_SETS = {"eastern": (0x0660, 0x06F0), "arabic_indic": (0x0660,), "persian": (0x06F0,),
               "latin": (0x0030,)}


@functools.lru_cache(maxsize=4)
def _digit_shapes(latin: bool = False, system: str = "eastern"
                  ) -> tuple[tuple[str, np.ndarray, float, float, float], ...]:
    """(digit, bitmap, height, width, centre height) of every Arabic-Indic and Persian digit
    in each bundled Naskh font (with ``latin``, of the Latin digits of the bundled Noto Sans;
    with ``system`` "arabic_indic" or "persian", of that set alone); sizes relative to the
    tallest digit of that font and set."""
    out = []
    if latin:
        system = "latin"
    for name in _LATIN_FONT_FILES if latin else _SHAPE_FONT_FILES:
        path = _SHAPE_FONTS / name
        if not path.exists():
            continue
        font = ImageFont.truetype(str(path), 80)
        for base in _DIGIT_SETS[system]:
            shapes = []
            for i in range(10):
                im = Image.new("L", (120, 140), 0)
                ImageDraw.Draw(im).text((20, 10), chr(base + i), font=font, fill=255)
                mask = np.asarray(im) > 127
                bitmap, h, w = _normalise_shape(mask)
                rows = np.nonzero(mask.any(axis=1))[0]
                shapes.append((str(i), bitmap, h, w, rows[0], rows[-1]))
            top = min(s[4] for s in shapes)
            full = max(s[5] for s in shapes) - top + 1
            out += [(d, b, h / full, w / full, ((y0 + y1) / 2 - top) / full)
                    for d, b, h, w, y0, y1 in shapes]
    return tuple(out)


def read_digit_shapes(image: Image.Image, latin: bool = False) -> tuple[str, float] | None:
    """Read a crop holding only Eastern (Arabic-Indic or Persian) digits by matching each blob
    to the digit shapes of the bundled Naskh fonts: (ASCII digits, worst match distance), or
    None when the crop holds no ink. Digits are given left to right; a gap as wide as a space,
    and a dash between groups, are given as a space. With ``latin`` the crop is matched to the
    Latin digits of the bundled Noto Sans instead, to tell which of the two it holds."""
    read = match_digit_shapes(image, latin)
    return None if read is None else (read.text, read.worst)


@dataclass
class DigitShapeReading:
    """What ``match_digit_shapes`` read: the ASCII digits (groups parted by spaces), the worst
    distance of a blob to its digit, and the least margin of a blob's digit over the next
    best other digit (how sure the least sure choice was)."""

    text: str
    worst: float
    margin: float
    margins: tuple[float, ...] = ()  # of each digit of ``text``, in order
    distances: tuple[float, ...] = ()  # of each digit of ``text`` to its shape, in order
    # each digit's blob as matched (bitmap, height, width, centre), to compare blobs of a row
    features: tuple = field(default=(), repr=False, compare=False)
    # spaces of ``text`` made by a gap as wide as a space; the others stand for a dash or an
    # empty box between groups, which no lost space can move
    gaps: int = 0
    # how each digit of ``text`` settled a "٢"/"٣" near-tie (``_settle_tie``), in order: ""
    # no such tie, "prongs" settled by counting the prongs, "unclear" not settled (the digit
    # is a guess, and a reading with one is not to be trusted)
    ties: tuple[str, ...] = ()

    @property
    def unclear(self) -> int:
        """How many digits are a "٢"/"٣" tie the prong count could not settle."""
        return self.ties.count("unclear")


def match_digit_shapes(image: Image.Image, latin: bool = False, split: bool = False,
                       system: str = "eastern") -> DigitShapeReading | None:
    """``read_digit_shapes`` with the margin of each choice: how much closer each blob is to
    its digit than to the nearest other digit (in either digit set or font), the least of
    them reported. A blob as close to two digits is a guess whatever its distance. With
    ``split``, a blob that matches no digit well may be read as two touching digits
    (``_rank_blob``). ``system`` "arabic_indic" or "persian" matches that digit set alone
    (Persian "۴" and Arabic-Indic "٣" are close; a line's own set keeps them apart). A blob
    whose two nearest digits are "٢" and "٣", nearly as close, is settled by its teeth or
    left a guess (``_settle_tie``; ``ties`` says which)."""
    if system not in _DIGIT_SETS or system == "latin":
        raise ValueError(f"Unknown digit system {system!r}: use eastern, arabic_indic or "
                         "persian.")
    shapes = _digit_shapes(latin, system)
    arr = np.asarray(image.convert("L"))
    if not shapes or arr.size == 0 or arr.min() == arr.max():
        return None
    ink = arr <= _otsu_threshold(arr)
    if ink.mean() > 0.5:  # light ink on dark: the crop was not inverted
        ink = ~ink
    labels, n = ndimage.label(ink, structure=np.ones((3, 3), bool))
    blobs = []
    for k, sl in enumerate(ndimage.find_objects(labels), start=1):
        mask = labels[sl] == k
        if mask.sum() >= 3:  # specks of noise
            blobs.append((sl[1].start, sl[0].start, sl[0].stop, mask))
    if not blobs:
        return None
    # An empty box, or a blob far taller than the other digits (a box merged with the line
    # above), is no digit: it stands where a dash was. Only a run of several digits says what
    # "taller" is; Arabic-Indic and Persian zeros are dots, so small blobs do not count.
    big = sorted(b[3].shape[0] for b in blobs if b[3].shape[0] >= 0.25 * ink.shape[0])
    tall = 1.8 * big[len(big) // 2] if len(big) >= 4 else float("inf")
    boxes = {id(b) for b in blobs if _empty_box(b[3]) or b[3].shape[0] >= tall}
    # Tesseract's box for a digit word sometimes takes in the foot of the line above: keep the
    # blobs of the tallest band of rows with ink (empty boxes left out, they may span both).
    rows = np.zeros(ink.shape[0] + 2, np.int8)
    for b in blobs:
        if id(b) not in boxes:
            rows[b[1] + 1:b[2] + 1] = 1
    edges = np.flatnonzero(np.diff(rows))
    bands = list(zip(edges[::2], edges[1::2], strict=True))
    if len(bands) > 1:
        top, bottom = max(bands, key=lambda b: b[1] - b[0])
        blobs = [b for b in blobs if top <= (b[1] + b[2]) / 2 <= bottom
                 or (id(b) in boxes and b[1] <= bottom and b[2] >= top)]
    if not blobs:
        return None
    plain = [b for b in blobs if id(b) not in boxes] or blobs
    heights = sorted(b[3].shape[0] for b in plain)
    typical = heights[len(heights) // 2]
    seps = boxes | {id(b) for b in plain if _dash(b[3], typical)}
    kept = [b for b in blobs if id(b) not in seps]
    if not kept:
        return None
    top = min(b[1] for b in kept)
    full = max(b[2] for b in kept) - top
    if full < 6:
        return None
    digits, worst, margin, margins, distances = [], 0.0, float("inf"), [], []
    features: list[_Feature] = []
    ties: list[str] = []
    gaps = 0
    right = None
    for blob in sorted(blobs, key=lambda b: b[0]):
        x, y0, y1, mask = blob
        if id(blob) in seps:  # a dash parts groups as a space does
            if digits and digits[-1] != " ":
                digits.append(" ")
            right = None
            continue
        if right is not None and x - right > _SPACE_GAP * full and digits[-1] != " ":
            digits.append(" ")
            gaps += 1
        right = x + mask.shape[1] if right is None else max(right, x + mask.shape[1])
        for ranked, feature, piece in _rank_blob(mask, y0 - top, full, shapes,
                                                 1 if split else 0):
            dist, digit, clear, tie = _settle_tie(ranked, piece)
            features.append(feature)
            digits.append(digit)
            worst = max(worst, dist)
            distances.append(dist)
            margins.append(clear)
            ties.append(tie)
            margin = min(margin, margins[-1])
    text = "".join(digits).strip()
    return (DigitShapeReading(text, worst, margin, tuple(margins), tuple(distances),
                              tuple(features), gaps, tuple(ties)) if text else None)


# At 10 px the Naskh "٢" and "٣" are one shape but for the teeth at the top ("٢" one beside
# its stem, "٣" two), and the bitmap distance puts them within a few thousandths of each
# other, either way round. Below this margin the teeth decide; on rendered Naskh digits the
# shape alone was wrong in 2 of 51 such ties read word by word and 36 of 116 read with
# touching digits cut apart, and never above 0.025 word by word (bench/RESULTS-ocr.md, round
# fifteen).
_TIE_MARGIN = 0.02
_TIE_PAIR = frozenset({"2", "3"})
# Where "٣"'s two teeth run together in the upscaled ink (at some pixel sizes they always
# do), its one tooth-shaped run is wider than the one tooth of "٢": over 0.24 of the blob's
# height against at most 0.21 at 10 px and larger (0.26 at 6 px). Between the two, no guess.
_MERGED_TEETH = 0.27
_ONE_TOOTH = 0.2


def _ink_starts(rows: np.ndarray) -> np.ndarray:
    """For each row of a mask, where a run of ink starts."""
    return np.diff(np.pad(rows.astype(np.int8), ((0, 0), (1, 0))), axis=1) == 1


def _prongs(mask: np.ndarray) -> int:
    """The prongs at the top of a digit blob: the most separate runs of ink in any row of its
    top third. "٢" shows two (its stem and one tooth), "٣" three where its teeth stand apart;
    "٤" shows one, "٥" and "٧" two, so the count only tells the "٢"/"٣" pair apart."""
    return int(_ink_starts(mask[:max(1, round(mask.shape[0] / 3))]).sum(axis=1).max())


def _tooth_width(mask: np.ndarray) -> float | None:
    """The least width of the rightmost run of ink, relative to the blob's height, over the
    rows near the top (8-22 % of the height down) that show the stem and a tooth apart; None
    when no such row does."""
    h = mask.shape[0]
    widths = []
    for row in mask[round(0.08 * h):max(1, round(0.22 * h)) + 1]:
        runs = _ink_runs(row)
        if len(runs) >= 2:
            widths.append(runs[-1][1] - runs[-1][0])
    return min(widths) / h if widths else None


def _teeth(mask: np.ndarray) -> str | None:
    """"3" or "2" by the teeth at the top of a blob the shapes could not tell apart, or None
    when they do not say: three prongs are "٣"; two are "٢" when the tooth beside the stem
    is narrow and "٣" when it is as wide as two teeth run together."""
    prongs = _prongs(mask)
    if prongs == 3:
        return "3"
    width = _tooth_width(mask) if prongs == 2 else None
    if width is None:
        return None
    if width >= _MERGED_TEETH:
        return "3"
    return "2" if width <= _ONE_TOOTH else None


def _settle_tie(ranked: list[tuple[float, str]], mask: np.ndarray
                ) -> tuple[float, str, float, str]:
    """(distance, digit, margin, tie) of one blob from its ranked digits: the nearest digit
    and its margin over the next, unless the two nearest are "٢" and "٣" within
    ``_TIE_MARGIN``. Then the teeth pick the digit (``_teeth``) and the margin is its
    clearance of every digit outside the pair ("prongs"), or, when the teeth do not say, the
    nearest digit stays, a guess ("unclear")."""
    dist, digit = ranked[0]
    if len(ranked) < 2:
        return dist, digit, float("inf"), ""
    margin = ranked[1][0] - dist
    if {digit, ranked[1][1]} != _TIE_PAIR or margin >= _TIE_MARGIN:
        return dist, digit, margin, ""
    chosen = _teeth(mask)
    if chosen is None:
        return dist, digit, margin, "unclear"
    dist = next(d for d, k in ranked if k == chosen)
    rest = [d for d, k in ranked if k not in _TIE_PAIR]
    return dist, chosen, (min(rest) - dist if rest else float("inf")), "prongs"


# A blob as ``_rank_one`` compares it: normalised bitmap, then height, width and centre
# height relative to the height of the digits.
_Feature = tuple[np.ndarray, float, float, float]


def _feature(mask: np.ndarray, y0: int, full: float) -> _Feature:
    bitmap, h, w = _normalise_shape(mask)
    return bitmap, h / full, w / full, (y0 + (h - 1) / 2) / full


def _feature_distance(a: _Feature, b: _Feature) -> float:
    return (float(np.abs(a[0] - b[0]).mean()) + 0.5 * abs(a[1] - b[1]) + 0.3 * abs(a[2] - b[2])
            + 0.3 * abs(a[3] - b[3]))


def _rank_one(mask: np.ndarray, y0: int, full: float,
              shapes: tuple[tuple[str, np.ndarray, float, float, float], ...]
              ) -> tuple[list[tuple[float, str]], _Feature]:
    """(distance, digit) of every digit to one blob, nearest first, and the blob's feature;
    ``y0`` is the blob's top below the top of the digits and ``full`` their height."""
    feature = _feature(mask, y0, full)
    best: dict[str, float] = {}
    for d, b, th, tw, tc in shapes:
        dist = _feature_distance(feature, (b, th, tw, tc))
        best[d] = min(dist, best.get(d, dist))
    return sorted((dist, d) for d, dist in best.items()), feature


def _rank_blob(mask: np.ndarray, y0: int, full: float,
               shapes: tuple[tuple[str, np.ndarray, float, float, float], ...], depth: int
               ) -> list[tuple[list[tuple[float, str]], _Feature, np.ndarray]]:
    """The ranked digits of a blob, or, with ``depth`` left, of the two pieces it is cut into
    when it matches no digit well and two pieces match better: small compact digits touch
    ("٩١" and "٢٣" come out as one blob at 10 px). The cut is tried at every column of the
    middle half of the blob. Each entry is (ranked digits, the piece's feature, its mask)."""
    whole = (*_rank_one(mask, y0, full, shapes), mask)
    ranked = whole[0]
    h, w = mask.shape
    if depth <= 0 or ranked[0][0] <= _LINE_SHAPE_MAX_DISTANCE or w < 0.6 * full:
        return [whole]
    best: tuple[float, list[tuple[list[tuple[float, str]], _Feature, np.ndarray]]] | None = None
    for cut in range(max(2, w // 4), min(w - 2, w - w // 4) + 1):
        parts = []
        for piece in (mask[:, :cut], mask[:, cut:]):
            rows = np.flatnonzero(piece.any(axis=1))
            cols = np.flatnonzero(piece.any(axis=0))
            if rows.size == 0 or piece.sum() < 3:
                break
            piece = piece[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
            parts += _rank_blob(piece, y0 + int(rows[0]), full, shapes, depth - 1)
        else:
            score = max(p[0][0][0] for p in parts)
            if best is None or score < best[0]:
                best = (score, parts)
    if best is None or best[0] >= ranked[0][0]:
        return [whole]
    return best[1]


def _dash(mask: np.ndarray, typical: int) -> bool:
    """A dash between digit groups: a flat bar, far wider than tall (the Arabic-Indic zero is a
    small dot about as wide as it is tall)."""
    h, w = mask.shape
    return w >= 2.5 * h and h <= 0.3 * typical


def _empty_box(mask: np.ndarray) -> bool:
    """The empty rectangle a font draws for a character it lacks (Naskh has no hyphen, so a
    dash between Eastern digits comes out as one); no digit is a closed rectangle."""
    h, w = mask.shape
    if h < 10 or w < 4 or h < 1.5 * w:
        return False
    edges = (mask[0].mean(), mask[-1].mean(), mask[:, 0].mean(), mask[:, -1].mean())
    inner = mask[h // 4:h - h // 4, w // 4:w - w // 4]  # the stroke may be thick
    return min(edges) >= 0.7 and inner.size > 0 and inner.mean() <= 0.1


def _reread_eastern_digits(prepared: Image.Image, scale: float, result: OcrResult
                           ) -> list[dict]:
    """Read again by shape every word that came back with Eastern digits in it, and the short
    tokens beside such words (a misread group often loses its digits altogether: "٧٨" came
    back as "VA"). A word's text is replaced only when every blob in it matches a digit shape
    closely; what Tesseract read is kept in ``settings["digit_shapes"]``. A word with Eastern
    digits that matches no digit shape closely, or holds a "٢"/"٣" tie its teeth do not settle
    (``_settle_tie``), keeps Tesseract's text and is listed in
    ``settings["digit_doubts"]`` (its box, text and worst shape distance, None when no digit
    shape could be read at all): Tesseract misreads compact Eastern digits into other valid
    digits ("۴۵۸۶" read "۲۵۸۲"), and the selector finder does not trust a plain number made
    from such words.

    The groups of a number in a right-to-left line stand right to left, and Tesseract now and
    then returns one of them out of place; the digit words of such a line are put back in
    right-to-left order. When two groups came back as one word, the word keeps its digits left
    to right and the line with those groups read right to left is returned as an extra
    ``line_readings`` entry for the selector finder to try."""
    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for w in result.words:
        lines.setdefault((w.block, w.par, w.line), []).append(w)
    changed: list[dict] = []
    doubts: list[dict] = []
    extra: list[dict] = []
    for key, words in lines.items():
        if not any(_EASTERN_RE.search(w.text) for w in words):
            continue
        first_pass = " ".join(w.text for w in words)
        line_box = _union(words)
        rtl_groups: dict[int, str] = {}
        tried: set[int] = set()
        by_x = sorted(words, key=lambda w: w.box[0])
        while True:  # a token read as digits makes its neighbours candidates in turn
            todo = [
                id(w) for k, w in enumerate(by_x) if id(w) not in tried and (
                    _EASTERN_RE.search(w.text) or (
                        _DIGITISH.match(w.text.translate(_BIDI_MARKS)) and any(
                            _EASTERN_RE.search(by_x[j].text) for j in (k - 1, k + 1)
                            if 0 <= j < len(by_x))))
            ]
            if not todo:
                break
            for w in by_x:
                if id(w) not in todo:
                    continue
                tried.add(id(w))
                read, distance = _read_word_shapes(prepared, scale, w, line_box)
                if read is None:
                    if _EASTERN_RE.search(w.text):
                        doubts.append({"box": list(w.box), "text": w.text,
                                       "distance": None if distance is None
                                       else round(distance, 3)})
                    continue
                persian = any("\u06f0" <= ch <= "\u06f9" for ch in w.text)
                # keep the digit system Tesseract saw
                groups = [_eastern(g, persian) for g in read[0].split()]
                text = "".join(groups)
                if len(groups) > 1:
                    rtl_groups[id(w)] = " ".join(reversed(groups))
                if text != w.text:
                    changed.append({"box": list(w.box), "tesseract": w.text, "text": text,
                                    "distance": round(read[1], 3)})
                    w.text = text
        slots = [k for k, w in enumerate(words) if _ALL_EASTERN.match(w.text)]
        ordered = sorted((words[k] for k in slots), key=lambda w: -w.box[0])
        for k, w in zip(slots, ordered, strict=True):
            words[k] = w
        lines[key] = words
        if rtl_groups:
            alt = " ".join(rtl_groups.get(id(w), w.text) for w in words)
            extra.append({"text": alt, "box": _union(words), "first_pass": first_pass})
    if changed:
        result.words = [w for words in lines.values() for w in words]
        result.text = _join_lines(result.words)
        result.settings["digit_shapes"] = changed
    if doubts:
        result.settings["digit_doubts"] = doubts
    return extra


def _read_word_shapes(prepared: Image.Image, scale: float, w: OcrWord,
                      line_box: list[int] | None = None
                      ) -> tuple[tuple[str, float] | None, float | None]:
    """(the word's digits and worst distance when its shapes match digits closely and no
    digit is an unsettled "٢"/"٣" tie, else None; the worst distance of the shape reading,
    None when no digit shape was read or the word's digits are Latin)."""
    box = list(w.box)
    if line_box is not None:
        # Tesseract's box for a digit word is now and then cut short at the top; the line's
        # height holds the whole of it (read_digit_shapes drops what belongs to other lines).
        box[1], box[3] = min(box[1], line_box[1]), max(box[3], line_box[3])
    x0, y0, x1, y1 = (int(round(v * scale)) for v in box)
    pad = max(2, int((y1 - y0) * 0.1))
    box = (max(0, x0 - pad), max(0, y0 - pad), min(prepared.width, x1 + pad),
           min(prepared.height, y1 + pad))
    if box[2] - box[0] < 4 or box[3] - box[1] < 6:
        return None, None
    crop = prepared.crop(box)
    shaped = match_digit_shapes(crop)
    if shaped is None:
        return None, None
    read = (shaped.text, shaped.worst)
    if read[1] > _SHAPE_MAX_DISTANCE or shaped.unclear:
        # an unsettled "٢"/"٣" tie is a coin toss: the word is a doubt, not a reading
        return None, float(read[1])
    if w.text.isascii() and w.text.isdigit():
        # Latin digits beside an Eastern number ("964+ 791 234 5686") match Eastern shapes
        # fairly well too; they stay Latin when they match the Latin digits at least as well.
        latin = read_digit_shapes(crop, latin=True)
        if latin is not None and latin[1] <= read[1]:
            return None, None
    return (read[0], float(read[1])), float(read[1])


def _union(words: list[OcrWord]) -> list[int]:
    return [min(w.box[0] for w in words), min(w.box[1] for w in words),
            max(w.box[2] for w in words), max(w.box[3] for w in words)]
