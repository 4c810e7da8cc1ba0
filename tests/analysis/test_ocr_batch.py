"""Tests for analysis.ocr.ocr_images: a batch read with one Tesseract process per pass gives
what reading each image alone gives, keeps its temporary files inside the folder it is given,
and lets one bad image fail alone."""

from __future__ import annotations

import random
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from analysis import ocr
from analysis.ocr import OcrError, OcrResult, OcrTimeout, ocr_image, ocr_images

FONTS = Path(__file__).resolve().parents[2] / "resources" / "fonts"
LANGS = "eng+ara+fas+fra+tur"
PHONE = "+90 501 234 56 78"  # phonenumbers' example mobile number for TR


def _photo_with_caption(lines: list[str]) -> Image.Image:
    """White outlined text over a noisy, blotchy background: no flat tone, so the photo
    recipe (a second, light-text reading) applies."""
    rng = random.Random(3)
    w, h = 640, 60 + 48 * len(lines)
    noise = np.random.default_rng(3).normal(0, 25, size=(h, w, 3))
    y = np.linspace(0, 1, h)[:, None, None]
    base = np.clip(np.array([70, 100, 150]) + 100 * y + noise, 0, 255).astype("uint8")
    img = Image.fromarray(base, "RGB")
    d = ImageDraw.Draw(img)
    for _ in range(10):
        cx, cy, r = rng.randint(0, w), rng.randint(0, h), rng.randint(20, 90)
        d.ellipse((cx - r, cy - r, cx + r, cy + r),
                  fill=tuple(rng.randint(0, 255) for _ in range(3)))
    img = img.filter(ImageFilter.GaussianBlur(2))
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONTS / "NotoSans-Bold.ttf"), 28)
    for k, line in enumerate(lines):
        d.text((16, 24 + 48 * k), line, font=font, fill=(255, 255, 255), stroke_width=3,
               stroke_fill=(0, 0, 0))
    return img


@pytest.fixture()
def mixed(render) -> list[Image.Image]:
    """A light screenshot with a number, a dark one, tiny text, an Arabic caption with
    Arabic-Indic digits, and a photo with overlay text."""
    return [
        render(["Sea Star Travel (fictional)", "Boat to Italy every Friday",
                f"WhatsApp {PHONE}"]),
        render(["Départ chaque vendredi", "Appelez le +33 6 12 34 56 78"], dark=True),
        render(["Her cuma yolculuk", "Arayın 0501 234 56 78"], size=13, width=360),
        render(["قارب إلى إيطاليا كل جمعة", "واتساب ٠٠٩٠ ٥٠١ ٢٣٤ ٥٦ ٧٨"], rtl=True),
        _photo_with_caption(["Safe trip to Italy", f"Call {PHONE}"]),
    ]


def _count_processes(monkeypatch) -> list[list[str]]:
    calls: list[list[str]] = []
    real = ocr._call

    def counting(args, png, deadline, tmp_dir):
        calls.append(list(args))
        return real(args, png, deadline, tmp_dir)

    monkeypatch.setattr(ocr, "_call", counting)
    return calls


def test_batch_reads_each_image_as_reading_it_alone(require_ocr, mixed, tmp_path, monkeypatch):
    alone = [ocr_image(img, LANGS) for img in mixed]
    calls = _count_processes(monkeypatch)
    batch = ocr_images(mixed, LANGS, tmp_dir=tmp_path)
    assert [asdict(r) for r in batch] == [asdict(r) for r in alone]
    # The passes that matter did run: the photo's second reading and the number lines.
    assert any("line_readings" in r.settings for r in alone)
    assert {r.settings["preprocessing"] for r in alone} <= {"auto", "light-text"}
    assert "+90 501 234 56 78" in batch[0].text or batch[0].settings["line_readings"]
    # One process per pass for the whole batch: main reading, photo reading, number lines.
    assert len(calls) == 3
    assert [c[0] for c in calls] == ["main.txt", "light.txt", "lines.txt"]
    assert list(tmp_path.iterdir()) == []  # list files and prepared images are gone


