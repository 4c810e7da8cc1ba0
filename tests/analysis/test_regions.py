"""Photo regions in drawn screenshots: phone and desktop, light and dark, feeds, cut-off photos.

The drawing helpers here are also used by bench/hash_bench.py to make screenshot-like files.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import phonenumbers
import pytest
from PIL import Image, ImageDraw, ImageFont

from analysis.regions import Region, find_photo_regions

FONTS = Path(__file__).resolve().parents[2] / "resources" / "fonts"

Box = tuple[int, int, int, int]

THEMES = {
    "light": {"page": (240, 242, 245), "card": (255, 255, 255), "text": (28, 30, 33),
              "muted": (101, 103, 107), "bar": (255, 255, 255), "accent": (24, 119, 242)},
    "dark": {"page": (24, 25, 26), "card": (36, 37, 38), "text": (228, 230, 235),
             "muted": (176, 179, 184), "bar": (36, 37, 38), "accent": (45, 136, 255)},
}


def font(size: int, bold: bool = False, arabic: bool = False) -> ImageFont.FreeTypeFont:
    name = "NotoNaskhArabic" if arabic else "NotoSans"
    return ImageFont.truetype(str(FONTS / f"{name}-{'Bold' if bold else 'Regular'}.ttf"), size)


def fictional_number(last: int) -> str:
    example = phonenumbers.example_number_for_type("GB", phonenumbers.PhoneNumberType.MOBILE)
    national = str(example.national_number)
    example.national_number = int(national[:-2] + f"{last % 100:02d}")
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def draw_photo(width: int, height: int, seed: int) -> Image.Image:
    """A boat-photo stand-in: sky and sea gradients, a hull, a sun, and sensor-like noise."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0.0, 1.0, height)[:, None]
    x = np.linspace(0.0, 1.0, width)[None, :]
    tint = rng.uniform(0.6, 1.0, 3)
    horizon = rng.uniform(0.35, 0.6)
    flat = np.zeros((height, width))
    sky = np.stack([120 + 80 * y * tint[0] + 20 * x + flat, 160 + 60 * y * tint[1] + flat,
                    230 - 30 * y + flat], -1)
    sea = np.stack([20 + 30 * y + 10 * x + flat, 70 + 50 * y * tint[1] + flat,
                    110 + 60 * y * tint[2] + flat], -1)
    arr = np.where((y + flat < horizon)[..., None], sky, sea)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    r = int(min(width, height) * rng.uniform(0.05, 0.1))
    cx, cy = int(width * rng.uniform(0.15, 0.85)), int(height * horizon * 0.4)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(250, 220, 120))
    hx, hy = int(width * rng.uniform(0.2, 0.5)), int(height * (horizon + 0.1))
    hw, hh = int(width * 0.4), int(height * 0.12)
    draw.polygon([(hx, hy), (hx + hw, hy), (hx + hw - hh, hy + hh), (hx + hh // 2, hy + hh)],
                 fill=tuple(int(v) for v in rng.integers(60, 200, 3)))
    draw.rectangle((hx + hw // 3, hy - hh, hx + hw // 3 + hw // 4, hy), fill=(235, 235, 230))
    for _ in range(4):
        # Clouds and a shoreline with buildings give the picture real structure.
        cx, cy = int(rng.integers(0, width)), int(rng.integers(0, int(height * horizon * 0.8)))
        rx, ry = int(width * rng.uniform(0.05, 0.15)), int(height * rng.uniform(0.02, 0.06))
        draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=(240, 242, 245))
    shore = int(height * horizon)
    for _ in range(int(rng.integers(3, 7))):
        bx = int(width * rng.uniform(0, 0.9))
        bh = int(height * rng.uniform(0.03, 0.12))
        draw.rectangle((bx, shore - bh, bx + width // 14, shore),
                       fill=tuple(int(v) for v in rng.integers(80, 220, 3)))
    for _ in range(10):
        px, py = int(rng.integers(0, width)), int(rng.integers(shore, height))
        draw.line((px, py, px + width // 8, py + 3), fill=(200, 220, 235), width=3)
    noisy = np.asarray(img, dtype=np.float32) + rng.normal(0, 6, (height, width, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")


def _text_lines(draw: ImageDraw.ImageDraw, x: int, y: int, lines: list[str], size: int,
                colour: tuple[int, int, int], spacing: float = 1.45) -> int:
    for line in lines:
        arabic = any("\u0600" <= ch <= "\u06ff" for ch in line)
        draw.text((x, y), line, font=font(size, arabic=arabic), fill=colour)
        y += int(size * spacing)
    return y


def _post(img: Image.Image, theme: dict, x: int, y: int, width: int, scale: float,
          photo_size: tuple[int, int], seed: int) -> tuple[int, Box]:
    """Draw one post (header, text, photo, reactions) with its top at y; return (bottom, box)."""
    draw = ImageDraw.Draw(img)
    pad = int(32 * scale)
    avatar = int(100 * scale)
    draw.ellipse((x + pad, y + pad, x + pad + avatar, y + pad + avatar),
                 fill=theme["accent"], outline=theme["muted"])
    draw.text((x + pad + avatar // 3, y + pad + avatar // 4), "S", font=font(int(48 * scale), True),
              fill=(255, 255, 255))
    name_x = x + 2 * pad + avatar
    draw.text((name_x, y + pad + 4), f"Sea Star Travel {seed} (fictional)",
              font=font(int(40 * scale), bold=True), fill=theme["text"])
    draw.text((name_x, y + pad + int(52 * scale)), "3 h · Public", font=font(int(32 * scale)),
              fill=theme["muted"])
    ty = y + 2 * pad + avatar
    lines = [
        "Weekly departures, safe boat, experienced captain.",
        f"Call or WhatsApp {fictional_number(seed)} for prices.",
        "رحلات أسبوعية، اتصل بنا، نص تجريبي",
    ]
    ty = _text_lines(draw, x + pad, ty, lines, int(40 * scale), theme["text"]) + max(16, pad // 2)
    pw, ph = photo_size
    px = x + (width - pw) // 2
    img.paste(draw_photo(pw, ph, seed), (px, ty))
    box = (px, ty, px + pw, ty + ph)
    ry = ty + ph + max(16, pad // 2)
    for k, label in enumerate(["Like", "Comment", "Share"]):
        cx = x + pad + k * width // 3
        draw.ellipse((cx, ry, cx + int(36 * scale), ry + int(36 * scale)), fill=theme["muted"])
        draw.text((cx + int(50 * scale), ry - 2), label, font=font(int(34 * scale)),
                  fill=theme["muted"])
    return ry + int(36 * scale) + pad, box


def draw_screenshot(layout: str = "phone", theme_name: str = "light", posts: int = 1,
                    cut_off: bool = False, seed: int = 1) -> tuple[Image.Image, list[Box]]:
    """A drawn social-media screenshot and the true boxes of the photos visible in it."""
    theme = THEMES[theme_name]
    rnd = random.Random(seed)
    if layout == "phone":
        size, col_x, col_w, scale = (1080, 2340), 0, 1080, 1.0
    else:
        size, col_x, col_w, scale = (1440, 900), 380, 680, 0.4
    img = Image.new("RGB", size, theme["page"])
    draw = ImageDraw.Draw(img)
    if layout == "phone":
        draw.rectangle((0, 0, size[0], 80), fill=theme["bar"])
        draw.text((40, 18), "09:41", font=font(36, True), fill=theme["text"])
        for k in range(3):
            draw.rectangle((900 + k * 50, 28, 930 + k * 50, 58), fill=theme["text"])
        draw.rectangle((0, 80, size[0], 220), fill=theme["bar"])
        draw.text((40, 110), "facebook", font=font(64, True), fill=theme["accent"])
        top = 240
    else:
        draw.rectangle((0, 0, size[0], 56), fill=theme["bar"])
        draw.text((20, 10), "facebook", font=font(28, True), fill=theme["accent"])
        draw.rounded_rectangle((560, 10, 880, 46), 18, fill=theme["page"])
        draw.text((580, 16), "Search", font=font(18), fill=theme["muted"])
        _text_lines(draw, 20, 80, [f"Group {k} (fictional)" for k in range(10)], 16,
                    theme["text"], spacing=2.2)
        _text_lines(draw, 1160, 80, [f"Contact {k} (fictional)" for k in range(10)], 16,
                    theme["text"], spacing=2.2)
        top = 72
    boxes: list[Box] = []
    y = top
    for k in range(posts):
        pw = col_w if layout == "phone" else col_w - 2 * int(32 * scale)
        ph = int(pw * rnd.uniform(0.55, 0.85))
        if layout == "desktop":
            ph = min(ph, 300)
        card_h = 2000
        draw.rectangle((col_x, y, col_x + col_w, y + card_h), fill=theme["card"])
        if cut_off and k == posts - 1:
            # Scroll so the last photo runs off the bottom of the screen.
            y = max(y, size[1] - int(ph * 0.6) - int(350 * scale))
            draw.rectangle((col_x, y, col_x + col_w, y + card_h), fill=theme["card"])
        bottom, box = _post(img, theme, col_x, y, col_w, scale, (pw, ph), seed * 10 + k)
        clipped = (box[0], max(0, box[1]), min(size[0], box[2]), min(size[1], box[3]))
        if clipped[3] - clipped[1] > 40:
            boxes.append(clipped)
        y = bottom + int(24 * scale)
        draw.rectangle((col_x, y - int(24 * scale), col_x + col_w, y), fill=theme["page"])
        if y >= size[1]:
            break
    return img, boxes


def iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def assert_found(regions: list[Region], truth: list[Box]) -> None:
    photos = [r for r in regions if r.kind == "photo"]
    assert len(photos) == len(truth), (photos, truth)
    for box in truth:
        best = max(iou(box, r.box) for r in photos)
        assert best >= 0.9, (box, photos)


CASES = [
    ("phone", "light", 1, False),
    ("phone", "dark", 1, False),
    ("phone", "light", 2, False),
    ("phone", "dark", 2, True),
    ("phone", "light", 1, True),
    ("desktop", "light", 1, False),
    ("desktop", "dark", 1, False),
    ("desktop", "light", 2, True),
    ("desktop", "dark", 2, True),
]


@pytest.mark.parametrize(("layout", "theme", "posts", "cut_off"), CASES)
def test_photo_regions_in_screenshots(layout: str, theme: str, posts: int, cut_off: bool) -> None:
    img, truth = draw_screenshot(layout, theme, posts, cut_off, seed=posts * 3 + len(theme))
    assert truth
    assert_found(find_photo_regions(img), truth)


def test_boxes_survive_jpeg_recompression(tmp_path: Path) -> None:
    img, truth = draw_screenshot("phone", "light", 2, False, seed=5)
    img.save(tmp_path / "shot.jpg", quality=70)
    with Image.open(tmp_path / "shot.jpg") as reopened:
        assert_found(find_photo_regions(reopened), truth)


def test_boxes_are_in_original_pixels_at_any_scale() -> None:
    img, truth = draw_screenshot("phone", "dark", 1, False, seed=8)
    half = img.resize((img.width // 2, img.height // 2))
    halved = [tuple(v // 2 for v in box) for box in truth]
    assert_found(find_photo_regions(half), halved)


def test_plain_photo_yields_itself() -> None:
    photo = draw_photo(800, 600, seed=3)
    regions = find_photo_regions(photo)
    assert [r.kind for r in regions] == ["whole"]
    assert regions[0].box == (0, 0, 800, 600)


def test_text_only_screenshot_has_no_photo() -> None:
    theme = THEMES["light"]
    img = Image.new("RGB", (1080, 2340), theme["page"])
    draw = ImageDraw.Draw(img)
    lines = [f"Line {k}: departures every week, ask for prices (fictional)" for k in range(40)]
    _text_lines(draw, 40, 100, lines, 40, theme["text"])
    draw.ellipse((40, 2200, 140, 2300), fill=theme["accent"])
    assert find_photo_regions(img) == []


def test_empty_and_flat_images() -> None:
    assert find_photo_regions(Image.new("L", (300, 200), 128)) == []
    with pytest.raises(ValueError, match="without pixels"):
        find_photo_regions(Image.new("L", (0, 0)))
