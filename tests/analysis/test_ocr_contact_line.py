"""Garbled Eastern-digit tokens right after a contact word in its own right-to-left line, read
again by digit shape: which tokens are read, when a reading is sure enough to give, and
touching digits cut apart. These work on a rendered image and a first pass made by hand, so
they need no Tesseract."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from analysis import ocr
from analysis.ocr import DigitShapeReading, OcrWord
from tests.analysis.ocr_fixtures import FONTS, RTL_SIZE, first_pass, rtl_line

CONTACT = "للاستفسار"
# A fictional Libyan mobile in Arabic-Indic digits as adverts write it: "091-2345959".
GROUPS = ("٠٩١", "٢٣٤٥٩٥٩")


def _digits(text: str) -> str:
    return "".join(ocr.EASTERN_DIGITS.get(ch, ch) for ch in text)


def test_latin_letter_garbage_after_contact_word_is_read_by_shape():
    img, (contact, first, second) = rtl_line([CONTACT, *GROUPS])
    # The first pass read the number after the contact word as Latin letters.
    result = first_pass([("Yrtotot", second), ("İsa3", first), (CONTACT, contact)])
    readings = ocr._contact_line_shape_readings(img, 1.0, result)
    assert len(readings) == 1
    # Groups right to left, as the line reads; the first pass's words are left alone.
    assert _digits(readings[0]["text"]) == "091 2345959"
    assert [w.text for w in result.words] == ["Yrtotot", "İsa3", CONTACT]
    assert readings[0]["box"][0] == second[0] and readings[0]["box"][2] == first[2]


def test_mixed_digit_scripts_after_contact_word_are_read_by_shape():
    img, (contact, first, second) = rtl_line([CONTACT, *GROUPS])
    # Two scripts in one word, one digit wrong ("1" for "٥").
    result = first_pass([("٢٣4٥٩1٩", second), ("٠٩١", first), (CONTACT, contact)])
    readings = ocr._contact_line_shape_readings(img, 1.0, result)
    assert [_digits(r["text"]) for r in readings] == ["091 2345959"]
    # Right digits in two scripts: the selector finder reads those as they are.
    result = first_pass([("٢٣4٥٩٥٩", second), ("٠٩١", first), (CONTACT, contact)])
    assert ocr._contact_line_shape_readings(img, 1.0, result) == []


def test_reading_the_first_pass_already_has_gives_nothing():
    img, (contact, first, second) = rtl_line([CONTACT, *GROUPS])
    result = first_pass([(GROUPS[1], second), (GROUPS[0], first), (CONTACT, contact)])
    assert ocr._contact_line_shape_readings(img, 1.0, result) == []


def test_a_word_between_contact_word_and_garbage_stops_the_run():
    img, (contact, word, second) = rtl_line([CONTACT, "بها", GROUPS[1]])
    result = first_pass([("Yrtotot", second), ("بها", word), (CONTACT, contact)])
    assert ocr._contact_line_shape_readings(img, 1.0, result) == []


def test_no_reading_without_contact_word_or_with_too_few_digits():
    img, (word, first, second) = rtl_line(["مرحب", *GROUPS])
    result = first_pass([("Yrtotot", second), ("İsa3", first), ("مرحب", word)])
    assert ocr._contact_line_shape_readings(img, 1.0, result) == []
    img, (contact, first) = rtl_line([CONTACT, GROUPS[0]])
    result = first_pass([("İsa3", first), (CONTACT, contact)])
    assert ocr._contact_line_shape_readings(img, 1.0, result) == []


def test_unsure_digit_counts_only_where_the_first_pass_read_it_too():
    read = DigitShapeReading("123 4", 0.2, 0.02, (0.2, 0.1, 0.02, 0.3))
    assert ocr._sure(read, OcrWord("۱۲۳۴", 60.0, (0, 0, 1, 1), 1, 1, 1, 1))
    assert ocr._sure(read, OcrWord("12۳4", 60.0, (0, 0, 1, 1), 1, 1, 1, 1))
    # The unsure third digit read otherwise, or a word with no digits to compare.
    assert not ocr._sure(read, OcrWord("۱۲۲۴", 60.0, (0, 0, 1, 1), 1, 1, 1, 1))
    assert not ocr._sure(read, OcrWord("Yrto", 60.0, (0, 0, 1, 1), 1, 1, 1, 1))
    sure = DigitShapeReading("1234", 0.2, 0.1, (0.2, 0.1, 0.1, 0.3))
    assert ocr._sure(sure, OcrWord("Yrto", 60.0, (0, 0, 1, 1), 1, 1, 1, 1))


def test_touching_digits_are_cut_apart_only_when_asked():
    font = ImageFont.truetype(str(FONTS / "NotoNaskhArabic-Regular.ttf"), RTL_SIZE)
    img = Image.new("L", (200, 80), 255)
    draw = ImageDraw.Draw(img)
    draw.text((20, 10), "٥", font=font, fill=0)
    right = draw.textbbox((20, 10), "٥", font=font)[2]
    draw.text((right - 2, 10), "٥", font=font, fill=0)  # the two loops touch
    whole = ocr.match_digit_shapes(img)
    assert whole is not None and len(whole.text) == 1
    assert whole.worst > ocr._LINE_SHAPE_MAX_DISTANCE
    cut = ocr.match_digit_shapes(img, split=True)
    assert cut is not None and cut.text == "55"
    assert cut.worst <= ocr._LINE_SHAPE_MAX_DISTANCE and len(cut.margins) == 2
    # read_digit_shapes, which the other readers use, does not cut.
    assert ocr.read_digit_shapes(img) == (whole.text, whole.worst)


def test_selector_finder_takes_the_reading():
    from analysis.selectors import find_selectors_in_ocr

    img, (contact, first, second) = rtl_line([CONTACT, *GROUPS])
    result = first_pass([("Yrtotot", second), ("İsa3", first), (CONTACT, contact)])
    assert not [s for s in find_selectors_in_ocr(result) if s.kind == "phone"]
    result.settings["line_readings"] = ocr._contact_line_shape_readings(img, 1.0, result)
    phones = [s.value for s in find_selectors_in_ocr(result) if s.kind == "phone"]
    assert phones == ["+218912345959"]