def test_one_unreadable_image_fails_alone(require_ocr, render, tmp_path):
    good = tmp_path / "good.png"
    render(["Boat to Italy every Friday"]).save(good)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    cache = tmp_path / "cache"
    cache.mkdir()
    out = ocr_images([good, broken, tmp_path / "missing.png"], "eng", tmp_dir=cache)
    assert isinstance(out[0], OcrResult) and "Italy" in out[0].text
    assert isinstance(out[1], OcrError) and "broken.png cannot be read" in str(out[1])
    assert isinstance(out[2], OcrError) and "missing.png does not exist" in str(out[2])
    assert list(cache.iterdir()) == []


def test_failed_batch_is_read_again_image_by_image(require_ocr, render, tmp_path, monkeypatch):
    images = [render(["Boat to Italy every Friday"]), render(["Fresh bread"], dark=True),
              render(["Departure at dawn"])]
    slow = ocr.encode_png(ocr.preprocess(images[1])[0])
    real_run = ocr._run

    def batch_times_out(*args, **kwargs):
        raise OcrTimeout("OCR took longer than 60 s on this image and was stopped.")

    def second_image_hangs(args, png, deadline, tmp_dir):
        if png == slow:
            raise OcrTimeout("OCR took longer than 60 s on this image and was stopped.")
        return real_run(args, png, deadline, tmp_dir)

    monkeypatch.setattr(ocr, "_run_list", batch_times_out)
    monkeypatch.setattr(ocr, "_run", second_image_hangs)
    out = ocr_images(images, "eng", tmp_dir=tmp_path)
    assert isinstance(out[0], OcrResult) and "Italy" in out[0].text
    assert isinstance(out[1], OcrTimeout)
    assert str(out[1]) == "OCR took longer than 60 s on this image and was stopped."
    assert isinstance(out[2], OcrResult) and "dawn" in out[2].text
    monkeypatch.setattr(ocr, "_run", real_run)
    assert asdict(out[2]) == asdict(ocr_image(images[2], "eng"))
    assert list(tmp_path.iterdir()) == []


def test_a_real_timeout_gives_each_image_its_own_error(require_ocr, render, tmp_path):
    images = [render(["Boat to Italy every Friday"]), render(["Fresh bread"])]
    out = ocr_images(images, "eng", tmp_dir=tmp_path, timeout=0.01)
    assert all(isinstance(r, OcrTimeout) for r in out)
    assert all(str(r).endswith(".") and "\n" not in str(r) for r in out)
    assert list(tmp_path.iterdir()) == []


def test_batch_needs_an_existing_folder_for_its_files(require_ocr, render, tmp_path):
    with pytest.raises(OcrError, match="does not exist"):
        ocr_images([render(["Boat"])], "eng", tmp_dir=tmp_path / "nowhere")
    assert ocr_images([], "eng", tmp_dir=tmp_path) == []


def test_batch_without_tesseract_raises_one_clear_error(monkeypatch, render, tmp_path):
    monkeypatch.setattr(ocr, "TESSERACT_CMD", "tesseract-that-is-not-installed")
    with pytest.raises(ocr.OcrUnavailable, match="not installed"):
        ocr_images([render(["Boat"])], "eng", tmp_dir=tmp_path)


def test_tsv_of_a_batch_must_match_its_pages():
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight"
    row = "1\t{p}\t0\t0\t0\t0\t0\t0\t10\t10\t-1\t"
    two = "\n".join([header, row.format(p=1), row.format(p=2)]) + "\n"
    pages = ocr._tsv_pages(two, 2)
    assert [p.splitlines() for p in pages] == [[header, row.format(p=1)],
                                               [header, row.format(p=2)]]
    with pytest.raises(OcrError):
        ocr._tsv_pages(two, 3)  # a page with no rows at all
    with pytest.raises(OcrError):
        ocr._tsv_pages(two, 1)  # a page the batch did not have
    with pytest.raises(OcrError):
        ocr._tsv_pages("", 1)
