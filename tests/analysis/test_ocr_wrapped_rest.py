"""The rest of an Eastern-digit number that a right-to-left line ends with, wrapped onto a row
the first pass left empty, read by digit shape (``ocr._wrapped_eastern_rest_readings``). These
work on a rendered image and a first pass made by hand, so they need no Tesseract."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from analysis import ocr
from analysis.ocr import OcrResult, OcrWord
from analysis.selectors import find_selectors_in_ocr

FONTS = Path(__file__).resolve().parents[2] / "resources" / "fonts"
SIZE = 32
# A fictional Iranian mobile from phonenumbers' example (0912 345 6789), last digits varied:
# "۰۹۱۲ ۳۴۵ ۶۷۳۶". Its first two groups alone, "0912345", are a valid Italian fixed line.
IR = "+989123456736"
HEAD = ["۰۹۱۲", "۳۴۵"]
REST = "۶۷۳۶"
LINE = ["خانواده‌ها", "اطلاعات", *HEAD]


def _draw_rtl(draw: ImageDraw.ImageDraw, y: int, texts: list[str], font: ImageFont.FreeTypeFont
              ) -> list[tuple[int, int, int, int]]:
    x, boxes = 680, []
    for text in texts:
        box = draw.textbbox((x, y), text, font=font, anchor="ra", direction="rtl")
        draw.text((x, y), text, font=font, fill=0, anchor="ra", direction="rtl")
        boxes.append(tuple(int(v) for v in box))
        x = box[0] - SIZE // 2
    return boxes


def _post(line: list[str], row: list[str], row_words: list[str] | None = None
          ) -> tuple[Image.Image, OcrResult]:
    """A right-to-left line and a row below it, starting at the right; the first pass has the
    line's words and, for the row, ``row_words`` over the row's pieces (none when None)."""
    naskh = ImageFont.truetype(str(FONTS / "NotoNaskhArabic-Regular.ttf"), SIZE)
    img = Image.new("L", (700, 140), 255)
    draw = ImageDraw.Draw(img)
    line_boxes = _draw_rtl(draw, 10, line, naskh)
    row_boxes = _draw_rtl(draw, 10 + int(SIZE * 1.6), row, naskh)
    words = [OcrWord(t, 60.0, b, 1, 1, 1, k + 1)
             for k, (t, b) in enumerate(zip(line, line_boxes, strict=True))]
    if row_words is not None:
        words += [OcrWord(t, 30.0, b, 1, 1, 2, k + 1)
                  for k, (t, b) in enumerate(zip(row_words, row_boxes, strict=True))]
    text = " ".join(w.text for w in words)
    return img, OcrResult(text, 60.0, words, "tesseract", "5", {}, "Arabic")


def _phones(result: OcrResult) -> list[str]:
    return [s.value for s in find_selectors_in_ocr(result) if s.kind == "phone"]


def test_rest_of_a_wrapped_number_on_an_empty_row_is_read_by_shape():
    img, result = _post(LINE, [REST])
    readings = ocr._wrapped_eastern_rest_readings(img, 1.0, result)
    assert [r["text"] for r in readings] == [" ".join([*HEAD, REST])]
    line = ocr._union(result.words)
    assert readings[0]["box"][:3] == [line[0], line[1], line[2]]  # with the line
    assert readings[0]["box"][3] > line[3]  # and the row below
    assert [w.text for w in result.words] == LINE  # the first pass is left alone


def test_selector_finder_takes_the_whole_number_over_the_cut_one():
    img, result = _post(LINE, [REST])
    assert _phones(result) == ["+390912345"]  # the cut number, read plainly
    result.settings["line_readings"] = ocr._wrapped_eastern_rest_readings(img, 1.0, result)
    assert _phones(result) == [IR]


@pytest.mark.parametrize("line, row, row_words", [
    (LINE, ["سلام"], None),  # a word on the row below, not digits
    (LINE, ["۶۷۳۶۱۲۳۴۵"], None),  # more digits than the rest of a number
    (LINE, [REST], [REST]),  # the first pass read the row: the selector finder mends it
    (["خانواده‌ها", "قیمت", *HEAD], [REST], None),  # no contact word before the digits
    (["اطلاعات", *HEAD, "فقط"], [REST], None),  # the digits do not end the line
])
def test_rows_and_lines_that_give_nothing(line, row, row_words):
    img, result = _post(line, row, row_words)
    assert ocr._wrapped_eastern_rest_readings(img, 1.0, result) == []
