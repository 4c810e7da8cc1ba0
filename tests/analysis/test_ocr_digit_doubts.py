"""Words with Eastern digits that match no digit shape are kept as Tesseract read them and
marked as doubtful in ``settings["digit_doubts"]``, for the selector finder. These work on a
rendered line and a first pass made by hand, so they need no Tesseract."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from analysis import ocr
from analysis.ocr import OcrResult, OcrWord

FONTS = Path(__file__).resolve().parents[2] / "resources" / "fonts"
SIZE = 32


def _line(texts: list[str]) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """One right-to-left line drawn in Naskh, each text left of the one before; their boxes."""
    font = ImageFont.truetype(str(FONTS / "NotoNaskhArabic-Regular.ttf"), SIZE)
    img = Image.new("L", (820, 90), 255)
    draw = ImageDraw.Draw(img)
    x, boxes = 800, []
    for text in texts:
        box = draw.textbbox((x, 20), text, font=font, anchor="ra", direction="rtl")
        draw.text((x, 20), text, font=font, fill=0, anchor="ra", direction="rtl")
        boxes.append(tuple(int(v) for v in box))
        x = box[0] - SIZE
    return img, boxes


def _first_pass(words: list[tuple[str, tuple[int, int, int, int]]]) -> OcrResult:
    ws = [OcrWord(text, 60.0, box, 1, 1, 1, k + 1) for k, (text, box) in enumerate(words)]
    return OcrResult(" ".join(w.text for w in ws), 60.0, ws, "tesseract", "5", {}, "Arabic")


def test_word_with_eastern_digits_over_ink_that_is_no_digit_is_marked_doubtful():
    # "تماس ۴۵۸۶ شماره": the first pass gave digits for the digits and for the word after them.
    img, (contact, number, word) = _line(["تماس", "۴۵۸۶", "شماره"])
    result = _first_pass([("۲۵۸۲", word), ("۲۵۸۲", number), ("تماس", contact)])
    ocr._reread_eastern_digits(img, 1.0, result)
    texts = {w.box: w.text for w in result.words}
    # The digits were read by shape and replaced: no doubt about them.
    assert texts[number] == "۴۵۸۶"
    # The word of letters matches no digit: kept as read, and marked.
    assert texts[word] == "۲۵۸۲"
    doubts = result.settings["digit_doubts"]
    assert [d["box"] for d in doubts] == [list(word)]
    assert doubts[0]["text"] == "۲۵۸۲"
    assert doubts[0]["distance"] is None or doubts[0]["distance"] > ocr._SHAPE_MAX_DISTANCE
    # The marks are plain JSON, as the case stores OCR settings.
    assert json.loads(json.dumps(result.settings))["digit_doubts"] == doubts


def test_no_marks_when_every_eastern_word_matches_its_shapes():
    img, (contact, number) = _line(["تماس", "۰۷۰۱۲۳۴۵۸۶"])
    result = _first_pass([("۰۷۰۱۲۳۴۵۸۶", number), ("تماس", contact)])
    ocr._reread_eastern_digits(img, 1.0, result)
    assert "digit_doubts" not in result.settings


def test_latin_words_are_never_marked():
    img, (contact, number, word) = _line(["تماس", "۴۵۸۶", "شماره"])
    result = _first_pass([("Yrtot", word), ("۴۵۸۶", number), ("تماس", contact)])
    ocr._reread_eastern_digits(img, 1.0, result)
    assert "digit_doubts" not in result.settings
