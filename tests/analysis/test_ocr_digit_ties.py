"""The digit-shape reader settles a near-tie between the Arabic-Indic "٢" and "٣" by the teeth
at the top of the blob, and marks the digit doubtful when the teeth do not say. These draw
digit words in the bundled Naskh font on a card of text, prepared as ``ocr_image`` prepares a
screenshot, and build the first pass by hand, so they need no Tesseract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from analysis import ocr
from analysis.ocr import OcrResult, OcrWord

NASKH = Path(ocr.__file__).resolve().parent.parent / "resources" / "fonts" / (
    "NotoNaskhArabic-Regular.ttf")
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
LINE = "للتواصل واتساب رحلة آمنة إلى إيطاليا"


def card(px: int, dark: bool, digits: str, dx: float
         ) -> tuple[Image.Image, float, tuple[int, int, int, int], tuple[int, int, int, int]]:
    """(prepared image, scale, the digit word's box and its line's box in card pixels): lines of
    Arabic text with one word of Arabic-Indic ``digits`` among them, drawn at ``px`` with the
    word ``dx`` of a pixel off the grid, light or dark."""
    font = ImageFont.truetype(str(NASKH), px, layout_engine=ImageFont.Layout.RAQM)
    bg, fg = ((36, 37, 38), (228, 230, 235)) if dark else ((255, 255, 255), (5, 5, 5))
    step = int(px * 1.25)
    img = Image.new("RGB", (420, step * 6), bg)
    draw = ImageDraw.Draw(img)
    word = "".join(ARABIC_INDIC[int(d)] for d in digits)
    box = line = (0, 0, 0, 0)
    for i in range(5):
        y = step * (i + 1)
        if i == 2:
            draw.text((40 + dx, y), word, font=font, fill=fg, anchor="ls")
            x0, _, x1, _ = draw.textbbox((40 + dx, y), word, font=font, anchor="ls")
            box = (int(x0), int(y - 0.6 * px), int(x1) + 1, int(y + 0.1 * px))
            line = (int(x0), int(y - 0.9 * px), int(x1) + 1, int(y + 0.35 * px))
        else:
            draw.text((400, y), LINE, font=font, fill=fg, anchor="rs", direction="rtl")
    prepared, scale, _ = ocr.preprocess(img, "auto")
    return prepared, scale, box, line


def crop(prepared: Image.Image, scale: float, box: tuple[int, int, int, int]) -> Image.Image:
    return prepared.crop(tuple(int(round(v * scale)) for v in box))


def first_pass(text: str, box: tuple[int, int, int, int]) -> OcrResult:
    """A first pass that read the digit word as ``text``, beside a contact word to its right."""
    right = (box[2] + 8, box[1], box[2] + 60, box[3])
    words = [OcrWord(text, 60.0, box, 1, 1, 1, 1), OcrWord("للتواصل", 90.0, right, 1, 1, 1, 2)]
    return OcrResult(f"{text} للتواصل", 75.0, words, "tesseract", "5", {}, "Arabic")


def eastern(digits: str) -> str:
    return "".join("۰۱۲۳۴۵۶۷۸۹"[int(d)] for d in digits)


# (px, dark, digits, dx): words whose "٢" the shapes alone take for "٣" by under 0.01.
SETTLED = [(14, False, "1232", 0.5), (14, True, "3232", 0.75), (12, True, "0320", 0.0)]


@pytest.mark.parametrize(("px", "dark", "digits", "dx"), SETTLED)
def test_a_close_2_3_tie_is_settled_by_the_teeth(px, dark, digits, dx):
    prepared, scale, _, line = card(px, dark, digits, dx)
    read = ocr.match_digit_shapes(crop(prepared, scale, line))
    assert read is not None
    assert read.text == digits
    assert "prongs" in read.ties and not read.unclear
    # The settled digit is as sure as its distance to the digits outside the pair says.
    k = read.ties.index("prongs")
    assert read.margins[k] >= 0


def test_a_settled_tie_replaces_the_first_pass_word():
    prepared, scale, box, line = card(14, False, "1232", 0.5)
    result = first_pass(eastern("1332"), box)  # the first pass made the same mistake
    ocr._reread_eastern_digits(prepared, scale, result)
    assert result.words[0].text == eastern("1232")
    assert result.settings["digit_shapes"][0]["tesseract"] == eastern("1332")
    assert "digit_doubts" not in result.settings


def test_a_tie_the_teeth_cannot_settle_makes_the_word_doubtful():
    # At 10 px the "٣" of "٠١٢٣" is 0.000 from "٢" and its teeth have run into one blot.
    prepared, scale, box, line = card(10, False, "0123", 0.5)
    read = ocr.match_digit_shapes(crop(prepared, scale, line))
    assert read is not None and read.unclear == 1
    assert not ocr._sure_blobs(read)
    result = first_pass(eastern("0133"), box)
    ocr._reread_eastern_digits(prepared, scale, result)
    # Kept as Tesseract read it and marked, so the selector finder takes no number from it.
    assert result.words[0].text == eastern("0133")
    assert [d["box"] for d in result.settings["digit_doubts"]] == [list(box)]
    # Agreeing with the first pass does not make a coin toss sure.
    assert not ocr._sure(read, OcrWord(eastern(read.text.replace(" ", "")), 60.0, box, 1, 1, 1,
                                       1))


def blob(px: int, dark: bool, digit: str) -> np.ndarray:
    """The mask of one Arabic-Indic digit drawn between zeros, as the shape reader sees it."""
    prepared, scale, _, line = card(px, dark, f"0{digit}0", 0.0)
    arr = np.asarray(crop(prepared, scale, line).convert("L"))
    ink = arr <= ocr._otsu_threshold(arr)
    if ink.mean() > 0.5:
        ink = ~ink
    labels, _ = ndimage.label(ink, structure=np.ones((3, 3), bool))
    pieces = [labels[sl] == k for k, sl in enumerate(ndimage.find_objects(labels), start=1)]
    return max(pieces, key=lambda m: m.shape[0])


@pytest.mark.parametrize("dark", [False, True])
def test_the_teeth_never_take_one_digit_of_the_pair_for_the_other(dark):
    said = 0
    for px in range(11, 21):
        for digit in "23":
            teeth = ocr._teeth(blob(px, dark, digit))
            assert teeth in (digit, None), (px, digit)
            said += teeth is not None
    assert said >= 16  # of 20: the teeth settle most ties, not a few


def test_only_the_2_3_pair_and_only_a_close_tie_goes_to_the_teeth():
    mask = np.ones((12, 4), bool)  # a bar: no teeth at all
    # Another close pair is left to the shapes.
    assert ocr._settle_tie([(0.2, "5"), (0.201, "7"), (0.3, "2")], mask) == (
        0.2, "5", pytest.approx(0.001), "")
    # "٢"/"٣" far enough apart: the shapes decide.
    assert ocr._settle_tie([(0.2, "2"), (0.23, "3"), (0.4, "4")], mask)[1:] == (
        "2", pytest.approx(0.03), "")
    # A close "٢"/"٣" over a blob that shows no teeth: a guess, marked as one.
    assert ocr._settle_tie([(0.2, "3"), (0.205, "2"), (0.4, "4")], mask)[1::2] == (
        "3", "unclear")
