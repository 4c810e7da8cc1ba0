"""Font loading and mixed-script text drawing for the synthetic generator.

Owns the bundled Noto fonts (resources/fonts), the Raqm requirement, and a small
run-based renderer: the Arabic font has no Latin letters and the Latin font no Arabic,
so each line is split into Arabic-script and other runs, each run is shaped by Raqm with
its own font, and the runs are placed right-to-left for RTL paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageDraw, ImageFont, features

FONT_DIR = Path(__file__).resolve().parent.parent / "resources" / "fonts"
_FONT_FILES = {
    ("sans", False): "NotoSans-Regular.ttf",
    ("sans", True): "NotoSans-Bold.ttf",
    ("naskh", False): "NotoNaskhArabic-Regular.ttf",
    ("naskh", True): "NotoNaskhArabic-Bold.ttf",
}
# Naskh glyphs sit small next to Noto Sans at the same pixel size; this evens them out.
_NASKH_SCALE = 1.12
ARABIC_RE = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")


class RaqmMissingError(RuntimeError):
    """Pillow was built without libraqm, so Arabic and Persian cannot be shaped."""


def require_raqm() -> None:
    """Raise a clear error when Pillow cannot shape complex scripts."""
    if not features.check("raqm"):
        raise RaqmMissingError(
            "Pillow has no Raqm support, so Arabic and Persian text cannot be shaped; "
            "install Pillow with libraqm (fribidi + harfbuzz)."
        )


@lru_cache(maxsize=256)
def font(size: int, bold: bool = False, script: str = "sans") -> ImageFont.FreeTypeFont:
    """Return a cached Raqm-layout font from resources/fonts."""
    path = FONT_DIR / _FONT_FILES[(script, bold)]
    if not path.is_file():
        raise FileNotFoundError(f"Bundled font {path} is missing.")
    px = max(6, round(size * (_NASKH_SCALE if script == "naskh" else 1.0)))
    return ImageFont.truetype(str(path), px, layout_engine=ImageFont.Layout.RAQM)


def is_arabic(text: str) -> bool:
    return bool(ARABIC_RE.search(text))


@dataclass
class Run:
    text: str
    arabic: bool


def split_runs(line: str) -> list[Run]:
    """Group space-separated tokens into runs of the same script, keeping logical order."""
    runs: list[Run] = []
    for tok in line.split(" "):
        if not tok:
            continue
        arab = is_arabic(tok) or bool(re.search(r"[\u0660-\u0669\u06F0-\u06F9]", tok))
        if runs and runs[-1].arabic == arab:
            runs[-1].text += " " + tok
        else:
            runs.append(Run(tok, arab))
    return runs


def _run_font(run: Run, size: int, bold: bool) -> ImageFont.FreeTypeFont:
    return font(size, bold, "naskh" if run.arabic else "sans")


def text_width(line: str, size: int, bold: bool = False) -> float:
    runs = split_runs(line)
    if not runs:
        return 0.0
    space = font(size, bold).getlength(" ")
    total = 0.0
    for run in runs:
        f = _run_font(run, size, bold)
        total += f.getlength(run.text, direction="rtl" if run.arabic else "ltr")
    return total + space * (len(runs) - 1)


def draw_line(
    draw: ImageDraw.ImageDraw,
    x: float,
    baseline: float,
    line: str,
    size: int,
    fill,
    *,
    bold: bool = False,
    rtl: bool = False,
    right: float | None = None,
) -> tuple[float, float]:
    """Draw one line with its left edge at x (or right edge at `right` when rtl).

    Returns the horizontal extent (x0, x1) actually covered.
    """
    runs = split_runs(line)
    space = font(size, bold).getlength(" ")
    widths = [
        _run_font(r, size, bold).getlength(r.text, direction="rtl" if r.arabic else "ltr")
        for r in runs
    ]
    total = sum(widths) + space * max(0, len(runs) - 1)
    if rtl:
        x1 = right if right is not None else x + total
        cursor = x1
        for run, w in zip(runs, widths, strict=True):
            cursor -= w
            _draw_run(draw, cursor, baseline, run, size, bold, fill)
            cursor -= space
        return x1 - total, x1
    cursor = x
    for run, w in zip(runs, widths, strict=True):
        _draw_run(draw, cursor, baseline, run, size, bold, fill)
        cursor += w + space
    return x, x + total


def _draw_run(draw, x, baseline, run: Run, size, bold, fill) -> None:
    f = _run_font(run, size, bold)
    draw.text(
        (x, baseline), run.text, font=f, fill=fill, anchor="ls",
        direction="rtl" if run.arabic else "ltr",
    )


def wrap(text: str, width: float, size: int, bold: bool = False) -> list[str]:
    """Greedy word wrap by measured width; explicit newlines start new lines."""
    lines: list[str] = []
    for para in text.split("\n"):
        words = para.split(" ")
        cur = ""
        for w in words:
            trial = w if not cur else cur + " " + w
            if cur and text_width(trial, size, bold) > width:
                lines.append(cur)
                cur = w
            else:
                cur = trial
        lines.append(cur)
    return lines
