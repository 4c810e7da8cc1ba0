"""The second readings after a contact word and of lines with a "+" beside a digit: which
lines are read again, and the reading of the row after a contact word by digit shape. These
work on a rendered image and a first pass made by hand, so they need no Tesseract."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from analysis import ocr
from analysis.ocr import OcrResult, OcrWord

FONTS = Path(__file__).resolve().parents[2] / "resources" / "fonts"


def _page(lines: list[str | None]) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """Right-to-left lines drawn in Naskh, right aligned; None leaves a line's row empty of
    words in the first pass (a line Tesseract dropped) but still draws nothing either."""
    font = ImageFont.truetype(str(FONTS / "NotoNaskhArabic-Regular.ttf"), 26)
    img = Image.new("L", (720, 40 * len(lines) + 40), 255)
    draw = ImageDraw.Draw(img)
    boxes = []
    for k, text in enumerate(lines):
        if text:
            xy = (690, 20 + 36 * k)  # line pitch 1.4x the type size, as in the apps
            draw.text(xy, text, font=font, fill=0, anchor="ra", direction="rtl")
            boxes.append(tuple(int(v) for v in draw.textbbox(xy, text, font=font, anchor="ra",
                                                            direction="rtl")))
    return img, boxes


def _first_pass(words: list[tuple[str, tuple[int, int, int, int], int]]) -> OcrResult:
    ws = [OcrWord(text, 90.0, box, 1, 1, line, k + 1)
          for k, (text, box, line) in enumerate(words)]
    return OcrResult("\n".join(w.text for w in ws), 90.0, ws, "tesseract", "5", {}, "Arabic")


def test_number_after_contact_word_that_the_first_pass_dropped_is_read_by_shape(monkeypatch):
    # Noto Naskh drawn by Pillow matches at about 0.29, above the row limit that the generated
    # screenshots' digits (0.12-0.16) pass; the word limit shows the reading itself.
    monkeypatch.setattr(ocr, "_ROW_SHAPE_MAX_DISTANCE", ocr._SHAPE_MAX_DISTANCE)
    img, boxes = _page(["للتواصل واتساب", "٠١٠٠١٢٣٤٢٤٩"])
    # Tesseract returned the contact line only.
    result = _first_pass([("واتساب", boxes[0], 1)])
    readings = ocr._contact_shape_readings(img, 1.0, result)
    assert len(readings) == 1
    digits = "".join(ocr.EASTERN_DIGITS[ch] for ch in readings[0]["text"] if ch != " ")
    assert digits == "01001234249"
    # Reported with the contact line, so the selector finder can place it.
    assert readings[0]["box"][1] <= boxes[0][1] and readings[0]["box"][3] >= boxes[1][1]


def test_row_read_by_shape_needs_close_matches():
    img, boxes = _page(["للتواصل واتساب", "٠١٠٠١٢٣٤٢٤٩"])
    result = _first_pass([("واتساب", boxes[0], 1)])
    assert ocr._contact_shape_readings(img, 1.0, result) == []


def test_row_of_words_after_contact_word_gives_no_shape_reading():
    img, boxes = _page(["للتواصل واتساب", "العائلات مرحب بها"])
    result = _first_pass([("واتساب", boxes[0], 1)])
    assert ocr._contact_shape_readings(img, 1.0, result) == []


def test_no_shape_reading_without_contact_word():
    img, boxes = _page(["العائلات مرحب", "٠١٠٠١٢٣٤٢٤٩"])
    result = _first_pass([("مرحب", boxes[0], 1)])
    assert ocr._contact_shape_readings(img, 1.0, result) == []


@pytest.mark.parametrize("word", ["WhatsApp", "appelez:", "Arayın", "واتساب", "تماس", "اتصل",
                                  "واتساپ"])
def test_contact_words(word):
    assert ocr._contact_word(word)


def test_short_plus_line_and_row_after_contact_word_are_read_again():
    img = Image.new("L", (800, 200), 255)
    result = _first_pass([
        ("Info", (20, 20, 80, 40), 1), ("WhatsApp", (90, 20, 200, 40), 1),
        ("99+", (20, 50, 120, 70), 2),  # a number Tesseract cut short
        ("Price", (20, 120, 80, 140), 3), ("call", (90, 120, 140, 140), 3),  # nothing below
        ("5250", (20, 170, 80, 190), 4),
    ])
    result.words = [w for w in result.words if w.line != 4]  # the row below "call" is empty
    jobs = ocr._number_line_jobs(img, 1.0, result)
    texts = [j.text for j in jobs]
    # "99+" is read once (as a line with a "+" beside a digit), and the empty row below "call"
    # is read, reported with the contact line.
    assert texts.count("99+") == 1
    empty = [j for j in jobs if j.text == ""]
    assert len(empty) == 1 and empty[0].box[1] == 120 and empty[0].crop[3] > 140


def test_ordinary_short_lines_are_not_read_again():
    img = Image.new("L", (800, 120), 255)
    result = _first_pass([("Price", (20, 20, 80, 40), 1), ("5250", (90, 20, 140, 40), 1),
                          ("Families", (20, 50, 120, 70), 2), ("welcome", (130, 50, 220, 70), 2)])
    assert ocr._number_line_jobs(img, 1.0, result) == []
