"""Helpers shared by the selector tests: fictional numbers and OCR results built by hand.

Every number is phonenumbers' example mobile number for its region with the last digits
varied, so none belongs to anyone.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from analysis.ocr import OcrResult, OcrWord
from analysis.selectors import find_selectors_in_ocr


def e164(region: str, last: str = "78") -> str:
    """The region's example mobile number with its last digits replaced, in E.164."""
    ex = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    national = str(ex.national_number)
    num = phonenumbers.parse(f"+{ex.country_code}{national[: -len(last)]}{last}", None)
    assert phonenumbers.is_valid_number(num)
    return phonenumbers.format_number(num, PhoneNumberFormat.E164)


def ocr_of(lines: list[tuple[int, int, list[str]]]) -> OcrResult:
    """An OcrResult with one word box per word: each line is (block, top y, words)."""
    words = []
    for ln, (block, y, texts) in enumerate(lines, 1):
        x = 10
        for wn, text in enumerate(texts, 1):
            words.append(OcrWord(text, 90.0, (x, y, x + 10 * len(text), y + 15), block, 1, ln,
                                 wn))
            x += 10 * len(text) + 8
    text = "\n".join(" ".join(t) for _, _, t in lines)
    return OcrResult(text, 90.0, words, "tesseract", "5", {}, None)


def ocr_result(lines: list[list[str]]) -> OcrResult:
    """An OcrResult as ocr_image builds it: one word box per word, 20 px per line."""
    return ocr_of([(1, ln * 20, line) for ln, line in enumerate(lines, 1)])


def with_second_reading(ocr: OcrResult, line: int, text: str) -> OcrResult:
    """``ocr`` with a second reading of its line ``line`` (as the English line pass adds)."""
    boxes = [w.box for w in ocr.words if w.line == line]
    box = [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
           max(b[3] for b in boxes)]
    ocr.settings.setdefault("line_readings", []).append({"text": text, "box": box})
    return ocr


def phones(ocr: OcrResult) -> list[str]:
    """The phone numbers found in ``ocr``, sorted."""
    return sorted(s.value for s in find_selectors_in_ocr(ocr) if s.kind == "phone")
