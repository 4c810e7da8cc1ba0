"""The rest of an Eastern-digit number that a right-to-left line ends with, wrapped onto a row
the first pass left empty, read by digit shape (``ocr._wrapped_eastern_rest_readings``). These
work on a rendered image and a first pass made by hand, so they need no Tesseract."""

from __future__ import annotations

import pytest

from analysis import ocr
from analysis.ocr import OcrResult
from analysis.selectors import find_selectors_in_ocr
from tests.analysis.ocr_fixtures import line_and_row

# A fictional Iranian mobile from phonenumbers' example (0912 345 6789), last digits varied:
# "۰۹۱۲ ۳۴۵ ۶۷۳۶". Its first two groups alone, "0912345", are a valid Italian fixed line.
IR = "+989123456736"
HEAD = ["۰۹۱۲", "۳۴۵"]
REST = "۶۷۳۶"
LINE = ["خانواده‌ها", "اطلاعات", *HEAD]


def _phones(result: OcrResult) -> list[str]:
    return [s.value for s in find_selectors_in_ocr(result) if s.kind == "phone"]


def test_rest_of_a_wrapped_number_on_an_empty_row_is_read_by_shape():
    img, result = line_and_row(LINE, [REST])
    readings = ocr._wrapped_eastern_rest_readings(img, 1.0, result)
    assert [r["text"] for r in readings] == [" ".join([*HEAD, REST])]
    line = ocr._union(result.words)
    assert readings[0]["box"][:3] == [line[0], line[1], line[2]]  # with the line
    assert readings[0]["box"][3] > line[3]  # and the row below
    assert [w.text for w in result.words] == LINE  # the first pass is left alone


def test_selector_finder_takes_the_whole_number_over_the_cut_one():
    img, result = line_and_row(LINE, [REST])
    # The cut number read plainly is an Italian fixed line shorter than a mobile: nothing.
    assert _phones(result) == []
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
    img, result = line_and_row(line, row, row_words)
    assert ocr._wrapped_eastern_rest_readings(img, 1.0, result) == []
