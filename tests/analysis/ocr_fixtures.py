"""Helpers shared by the selector and OCR tests: fictional numbers, OCR results built by hand,
and right-to-left lines drawn in the bundled Naskh font.

Every number is phonenumbers' example mobile number for its region with the last digits
varied, so none belongs to anyone.
"""

from __future__ import annotations

import json
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from PIL import Image, ImageDraw, ImageFont

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


FONTS = Path(__file__).resolve().parents[2] / "resources" / "fonts"
RTL_SIZE = 32


def rtl_line(texts: list[str]) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """One right-to-left line drawn in Naskh at RTL_SIZE, each text left of the one before,
    a space apart; the box of each."""
    font = ImageFont.truetype(str(FONTS / "NotoNaskhArabic-Regular.ttf"), RTL_SIZE)
    img = Image.new("L", (820, 90), 255)
    draw = ImageDraw.Draw(img)
    x, boxes = 800, []
    for text in texts:
        box = draw.textbbox((x, 20), text, font=font, anchor="ra", direction="rtl")
        draw.text((x, 20), text, font=font, fill=0, anchor="ra", direction="rtl")
        boxes.append(tuple(int(v) for v in box))
        x = box[0] - RTL_SIZE
    return img, boxes


def first_pass(words: list[tuple[str, tuple[int, int, int, int]]]) -> OcrResult:
    """A first OCR pass of one Arabic line: the given words with their boxes, in order."""
    ws = [OcrWord(text, 60.0, box, 1, 1, 1, k + 1) for k, (text, box) in enumerate(words)]
    return OcrResult(" ".join(w.text for w in ws), 60.0, ws, "tesseract", "5", {}, "Arabic")


def _draw_rtl(draw: ImageDraw.ImageDraw, y: int, texts: list[str],
              font: ImageFont.FreeTypeFont) -> list[tuple[int, int, int, int]]:
    x, boxes = 680, []
    for text in texts:
        box = draw.textbbox((x, y), text, font=font, anchor="ra", direction="rtl")
        draw.text((x, y), text, font=font, fill=0, anchor="ra", direction="rtl")
        boxes.append(tuple(int(v) for v in box))
        x = box[0] - RTL_SIZE // 2
    return boxes


def line_and_row(line: list[str], row: list[str], row_words: list[str] | None = None,
                 latin_row: bool = False) -> tuple[Image.Image, OcrResult]:
    """A right-to-left line and a row below it, both starting at the right, in Naskh at
    RTL_SIZE (the row in Noto Sans when ``latin_row``); the first pass has the line's words
    and, for the row, ``row_words`` over the row's pieces (none when None)."""
    naskh = ImageFont.truetype(str(FONTS / "NotoNaskhArabic-Regular.ttf"), RTL_SIZE)
    sans = ImageFont.truetype(str(FONTS / "NotoSans-Regular.ttf"), RTL_SIZE - 8)
    img = Image.new("L", (700, 140), 255)
    draw = ImageDraw.Draw(img)
    line_boxes = _draw_rtl(draw, 10, line, naskh)
    row_boxes = _draw_rtl(draw, 10 + int(RTL_SIZE * 1.6), row, sans if latin_row else naskh)
    words = [OcrWord(t, 60.0, b, 1, 1, 1, k + 1)
             for k, (t, b) in enumerate(zip(line, line_boxes, strict=True))]
    if row_words is not None:
        words += [OcrWord(t, 30.0, b, 1, 1, 2, k + 1)
                  for k, (t, b) in enumerate(zip(row_words, row_boxes, strict=True))]
    text = " ".join(w.text for w in words)
    return img, OcrResult(text, 60.0, words, "tesseract", "5", {}, "Arabic")


def with_digit_doubts(ocr: OcrResult, *texts: str, distance: float = 0.5) -> OcrResult:
    """``ocr`` with its words of these texts marked as matching no digit shape (as
    ``ocr_image`` marks them, at this shape distance), through JSON as the case stores OCR
    settings."""
    ocr.settings["digit_doubts"] = [{"box": list(w.box), "text": w.text, "distance": distance}
                                    for w in ocr.words if w.text in texts]
    ocr.settings = json.loads(json.dumps(ocr.settings))
    return ocr
