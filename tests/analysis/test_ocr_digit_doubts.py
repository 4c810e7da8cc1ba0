"""Words with Eastern digits that match no digit shape are kept as Tesseract read them and
marked as doubtful in ``settings["digit_doubts"]``, for the selector finder. These work on a
rendered line and a first pass made by hand, so they need no Tesseract."""

from __future__ import annotations

import json

from analysis import ocr
from tests.analysis.ocr_fixtures import first_pass, rtl_line


def test_word_with_eastern_digits_over_ink_that_is_no_digit_is_marked_doubtful():
    # "تماس ۴۵۸۶ شماره": the first pass gave digits for the digits and for the word after them.
    img, (contact, number, word) = rtl_line(["تماس", "۴۵۸۶", "شماره"])
    result = first_pass([("۲۵۸۲", word), ("۲۵۸۲", number), ("تماس", contact)])
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
    img, (contact, number) = rtl_line(["تماس", "۰۷۰۱۲۳۴۵۸۶"])
    result = first_pass([("۰۷۰۱۲۳۴۵۸۶", number), ("تماس", contact)])
    ocr._reread_eastern_digits(img, 1.0, result)
    assert "digit_doubts" not in result.settings


def test_latin_words_are_never_marked():
    img, (contact, number, word) = rtl_line(["تماس", "۴۵۸۶", "شماره"])
    result = first_pass([("Yrtot", word), ("۴۵۸۶", number), ("تماس", contact)])
    ocr._reread_eastern_digits(img, 1.0, result)
    assert "digit_doubts" not in result.settings
