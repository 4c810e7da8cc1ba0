"""OCR fixtures: screenshot-like images drawn with Pillow and the bundled Noto fonts, and the
rule that OCR tests skip without Tesseract, except under CI=true where they fail."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

FONTS = Path(__file__).resolve().parents[2] / "resources" / "fonts"
LANGS = "eng+ara+fas+fra+tur"


@pytest.fixture()
def require_ocr() -> None:
    from analysis.ocr import ocr_status

    status = ocr_status(LANGS)
    if status.available and not status.missing_langs:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(status.message)
    pytest.skip(status.message)


Render = Callable[..., Image.Image]


@pytest.fixture()
def render() -> Render:
    """render(lines, rtl=False, dark=False, size=26, width=720) -> a post-like screenshot."""

    def draw(
        lines: list[str], *, rtl: bool = False, dark: bool = False, size: int = 26,
        width: int = 720,
    ) -> Image.Image:
        font_file = "NotoNaskhArabic-Regular.ttf" if rtl else "NotoSans-Regular.ttf"
        font = ImageFont.truetype(str(FONTS / font_file), size)
        line_h = int(size * (2.0 if rtl else 1.6))
        bg, fg = ((24, 25, 26), (228, 230, 235)) if dark else ((255, 255, 255), (20, 20, 20))
        img = Image.new("RGB", (width, line_h * len(lines) + 2 * size), bg)
        d = ImageDraw.Draw(img)
        y = size
        for line in lines:
            if rtl:
                d.text((width - size, y), line, font=font, fill=fg, anchor="ra", direction="rtl")
            else:
                d.text((size, y), line, font=font, fill=fg)
            y += line_h
        return img

    return draw
