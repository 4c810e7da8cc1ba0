"""Garbled Eastern-digit tokens right after a contact word in its own right-to-left line, read
again by digit shape: which tokens are read, when a reading is sure enough to give, and
touching digits cut apart. These work on a rendered image and a first pass made by hand, so
they need no Tesseract."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from analysis import ocr
from analysis.ocr import DigitShapeReading, OcrResult, OcrWord

FONTS = Path(__file__).resolve().parents[2] / "resources" / "fonts"
SIZE = 32
CONTACT = "للاستفسار"
# A fictional Libyan mobile in Arabic-Indic digits as adverts write it: "091-2345959".
GROUPS = ("٠٩١", "٢٣٤٥٩٥٩")


def _line(texts: list[str]) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """One right-to-left line: each text drawn in Naskh left of the one before, a space apart;
    the box of each."""
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


def _digits(text: str) -> str:
    return "".join(ocr.EASTERN_DIGITS.get(ch, ch) for ch in text)


def test_latin_letter_garbage_after_contact_word_is_read_by_shape():
    img, (contact, first, second) = _line([CONTACT, *GROUPS])
    # The first pass read the number after the contact word as Latin letters.
    result = _first_pass([("Yrtotot", second), ("İsa3", first), (CONTACT, contact)])
    readings = ocr._contact_line_shape_readings(img, 1.0, result)
    assert len(readings) == 1
    # Groups right to left, as the line reads; the first pass's words are left alone.
    assert _digits(readings[0]["text"]) == "091 2345959"
    assert [w.text for w in result.words] == ["Yrtotot", "İsa3", CONTACT]
    assert readings[0]["box"][0] == second[0] and readings[0]["box"][2] == first[2]


def test_mixed_digit_scripts_after_contact_word_are_read_by_shape():
    img, (contact, first, second) = _line([CONTACT, *GROUPS])
    # Two scripts in one word, one digit wrong ("1" for "٥").
    result = _first_pass([("٢٣4٥٩1٩", second), ("٠٩١", first), (CONTACT, contact)])
    readings = ocr._contact_line_shape_readings(img, 1.0, result)
    assert [_digits(r["text"]) for r in readings] == ["091 2345959"]
    # Right digits in two scripts: the selector finder reads those as they are.
    result = _first_pass([("٢٣4٥٩٥٩", second), ("٠٩١", first), (CONTACT, contact)])
    assert ocr._contact_line_shape_readings(img, 1.0, result) == []


def test_reading_the_first_pass_already_has_gives_nothing():
    img, (contact, first, second) = _line([CONTACT, *GROUPS])
    result = _first_pass([(GROUPS[1], second), (GROUPS[0], first), (CONTACT, contact)])
    assert ocr._contact_line_shape_readings(img, 1.0, result) == []


def test_a_word_between_contact_word_and_garbage_stops_the_run():
    img, (contact, word, second) = _line([CONTACT, "بها", GROUPS[1]])
    result = _first_pass([("Yrtotot", second), ("بها", word), (CONTACT, contact)])
    assert ocr._contact_line_shape_readings(img, 1.0, result) == []


def test_no_reading_without_contact_word_or_with_too_few_digits():
    img, (word, first, second) = _line(["مرحب", *GROUPS])
    result = _first_pass([("Yrtotot", second), ("İsa3", first), ("مرحب", word)])
    assert ocr._contact_line_shape_readings(img, 1.0, result) == []
    img, (contact, first) = _line([CONTACT, GROUPS[0]])
    result = _first_pass([("İsa3", first), (CONTACT, contact)])
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
    font = ImageFont.truetype(str(FONTS / "NotoNaskhArabic-Regular.ttf"), SIZE)
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

    img, (contact, first, second) = _line([CONTACT, *GROUPS])
    result = _first_pass([("Yrtotot", second), ("İsa3", first), (CONTACT, contact)])
    assert not [s for s in find_selectors_in_ocr(result) if s.kind == "phone"]
    result.settings["line_readings"] = ocr._contact_line_shape_readings(img, 1.0, result)
    phones = [s.value for s in find_selectors_in_ocr(result) if s.kind == "phone"]
    assert phones == ["+218912345959"]
