"""Screenshots of advert posts, drawn the way analysts capture them.

Owns three layout families: "fb_phone" (Facebook app feed on Android phones), "fb_desktop"
(Facebook in a desktop browser) and "telegram_phone" (a Telegram channel on a phone; the
held-out family), and one drawn only when asked for, "instagram_phone" (an Instagram feed on a
phone: photo first, the caption under it; a second held-out family), each in light and dark
themes, with status bars, page names, avatars,
wrapped text (numbers broken across lines, right-to-left lines with numbers inside), the
photo, the reaction bar, photos scrolled partly off screen and two-post feeds. The feed is
drawn on a tall canvas and a viewport is cut from it, so every photo's visible box and
visible fraction are exact.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from synthetic import fonts
from synthetic.reposts import Placed
from synthetic.text import RTL_LANGUAGES, Advert

FAMILIES = ("fb_phone", "fb_desktop", "telegram_phone")
HELD_OUT_FAMILY = "telegram_phone"
# Families drawn only when asked for (``generate(families=...)``), so the default collections
# stay the same; all are held out: no reading rule has been made from them.
EXTRA_FAMILIES = ("instagram_phone",)
HELD_OUT_FAMILIES = (HELD_OUT_FAMILY, *EXTRA_FAMILIES)
PHONE_SIZES = ((1080, 2340), (720, 1600), (1080, 2400))
DESKTOP_SIZES = ((1440, 900), (1920, 1080))

_THEMES = {
    ("fb", "light"): dict(bg=(240, 242, 245), card=(255, 255, 255), text=(5, 5, 5),
                          sub=(101, 103, 107), accent=(24, 119, 242), line=(206, 208, 212),
                          bar=(255, 255, 255)),
    ("fb", "dark"): dict(bg=(24, 25, 26), card=(36, 37, 38), text=(228, 230, 235),
                         sub=(176, 179, 184), accent=(45, 136, 255), line=(62, 64, 66),
                         bar=(36, 37, 38)),
    ("tg", "light"): dict(bg=(158, 187, 139), card=(255, 255, 255), text=(0, 0, 0),
                          sub=(120, 140, 155), accent=(81, 125, 162), line=(220, 220, 220),
                          bar=(81, 125, 162)),
    ("ig", "light"): dict(bg=(255, 255, 255), card=(255, 255, 255), text=(38, 38, 38),
                          sub=(142, 142, 142), accent=(0, 149, 246), line=(219, 219, 219),
                          bar=(255, 255, 255)),
    ("ig", "dark"): dict(bg=(0, 0, 0), card=(0, 0, 0), text=(245, 245, 245),
                         sub=(168, 168, 168), accent=(0, 149, 246), line=(38, 38, 38),
                         bar=(0, 0, 0)),
    ("tg", "dark"): dict(bg=(14, 22, 33), card=(24, 37, 51), text=(245, 245, 245),
                         sub=(110, 130, 150), accent=(100, 170, 230), line=(40, 50, 60),
                         bar=(23, 33, 43)),
}
_AVATAR_COLOURS = ((230, 80, 60), (40, 150, 90), (60, 110, 220), (200, 120, 30),
                   (150, 70, 180), (20, 140, 160))


@dataclass
class Post:
    """One post in a feed: who posted it, its advert and the photo it carries."""

    campaign: str
    page: str
    advert: Advert
    photo_id: str
    photo: Image.Image
    posted: str  # relative age as Facebook shows it, e.g. "2 h"
    likes: int
    day: str = "March 2"  # date pill as Telegram shows it
    clock: str = "10:15"


@dataclass
class ScreenshotResult:
    image: Image.Image
    placed: list[Placed]
    text: list[str]
    ui_text: list[str]
    strata: list[str]
    wrapped_phones: list[str] = field(default_factory=list)
    cut_text: list[str] = field(default_factory=list)


class _Canvas:
    """A tall drawing surface that remembers where photos and text lines went."""

    def __init__(self, w: int, h: int, bg):
        self.img = Image.new("RGB", (w, h), bg)
        self.draw = ImageDraw.Draw(self.img)
        self.photos: list[tuple[Post, list[int]]] = []
        self.lines: list[tuple[str, float, int]] = []  # (text, baseline y, font size)

    def text(self, x, y, line, size, fill, *, bold=False, rtl=False, right=None, record=True):
        fonts.draw_line(self.draw, x, y, line, size, fill, bold=bold, rtl=rtl, right=right)
        if record:
            self.lines.append((line, y, size))


def _initials(page: str) -> str:
    return "".join(w[0] for w in page.split()[:2]).upper()


def _avatar(c: _Canvas, x, y, d, page: str, rng: random.Random) -> None:
    col = _AVATAR_COLOURS[sum(map(ord, page)) % len(_AVATAR_COLOURS)]
    c.draw.ellipse((x, y, x + d, y + d), fill=col)
    # A little boat or anchor mark like the logos such pages use.
    c.draw.polygon([(x + d * 0.2, y + d * 0.58), (x + d * 0.8, y + d * 0.58),
                    (x + d * 0.68, y + d * 0.75), (x + d * 0.32, y + d * 0.75)],
                   fill=(255, 255, 255))
    c.draw.line([(x + d * 0.5, y + d * 0.22), (x + d * 0.5, y + d * 0.58)],
                fill=(255, 255, 255), width=max(1, int(d * 0.05)))
    c.draw.polygon([(x + d * 0.53, y + d * 0.25), (x + d * 0.53, y + d * 0.52),
                    (x + d * 0.75, y + d * 0.52)], fill=(255, 255, 255))


def _status_bar(draw: ImageDraw.ImageDraw, w: int, h: int, s: float, clock: str, fg, bg) -> list:
    draw.rectangle((0, 0, w, h), fill=bg)
    size = int(13 * s)
    fonts.draw_line(draw, 16 * s, h * 0.72, clock, size, fg, bold=True)
    x = w - 16 * s
    draw.rounded_rectangle((x - 22 * s, h * 0.32, x, h * 0.7), radius=2 * s, outline=fg,
                           width=max(1, int(s)))
    draw.rectangle((x - 20 * s, h * 0.38, x - 8 * s, h * 0.64), fill=fg)
    x -= 30 * s
    for k in range(4):
        draw.rectangle((x - (4 - k) * 4 * s, h * (0.7 - 0.1 * k) - 2 * s,
                        x - (4 - k) * 4 * s + 2.5 * s, h * 0.7), fill=fg)
    x -= 24 * s
    draw.pieslice((x - 16 * s, h * 0.28, x, h * 0.28 + 16 * s), 225, 315, fill=fg)
    return [clock]


def _wrapped(advert: Advert, width: float, size: int) -> tuple[list[str], list[str], bool]:
    lines = fonts.wrap(advert.text, width, size)
    wrapped = [p.e164 for p in advert.phones if not any(p.shown in ln for ln in lines)]
    rtl_num = advert.language in RTL_LANGUAGES and any(
        any(ch.isdigit() for ch in ln) for ln in lines)
    return lines, wrapped, rtl_num


def _paste_photo(c: _Canvas, post: Post, x: int, y: int, w: int, max_h: int) -> int:
    ph = min(max_h, int(post.photo.height * w / post.photo.width))
    pw = w
    if post.photo.height * w / post.photo.width > max_h:
        # Tall photos are letterboxed like the apps do.
        pw = int(post.photo.width * ph / post.photo.height)
    im = post.photo.resize((pw, ph), Image.Resampling.BILINEAR)
    px = x + (w - pw) // 2
    c.img.paste(im, (px, y))
    c.photos.append((post, [px, y, px + pw, y + ph]))
    return ph


def _fb_post(c: _Canvas, post: Post, x0: int, y: int, w: int, u: float, th: dict,
             rng: random.Random, text_size: int, state: dict) -> int:
    """Draw one Facebook post card at y; return the y below it."""
    rtl = post.advert.language in RTL_LANGUAGES
    pad = int(12 * u)
    d = int(40 * u)
    top = y
    lines, wrapped, rtl_num = _wrapped(post.advert, w - 2 * pad, text_size)
    lh = int(text_size * 1.38)
    c.draw.rectangle((x0, y, x0 + w, y + 10), fill=th["card"])  # card top edge
    _avatar(c, x0 + pad, y + pad, d, post.page, rng)
    c.text(x0 + pad + d + 8 * u, y + pad + 17 * u, post.page, int(15 * u), th["text"], bold=True)
    c.text(x0 + pad + d + 8 * u, y + pad + 35 * u, f"{post.posted} · ", int(12 * u), th["sub"],
           record=False)
    for k in range(3):
        cx = x0 + w - pad - 6 * u + k * 6 * u - 12 * u
        c.draw.ellipse((cx - 2 * u, y + pad + 12 * u, cx + 2 * u, y + pad + 16 * u),
                       fill=th["sub"])
    y += pad + d + 10 * u
    for ln in lines:
        y += lh
        if rtl:
            c.text(0, y - lh * 0.25, ln, text_size, th["text"], rtl=True, right=x0 + w - pad)
        else:
            c.text(x0 + pad, y - lh * 0.25, ln, text_size, th["text"])
    y += int(10 * u)
    y += _paste_photo(c, post, x0, int(y), w, int(w * 1.25))
    # Reaction summary and the Like / Comment / Share buttons.
    y += int(8 * u)
    c.draw.ellipse((x0 + pad, y, x0 + pad + 18 * u, y + 18 * u), fill=th["accent"])
    c.draw.ellipse((x0 + pad + 13 * u, y, x0 + pad + 31 * u, y + 18 * u), fill=(240, 60, 80))
    likes = f"{post.likes:,}" if post.likes < 1000 else f"{post.likes / 1000:.1f}K"
    size = int(13 * u)
    c.text(x0 + pad + 36 * u, y + 14 * u, likes, size, th["sub"], record=False)
    comments = f"{post.likes // 7} comments  {post.likes // 15} shares"
    cw = fonts.text_width(comments, size)
    c.text(x0 + w - pad - cw, y + 14 * u, comments, size, th["sub"], record=False)
    y += int(28 * u)
    c.draw.line([(x0 + pad, y), (x0 + w - pad, y)], fill=th["line"], width=max(1, int(u)))
    for k, label in enumerate(("Like", "Comment", "Share")):
        cx = x0 + w * (k * 2 + 1) / 6
        lw = fonts.text_width(label, int(14 * u), True)
        c.draw.rounded_rectangle((cx - lw / 2 - 24 * u, y + 12 * u, cx - lw / 2 - 8 * u,
                                  y + 28 * u), radius=3 * u, outline=th["sub"],
                                 width=max(1, int(1.5 * u)))
        c.text(cx - lw / 2, y + 26 * u, label, int(14 * u), th["sub"], bold=True, record=False)
    y += int(40 * u)
    state.setdefault("wrapped", []).extend(wrapped)
    state["rtl_num"] = state.get("rtl_num", False) or rtl_num
    c.draw.rectangle((x0, top, x0 + w, top + 2), fill=th["card"])
    return int(y)


# Digits stand this far above the baseline, in ems (Noto Sans 0.71-0.76, Naskh's
# Arabic-Indic digits 0.74-0.76): a line is whole on screen when this band is.
_DIGIT_TOP = 0.78


def _viewport(c: _Canvas, offset: int, view_h: int, top: int
              ) -> tuple[list[Placed], list[str], list[str]]:
    """The photos on screen, the text lines wholly on screen, and the lines the screen's edge
    cuts through (only part of their digits' height shows, which no reader can be held to)."""
    placed = []
    for post, (x0, y0, x1, y1) in c.photos:
        vy0, vy1 = max(y0, offset), min(y1, offset + view_h)
        if vy1 - vy0 < 8:
            continue
        frac = (vy1 - vy0) / (y1 - y0)
        sy0 = (vy0 - y0) / (y1 - y0) * post.photo.height
        sy1 = (vy1 - y0) / (y1 - y0) * post.photo.height
        placed.append(Placed(post.photo_id, [x0, vy0 - offset + top, x1, vy1 - offset + top],
                             [0, int(sy0), post.photo.width, int(round(sy1))], frac, False,
                             post.campaign))
    lines, cut = [], []
    for t, by, size in c.lines:
        band = (by - _DIGIT_TOP * size, by)
        if band[0] >= offset and band[1] <= offset + view_h:
            lines.append(t)
        elif band[1] > offset and band[0] < offset + view_h:
            cut.append(t)
    return placed, lines, cut


def _feed_offset(c: _Canvas, posts: list[Post], rng: random.Random, scrolled_off: bool,
                 view_h: int) -> int:
    """Where a feed read from its top is cut: partway into the first photo when it is
    scrolled off, partway to it in a feed of two posts, else at the top."""
    offset = 0
    if scrolled_off and c.photos:
        _, (_, py0, _, py1) = c.photos[0]
        offset = int(py0 + (py1 - py0) * rng.uniform(0.25, 0.6))
    elif len(posts) > 1:
        offset = int(c.photos[0][1][1] * rng.uniform(0.3, 1.0))
    return max(0, min(offset, c.img.height - view_h))


def _screen(c: _Canvas, offset: int, view_h: int, size, top: int, bg) -> Image.Image:
    """The screen with the feed's view from ``offset`` pasted below its top bars."""
    W, H = size
    screen = Image.new("RGB", (W, H), bg)
    screen.paste(c.img.crop((0, offset, W, offset + view_h)), (0, top))
    return screen


def fb_phone(posts: list[Post], rng: random.Random, size, theme: str, clock: str,
             scrolled_off: bool) -> ScreenshotResult:
    W, H = size
    u = W / 360
    th = _THEMES[("fb", theme)]
    status_h, app_h, nav_h = int(24 * u), int(52 * u), int(48 * u)
    text_size = int(15 * u)
    state: dict = {}
    cards = []
    for post in posts:
        card = _Canvas(W, int(W * 1.25 + H * 0.7), th["card"])
        end = _fb_post(card, post, 0, 0, W, u, th, rng, text_size, state)
        cards.append((card, end))
    view_h = H - status_h - app_h - nav_h
    c = _Canvas(W, sum(e for _, e in cards) + int(16 * u) * len(cards) + view_h, th["bg"])
    y = int(8 * u)
    for card, end in cards:
        top = y
        c.img.paste(card.img.crop((0, 0, W, end)), (0, top))
        c.photos += [(p, [b[0], b[1] + top, b[2], b[3] + top]) for p, b in card.photos]
        c.lines += [(t, by + top, sz) for t, by, sz in card.lines]
        y = top + end + int(8 * u)
    offset = _feed_offset(c, posts, rng, scrolled_off, view_h)
    screen = _screen(c, offset, view_h, size, status_h + app_h, th["bg"])
    d = ImageDraw.Draw(screen)
    ui = _status_bar(d, W, status_h, u, clock, th["text"], th["bar"])
    d.rectangle((0, status_h, W, status_h + app_h), fill=th["bar"])
    fonts.draw_line(d, 14 * u, status_h + app_h * 0.68, "facebook", int(26 * u),
                    th["accent"] if theme == "light" else th["text"], bold=True)
    for k in range(3):
        cx = W - (24 + 44 * k) * u
        d.ellipse((cx - 17 * u, status_h + 9 * u, cx + 17 * u, status_h + 43 * u),
                  fill=th["line"] if theme == "light" else (58, 59, 60))
    d.rectangle((0, H - nav_h, W, H), fill=th["bar"])
    for k in range(5):
        cx = W * (k * 2 + 1) / 10
        col = th["accent"] if k == 0 else th["sub"]
        d.rounded_rectangle((cx - 11 * u, H - nav_h + 12 * u, cx + 11 * u, H - nav_h + 34 * u),
                            radius=4 * u, outline=col, width=max(1, int(2 * u)))
    placed, lines, cut = _viewport(c, offset, view_h, status_h + app_h)
    return _result(screen, placed, lines, ui + ["facebook"], state, posts, scrolled_off, "phone",
                   cut=cut)


def fb_desktop(posts: list[Post], rng: random.Random, size, theme: str, clock: str,
               scrolled_off: bool) -> ScreenshotResult:
    W, H = size
    u = 1.0 if W < 1600 else 1.1
    th = _THEMES[("fb", theme)]
    chrome_h = int(84 * u)
    nav_h = int(56 * u)
    col_w = int(500 * u) if W < 1600 else int(590 * u)
    x0 = (W - col_w) // 2 + int(rng.uniform(-20, 20))
    text_size = 15 if W >= 1600 else 14
    state: dict = {}
    cards = []
    for post in posts:
        # Draw onto a card-coloured strip first so text sits on the card, not the feed.
        card = _Canvas(col_w, int(col_w * 1.25 + H * 0.7), th["card"])
        end = _fb_post(card, post, 0, 0, col_w, u, th, rng, text_size, state)
        cards.append((card, end))
    c = _Canvas(W, sum(e for _, e in cards) + int(16 * u) * (len(cards) + 1) + H, th["bg"])
    y = int(16 * u)
    for card, end in cards:
        top = y
        c.img.paste(card.img.crop((0, 0, col_w, end)), (x0, top))
        c.photos += [(p, [b[0] + x0, b[1] + top, b[2] + x0, b[3] + top]) for p, b in card.photos]
        c.lines += [(t, by + top, sz) for t, by, sz in card.lines]
        y = top + end + int(16 * u)
    view_h = H - chrome_h - nav_h
    offset = 0
    if scrolled_off and c.photos:
        _, (_, py0, _, py1) = c.photos[0]
        offset = int(py0 + (py1 - py0) * rng.uniform(0.25, 0.6))
    offset = max(0, min(offset, c.img.height - view_h))
    screen = Image.new("RGB", (W, H), th["bg"])
    screen.paste(c.img.crop((0, offset, W, offset + view_h)), (0, chrome_h + nav_h))
    d = ImageDraw.Draw(screen)
    # Browser tab strip and address bar.
    chrome_bg = (222, 225, 230) if theme == "light" else (32, 33, 36)
    chrome_fg = (40, 40, 40) if theme == "light" else (220, 220, 220)
    d.rectangle((0, 0, W, chrome_h), fill=chrome_bg)
    d.rounded_rectangle((10, 6, 250, 40), radius=8, fill=th["card"])
    fonts.draw_line(d, 44, 28, "Facebook", 13, chrome_fg)
    d.ellipse((20, 15, 36, 31), fill=th["accent"])
    d.rounded_rectangle((90, 46, W - 200, 78), radius=16, fill=th["card"])
    page = posts[0].page
    url = "facebook.com/" + "".join(ch for ch in page.split(" (")[0] if ch.isalnum())
    fonts.draw_line(d, 110, 67, url, 14, chrome_fg)
    d.rectangle((0, chrome_h, W, chrome_h + nav_h), fill=th["bar"])
    d.ellipse((16, chrome_h + 8, 56, chrome_h + 48), fill=th["accent"])
    fonts.draw_line(d, 29, chrome_h + 42, "f", 34, (255, 255, 255), bold=True)
    d.rounded_rectangle((66, chrome_h + 8, 306, chrome_h + 48), radius=20,
                        fill=th["bg"])
    fonts.draw_line(d, 90, chrome_h + 34, "Search Facebook", 15, th["sub"])
    for k in range(5):
        cx = W / 2 + (k - 2) * 110
        d.rounded_rectangle((cx - 14, chrome_h + 16, cx + 14, chrome_h + 40), radius=5,
                            outline=th["accent"] if k == 0 else th["sub"], width=2)
    # Left shortcuts and right contacts columns.
    items = ("Friends", "Groups", "Marketplace", "Watch", "Memories", "Saved", "Pages",
             "Events")
    for k, label in enumerate(items):
        yy = chrome_h + nav_h + 20 + k * 52
        if yy > H - 40:
            break
        d.ellipse((16, yy, 52, yy + 36), fill=_AVATAR_COLOURS[k % len(_AVATAR_COLOURS)])
        fonts.draw_line(d, 64, yy + 24, label, 15, th["text"], bold=False)
    if W >= 1400:
        fonts.draw_line(d, W - 300, chrome_h + nav_h + 36, "Contacts", 17, th["sub"], bold=True)
        for k in range(9):
            yy = chrome_h + nav_h + 56 + k * 48
            if yy > H - 40:
                break
            d.ellipse((W - 300, yy, W - 264, yy + 36), fill=(150 + k * 10, 140, 130))
            fonts.draw_line(d, W - 252, yy + 24, f"Contact {k + 1}", 15, th["text"])
    placed, lines, cut = _viewport(c, offset, view_h, chrome_h + nav_h)
    ui = [url, "Search Facebook", *items]
    return _result(screen, placed, lines, ui, state, posts, scrolled_off, "desktop",
                   tiny=text_size <= 14, cut=cut)


def telegram_phone(posts: list[Post], rng: random.Random, size, theme: str, clock: str,
                   scrolled_off: bool) -> ScreenshotResult:
    W, H = size
    u = W / 360
    th = _THEMES[("tg", theme)]
    status_h, head_h, foot_h = int(24 * u), int(56 * u), int(48 * u)
    text_size = int(14.5 * u)
    c = _Canvas(W, int(H * 0.9 * len(posts) + H), th["bg"])
    # Wallpaper doodles.
    wall = tuple(max(0, v - 14) if theme == "light" else v + 8 for v in th["bg"])
    for _ in range(int(c.img.height / (30 * u))):
        x, yy, r = rng.uniform(0, W), rng.uniform(0, c.img.height), rng.uniform(6, 14) * u
        c.draw.ellipse((x - r, yy - r, x + r, yy + r), outline=wall, width=max(1, int(2 * u)))
    y = int(12 * u)
    state: dict = {}
    bubble_w = int(W - 60 * u)
    bx = int(8 * u)
    for post in posts:
        pill = post.day
        pw = fonts.text_width(pill, int(13 * u), True) + 24 * u
        c.draw.rounded_rectangle(((W - pw) / 2, y, (W + pw) / 2, y + 26 * u), radius=13 * u,
                                 fill=(0, 0, 0) if theme == "dark" else (120, 150, 110))
        c.text((W - pw) / 2 + 12 * u, y + 18 * u, pill, int(13 * u), (255, 255, 255),
               bold=True, record=False)
        y += int(38 * u)
        card = _Canvas(bubble_w, int(bubble_w * 1.2 + H * 0.6), th["card"])
        ph = _paste_photo(card, post, 0, 0, bubble_w, int(bubble_w * 1.2))
        lines, wrapped, rtl_num = _wrapped(post.advert, bubble_w - 24 * u, text_size)
        state.setdefault("wrapped", []).extend(wrapped)
        state["rtl_num"] = state.get("rtl_num", False) or rtl_num
        lh = int(text_size * 1.35)
        yy = ph + int(6 * u)
        rtl = post.advert.language in RTL_LANGUAGES
        for ln in lines:
            yy += lh
            if rtl:
                card.text(0, yy, ln, text_size, th["text"], rtl=True, right=bubble_w - 12 * u)
            else:
                card.text(12 * u, yy, ln, text_size, th["text"])
        yy += int(22 * u)
        meta = f"{post.likes * 3:,}  {post.clock}"
        mw = fonts.text_width(meta, int(12 * u))
        card.text(bubble_w - 12 * u - mw, yy - 4 * u, meta, int(12 * u), th["sub"], record=False)
        yy += int(6 * u)
        mask = Image.new("L", (bubble_w, yy), 0)
        ImageDraw.Draw(mask).rounded_rectangle((0, 0, bubble_w, yy), radius=int(14 * u),
                                               fill=255)
        c.img.paste(card.img.crop((0, 0, bubble_w, yy)), (bx, y), mask)
        c.photos += [(p, [b[0] + bx, b[1] + y, b[2] + bx, b[3] + y]) for p, b in card.photos]
        c.lines += [(t, by + y, sz) for t, by, sz in card.lines]
        # The channel's share button beside the bubble.
        c.draw.ellipse((bx + bubble_w + 10 * u, y + yy - 40 * u, bx + bubble_w + 42 * u,
                        y + yy - 8 * u), fill=(0, 0, 0) if theme == "dark" else wall)
        y += yy + int(12 * u)
    view_h = H - status_h - head_h - foot_h
    # Telegram opens at the newest message, so the view is bottom-aligned on the feed.
    offset = max(0, y - view_h)
    if scrolled_off and c.photos:
        _, (_, py0, _, py1) = c.photos[-1]
        offset = int(py0 + (py1 - py0) * rng.uniform(0.3, 0.6))
    offset = max(0, min(offset, c.img.height - view_h))
    screen = Image.new("RGB", (W, H), th["bg"])
    screen.paste(c.img.crop((0, offset, W, offset + view_h)), (0, status_h + head_h))
    d = ImageDraw.Draw(screen)
    ui = _status_bar(d, W, status_h, u, clock, (255, 255, 255), th["bar"])
    d.rectangle((0, status_h, W, status_h + head_h), fill=th["bar"])
    d.line([(16 * u, status_h + 28 * u), (28 * u, status_h + 18 * u)], fill=(255, 255, 255),
           width=int(2 * u))
    d.line([(16 * u, status_h + 28 * u), (28 * u, status_h + 38 * u)], fill=(255, 255, 255),
           width=int(2 * u))
    av = _Canvas(int(40 * u), int(40 * u), th["bar"])
    _avatar(av, 0, 0, int(40 * u) - 1, posts[0].page, rng)
    screen.paste(av.img, (int(44 * u), status_h + int(8 * u)))
    name = posts[0].page
    fonts.draw_line(d, 94 * u, status_h + 26 * u, name, int(16 * u), (255, 255, 255), bold=True)
    subs = f"{rng.randint(800, 90000):,} subscribers"
    fonts.draw_line(d, 94 * u, status_h + 46 * u, subs, int(13 * u), (220, 230, 240))
    d.rectangle((0, H - foot_h, W, H), fill=th["card"])
    mute = "Mute" if rng.random() < 0.6 else "Unmute"
    mw = fonts.text_width(mute, int(15 * u), True)
    fonts.draw_line(d, (W - mw) / 2, H - foot_h * 0.38, mute, int(15 * u), th["accent"],
                    bold=True)
    placed, lines, cut = _viewport(c, offset, view_h, status_h + head_h)
    return _result(screen, placed, [name, *lines], ui + [subs, mute], state, posts, scrolled_off,
                   "phone", cut=cut)


def _heart(d: ImageDraw.ImageDraw, x: float, y: float, r: float, col, width: int) -> None:
    """An outlined heart of radius ``r`` with its top centre at (x, y)."""
    d.arc((x - 2 * r, y - r * 0.2, x, y + r * 1.6), 140, 360, fill=col, width=width)
    d.arc((x, y - r * 0.2, x + 2 * r, y + r * 1.6), 180, 40, fill=col, width=width)
    d.line([(x - 1.85 * r, y + r * 1.05), (x, y + r * 2.6), (x + 1.85 * r, y + r * 1.05)],
           fill=col, width=width)


def instagram_phone(posts: list[Post], rng: random.Random, size, theme: str, clock: str,
                    scrolled_off: bool) -> ScreenshotResult:
    W, H = size
    u = W / 360
    th = _THEMES[("ig", theme)]
    status_h, head_h, nav_h = int(24 * u), int(46 * u), int(48 * u)
    text_size = int(14 * u)
    lw = max(1, int(1.6 * u))
    state: dict = {}
    c = _Canvas(W, int((W * 1.25 + H * 0.8) * len(posts) + H), th["bg"])
    y = int(6 * u)
    for post in posts:
        d = int(32 * u)
        _avatar(c, int(12 * u), y + int(6 * u), d, post.page, rng)
        c.text(12 * u + d + 10 * u, y + 27 * u, post.page, int(13.5 * u), th["text"], bold=True)
        for k in range(3):
            cx = W - 20 * u + (k - 1) * 5 * u
            c.draw.ellipse((cx - 1.6 * u, y + 20 * u, cx + 1.6 * u, y + 23.2 * u), fill=th["text"])
        y += int(44 * u)
        y += _paste_photo(c, post, 0, y, W, int(W * 1.25))
        # Like, comment, share and save, drawn as outlines.
        iy = y + int(10 * u)
        _heart(c.draw, 22 * u, iy + 2 * u, 5.5 * u, th["text"], lw)
        c.draw.ellipse((46 * u, iy, 68 * u, iy + 20 * u), outline=th["text"], width=lw)
        c.draw.polygon([(84 * u, iy + 2 * u), (104 * u, iy + 10 * u), (84 * u, iy + 18 * u)],
                       outline=th["text"], width=lw)
        c.draw.rectangle((W - 28 * u, iy, W - 14 * u, iy + 20 * u), outline=th["text"], width=lw)
        y += int(48 * u)
        c.text(12 * u, y, f"{post.likes * 4:,} likes", int(13.5 * u), th["text"], bold=True,
               record=False)
        y += int(8 * u)
        rtl = post.advert.language in RTL_LANGUAGES
        c.text(12 * u, y + int(18 * u), post.page, int(13.5 * u), th["text"], bold=True)
        y += int(18 * u)
        lines, wrapped, rtl_num = _wrapped(post.advert, W - 24 * u, text_size)
        state.setdefault("wrapped", []).extend(wrapped)
        state["rtl_num"] = state.get("rtl_num", False) or rtl_num
        lh = int(text_size * 1.33)
        for ln in lines:
            y += lh
            if rtl:
                c.text(0, y, ln, text_size, th["text"], rtl=True, right=W - 12 * u)
            else:
                c.text(12 * u, y, ln, text_size, th["text"])
        y += int(24 * u)
        c.text(12 * u, y, f"View all {post.likes // 9 + 2} comments", int(13 * u), th["sub"],
               record=False)
        y += int(20 * u)
        c.text(12 * u, y, post.posted + " ago" if post.posted[0].isdigit() else post.posted,
               int(11 * u), th["sub"], record=False)
        y += int(22 * u)
    view_h = H - status_h - head_h - nav_h
    offset = _feed_offset(c, posts, rng, scrolled_off, view_h)
    screen = _screen(c, offset, view_h, size, status_h + head_h, th["bg"])
    dr = ImageDraw.Draw(screen)
    ui = _status_bar(dr, W, status_h, u, clock, th["text"], th["bar"])
    dr.rectangle((0, status_h, W, status_h + head_h), fill=th["bar"])
    fonts.draw_line(dr, 14 * u, status_h + head_h * 0.7, "Instagram", int(24 * u), th["text"],
                    bold=True)
    _heart(dr, W - 66 * u, status_h + 14 * u, 5.5 * u, th["text"], lw)
    dr.polygon([(W - 34 * u, status_h + 14 * u), (W - 14 * u, status_h + 22 * u),
                (W - 34 * u, status_h + 30 * u)], outline=th["text"], width=lw)
    dr.line([(0, status_h + head_h - 1), (W, status_h + head_h - 1)], fill=th["line"], width=1)
    dr.rectangle((0, H - nav_h, W, H), fill=th["bar"])
    dr.line([(0, H - nav_h), (W, H - nav_h)], fill=th["line"], width=1)
    for k in range(5):
        cx = W * (k * 2 + 1) / 10
        dr.rounded_rectangle((cx - 10 * u, H - nav_h + 13 * u, cx + 10 * u, H - nav_h + 33 * u),
                             radius=5 * u, outline=th["text"], width=lw)
    placed, lines, cut = _viewport(c, offset, view_h, status_h + head_h)
    return _result(screen, placed, lines, ui + ["Instagram"], state, posts, scrolled_off,
                   "phone", cut=cut)


def _result(screen, placed, lines, ui, state, posts, scrolled_off, device, tiny=False, cut=()):
    strata = [f"{device}_screenshot"]
    if scrolled_off or any(p.visible_fraction < 0.999 for p in placed):
        strata.append("scrolled_off")
    if len(posts) > 1 and len(placed) > 1:
        strata.append("two_post_feed")
    visible_text = " ".join(lines)
    # A wrapped number only counts when the lines holding it are on screen.
    shown = {ph.e164: ph.shown for post in posts for ph in post.advert.phones}
    wrapped = [e for e in state.get("wrapped", [])
               if e in shown and shown[e].split(" ")[0] in visible_text]
    if wrapped:
        strata.append("wrapped_number")
    if state.get("rtl_num") and any(ch.isdigit() for ch in visible_text):
        strata.append("rtl_number")
    if tiny:
        strata.append("tiny_text")
    return ScreenshotResult(screen, placed, lines, ui, strata, wrapped, list(cut))


RENDERERS = {"fb_phone": fb_phone, "fb_desktop": fb_desktop, "telegram_phone": telegram_phone,
             "instagram_phone": instagram_phone}
