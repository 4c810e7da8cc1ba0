"""A compact Eastern-digit number on the row below a contact word that ends its line, read by
digit shape piece by piece: which pieces are read, in which digit set, and when a reading is
sure enough to give. These work on a rendered image and a first pass made by hand, so they
need no Tesseract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from analysis import ocr
from analysis.ocr import DigitShapeReading
from tests.analysis.ocr_fixtures import line_and_row

FONTS = Path(__file__).resolve().parents[2] / "resources" / "fonts"
SIZE = 32
PERSIAN_LINE = ["سفر", "امن", "برای", "خانواده‌ها", "اطلاعات"]
# Fictional numbers from phonenumbers' example mobiles, last digits varied: Iraq 0791 234 5678
# and Egypt 0100 123 4567, written compact in Persian and Arabic-Indic digits.
IRAQ = "۰۷۹۱۲۳۴۵۶۶۹"
EGYPT = "٠١٠٠١٢٣٤٥٨٩"


def _digits(text: str) -> str:
    return "".join(ocr.EASTERN_DIGITS.get(ch, ch) for ch in text)


def test_compact_number_read_as_latin_garbage_is_read_by_shape():
    img, result = line_and_row(PERSIAN_LINE, [IRAQ], ["POAT"])
    readings = ocr._below_contact_shape_readings(img, 1.0, result)
    assert [r["text"] for r in readings] == [IRAQ]
    assert readings[0]["first_pass"] == "POAT"
    assert readings[0]["box"] == list(result.words[-1].box)  # reported on the row's line
    assert [w.text for w in result.words][-1] == "POAT"  # the first pass is left alone


def test_row_with_no_first_pass_word_is_read_and_reported_with_the_contact_line():
    img, result = line_and_row(PERSIAN_LINE, [IRAQ])
    readings = ocr._below_contact_shape_readings(img, 1.0, result)
    assert [r["text"] for r in readings] == [IRAQ]
    line = ocr._union(result.words)
    assert readings[0]["box"][:3] == [line[0], line[1], line[2]]
    assert readings[0]["box"][3] > line[3]


def test_digit_set_comes_from_the_shapes_not_from_the_first_pass():
    # The first pass read the price in Persian digits; the number is in Arabic-Indic ones.
    line = ["فقط", "۷۵۰۰", "اتصل"]
    img, result = line_and_row(line, [EGYPT], ["YY"])
    readings = ocr._below_contact_shape_readings(img, 1.0, result)
    assert [r["text"] for r in readings] == [EGYPT]


def test_row_of_short_groups_is_read_from_its_right():
    # "۰۷۹۱ ۲۳۴ ۵۶۶۹" stands right to left on the row, each group's digits left to right.
    img, result = line_and_row(PERSIAN_LINE, ["۰۷۹۱", "۲۳۴", "۵۶۶۹"], ["POAT", "YY", "0"])
    readings = ocr._below_contact_shape_readings(img, 1.0, result)
    assert [r["text"] for r in readings] == ["۰۷۹۱ ۲۳۴ ۵۶۶۹"]
    assert readings[0]["first_pass"] == "POAT YY 0"


def _row_with_spaces(row: list[str], spaces: list[int]) -> tuple[Image.Image, ocr.OcrResult]:
    """PERSIAN_LINE, and below it ``row`` drawn right to left with these spaces (px)."""
    naskh = ImageFont.truetype(str(FONTS / "NotoNaskhArabic-Regular.ttf"), SIZE)
    img = Image.new("L", (700, 140), 255)
    draw = ImageDraw.Draw(img)
    words, x = [], 680
    for k, text in enumerate(PERSIAN_LINE):
        box = draw.textbbox((x, 10), text, font=naskh, anchor="ra", direction="rtl")
        draw.text((x, 10), text, font=naskh, fill=0, anchor="ra", direction="rtl")
        words.append(ocr.OcrWord(text, 60.0, tuple(int(v) for v in box), 1, 1, 1, k + 1))
        x = box[0] - SIZE // 2
    x = 680
    for k, text in enumerate(row):
        box = draw.textbbox((x, 61), text, font=naskh, anchor="ra", direction="rtl")
        draw.text((x, 61), text, font=naskh, fill=0, anchor="ra", direction="rtl")
        x = box[0] - (spaces[k] if k < len(spaces) else SIZE // 2)
    return img, ocr.OcrResult(" ".join(PERSIAN_LINE), 60.0, words, "tesseract", "5", {},
                              "Arabic")


def test_short_groups_with_a_space_lost_give_nothing():
    # "۰۷۹۱ ۲۳۴ ۵۶۶۹" with its second space 2 px wide: "۲۳۴" and "۵۶۶۹" are one piece, in
    # screen order, and read "۰۷۹۱ ۵۶۶۹۲۳۴", another valid number. Its grouping is no
    # number's own, so nothing is given.
    row = ["۰۷۹۱", "۲۳۴", "۵۶۶۹"]
    img, result = _row_with_spaces(row, [16, 16])
    assert [r["text"] for r in ocr._below_contact_shape_readings(img, 1.0, result)] == [
        "۰۷۹۱ ۲۳۴ ۵۶۶۹"]
    img, result = _row_with_spaces(row, [16, 2])
    assert ocr._below_contact_shape_readings(img, 1.0, result) == []
    assert ocr._written_grouping(["0791", "234", "5669"])
    assert not ocr._written_grouping(["0791", "5669234"])
    assert ocr._written_grouping(["0090", "501", "234", "57", "33"])


@pytest.mark.parametrize("row", [
    ["۷۹۱۲۳۴۵۶۶۹"],  # no trunk 0: maybe the last group of a number first
    ["۲۳۴", "۵۶۶۹", "۰۷۹۱"],  # short groups whose first from the right has no trunk 0
    ["سلام", "دوستان"],  # words
])
def test_rows_that_give_nothing(row):
    img, result = line_and_row(PERSIAN_LINE, row, ["POAT"] * len(row))
    assert ocr._below_contact_shape_readings(img, 1.0, result) == []


def test_latin_digits_and_numbers_the_first_pass_has_give_nothing():
    img, result = line_and_row(PERSIAN_LINE, ["07912345669"], ["07912345669"], latin_row=True)
    assert ocr._below_contact_shape_readings(img, 1.0, result) == []
    img, result = line_and_row(PERSIAN_LINE, [IRAQ], [IRAQ])
    assert ocr._below_contact_shape_readings(img, 1.0, result) == []


def test_no_reading_without_a_contact_word_ending_the_line():
    img, result = line_and_row(["سفر", "امن", "برای", "خانواده‌ها"], [IRAQ], ["POAT"])
    assert ocr._below_contact_shape_readings(img, 1.0, result) == []


def _feature(fill: float) -> tuple:
    return (np.full((ocr._SHAPE_N, ocr._SHAPE_N), fill, np.float32), 1.0, 0.6, 0.5)


def test_close_digit_is_sure_only_beside_a_sure_blob_of_the_same_digit_like_it():
    sure3, close4, sure4 = _feature(0.0), _feature(0.5), _feature(0.45)
    read = DigitShapeReading("344", 0.2, 0.02, (0.1, 0.02, 0.1), (0.1, 0.2, 0.1),
                             (sure3, close4, sure4))
    assert ocr._sure_blobs(read)
    # No sure "4" to compare with.
    alone = DigitShapeReading("34", 0.2, 0.02, (0.1, 0.02), (0.1, 0.2), (sure3, close4))
    assert not ocr._sure_blobs(alone)
    # The sure "4" is not like it.
    unlike = DigitShapeReading("344", 0.2, 0.02, (0.1, 0.02, 0.1), (0.1, 0.2, 0.1),
                               (sure3, close4, _feature(0.9)))
    assert not ocr._sure_blobs(unlike)
    # A sure "3" is about as like it as the sure "4".
    both = DigitShapeReading("344", 0.2, 0.02, (0.1, 0.02, 0.1), (0.1, 0.2, 0.1),
                             (_feature(0.47), close4, sure4))
    assert not ocr._sure_blobs(both)


def test_zero_dot_is_sure_by_a_wide_margin_alone():
    dot = DigitShapeReading("01", 0.4, 0.1, (0.5, 0.1), (0.4, 0.1), (_feature(0), _feature(1)))
    assert ocr._sure_blobs(dot)
    narrow = DigitShapeReading("01", 0.4, 0.1, (0.1, 0.1), (0.4, 0.1), (_feature(0), _feature(1)))
    assert not ocr._sure_blobs(narrow)
    far_one = DigitShapeReading("11", 0.4, 0.1, (0.5, 0.1), (0.4, 0.1), (_feature(0), _feature(1)))
    assert not ocr._sure_blobs(far_one)


def test_one_digit_set_alone():
    font = ImageFont.truetype(str(FONTS / "NotoNaskhArabic-Regular.ttf"), 40)
    img = Image.new("L", (200, 80), 255)
    ImageDraw.Draw(img).text((20, 10), "۴۵۶", font=font, fill=0)
    persian = ocr.match_digit_shapes(img, system="persian")
    arabic = ocr.match_digit_shapes(img, system="arabic_indic")
    assert persian is not None and persian.text == "456"
    assert arabic is not None and arabic.worst > persian.worst
    assert len(persian.features) == len(persian.distances) == 3
    with pytest.raises(ValueError, match="digit system"):
        ocr.match_digit_shapes(img, system="roman")


def test_selector_finder_takes_the_reading():
    from analysis.selectors import find_selectors_in_ocr

    img, result = line_and_row(PERSIAN_LINE, [IRAQ], ["POAT"])
    assert not [s for s in find_selectors_in_ocr(result) if s.kind == "phone"]
    result.settings["line_readings"] = ocr._below_contact_shape_readings(img, 1.0, result)
    phones = [s.value for s in find_selectors_in_ocr(result) if s.kind == "phone"]
    assert phones == ["+9647912345669"]


def _eastern(digits: str, base: int) -> str:
    return "".join(chr(base + int(d)) if d.isdigit() else d for d in digits)


# A Libyan mobile written nationally with a dash, "091-2345625" (phonenumbers' example mobile
# for LY with the last digits varied), in either digit set.
LY_NATIONAL = "091-2345625"
LY_AI = _eastern(LY_NATIONAL, 0x0660)
LY_FA = _eastern(LY_NATIONAL, 0x06F0)


def test_dashed_arabic_indic_number_is_given_in_written_order():
    # Drawn right to left, the dash does not join Arabic-Indic groups: "٢٣٤٥٦٢٥-٠٩١" on the
    # screen, read right to left back to "٠٩١ ٢٣٤٥٦٢٥".
    line = ["السعر", "للشخص", "واتساب"]
    img, result = line_and_row(line, [LY_AI], ["YYZOVYO"])
    readings = ocr._below_contact_shape_readings(img, 1.0, result)
    assert [r["text"] for r in readings] == [LY_AI.replace("-", " ")]


def test_dashed_persian_number_keeps_its_order():
    # Persian digits are joined across the dash: the groups stand left to right.
    img, result = line_and_row(PERSIAN_LINE, [LY_FA], ["POAT"])
    readings = ocr._below_contact_shape_readings(img, 1.0, result)
    assert [r["text"] for r in readings] == [LY_FA.replace("-", " ")]


def test_shape_reading_tells_a_dash_from_a_space():
    naskh = ImageFont.truetype(str(FONTS / "NotoNaskhArabic-Regular.ttf"), SIZE)
    for text, gaps in ((LY_FA, 0), (LY_FA.replace("-", "  "), 1)):
        img = Image.new("L", (400, 60), 255)
        ImageDraw.Draw(img).text((390, 5), text, font=naskh, fill=0, anchor="ra",
                                 direction="rtl")
        read = ocr.match_digit_shapes(img, split=True, system="persian")
        assert read is not None and sorted(read.text.split()) == ["091", "2345625"]
        assert read.gaps == gaps
