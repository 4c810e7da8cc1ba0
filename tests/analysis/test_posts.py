"""Posts inside a screenshot: stacked photos are separate posts, side-by-side ones one post,
a flat band of another colour between cards is a cut, and text beside the feed is no post's."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from analysis.posts import (
    POSTS_VERSION,
    MediaPosts,
    find_separators,
    item_posts,
    part_texts,
    split_posts,
)

FONT = Path(__file__).resolve().parents[2] / "resources" / "fonts" / "NotoSans-Regular.ttf"


def test_stacked_photos_are_two_posts_cut_half_way_between_them():
    parts = split_posts([(7, (0, 1200, 1080, 1800)), (5, (0, 200, 1080, 800))], 1080, 2000)
    assert [p.regions for p in parts] == [(5,), (7,)]
    assert parts[0].box[1] == 0 and parts[0].box[3] == 1000 and parts[1].box[3] == 2000
    posts = MediaPosts("x", 1080, 2000, parts)
    # Text just above the lower photo (a phone feed) and just below the upper one (a chat
    # caption) each go to the nearest photo.
    assert posts.part_of_box((40, 1100, 400, 1140)) == 1
    assert posts.part_of_box((40, 820, 400, 860)) == 0
    assert posts.part_of_boxes([(0, 100, 10, 110), (0, 1900, 10, 1910), (0, 1950, 9, 1960)]) == 1
    assert posts.part_of_boxes([]) is None
    assert posts.part_of_region(7) == 1 and posts.part_of_region(99) is None


def test_side_by_side_photos_are_one_post_and_no_photo_is_one_part():
    parts = split_posts([(1, (0, 300, 500, 800)), (2, (520, 320, 1020, 790))], 1080, 1500)
    assert len(parts) == 1 and parts[0].regions == (1, 2)
    whole = split_posts([], 720, 1600)
    assert [(p.index, p.box) for p in whole] == [(0, (0, 0, 720, 1600))]


def test_a_separator_cuts_off_a_post_whose_photo_is_off_screen():
    photo = [(3, (0, 300, 1080, 1400))]
    words = [(40, 200, 300, 240), (40, 1700, 300, 1740)]
    parts = split_posts(photo, 1080, 2300, separators=[(1600, 1630)], words=words)
    assert [p.regions for p in parts] == [(3,), ()]
    assert parts[1].box[1] == 1615
    # A band with neither photo nor text joins the part above it instead of making a part.
    parts = split_posts(photo, 1080, 2300, separators=[(1600, 1630)], words=words[:1])
    assert len(parts) == 1 and parts[0].box[3] == 2300


def _feed(dark: bool = False) -> tuple[Image.Image, list[tuple[int, int, int, int]], list]:
    """A two-card phone feed: cards on a background band, text above each photo."""
    bg, card, ink = ((24, 25, 26), (36, 37, 38), (228, 230, 235)) if dark else \
        ((240, 242, 245), (255, 255, 255), (5, 5, 5))
    img = Image.new("RGB", (720, 1600), bg)
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT), 26)
    photos, words = [], []
    for top in (20, 820):
        d.rectangle((0, top, 720, top + 760), fill=card)
        for k, line in enumerate(("Sea Star Travel (fictional)", "Trips every Friday")):
            y = top + 20 + k * 40
            d.text((20, y), line, font=font, fill=ink)
            words.append((20, y + 4, 400, y + 32))
        d.rectangle((0, top + 120, 720, top + 700), fill=(30, 90, 160))
        d.polygon([(100, top + 600), (600, top + 600), (500, top + 680)], fill=(200, 200, 200))
        photos.append((0, top + 120, 720, top + 700))
    return img, photos, words


@pytest.mark.parametrize("dark", [False, True])
def test_find_separators_sees_the_band_between_cards(dark: bool):
    img, photos, words = _feed(dark)
    bands = find_separators(img, photos, words)
    assert any(780 <= (y0 + y1) / 2 <= 820 for y0, y1 in bands)
    # Nothing is cut inside a card: between its text lines or between text and photo.
    assert not any(20 < (y0 + y1) / 2 < 780 for y0, y1 in bands)
    assert find_separators(img, photos, []) == []
    parts = split_posts(list(enumerate(photos)), 720, 1600, bands, words)
    assert [p.regions for p in parts] == [(0,), (1,)]


def test_part_texts_keep_each_post_apart_and_drop_text_beside_the_feed():
    parts = split_posts([(1, (500, 200, 1000, 600)), (2, (500, 900, 1000, 1300))], 1440, 1500)
    posts = MediaPosts("x", 1440, 1500, parts)

    def w(text, x, y, line):
        return {"text": text, "box": [x, y, x + 80, y + 20], "block": 1, "par": 1, "line": line}

    words = [w("Friends", 20, 150, 1), w("Trips", 520, 150, 2), w("Friday", 610, 150, 2),
             w("Marketplace", 20, 950, 3), w("Voyage", 520, 850, 4), w("", 520, 860, 4),
             {"text": "broken"}]
    assert part_texts(posts, words) == ["Trips Friday", "Voyage"]


def test_a_screenshot_in_a_case_is_split_at_its_separator_and_the_result_is_cached(case):
    """The lower post's photo is scrolled off screen; its text and number still show."""
    img, photos, words = _feed()
    img = img.crop((0, 0, 720, 1000))  # the second card's photo is below the screen
    buf = io.BytesIO()
    img.save(buf, "PNG")
    sha = case.vault.add_bytes(buf.getvalue()).sha256
    ocr_words = [{"text": "word", "box": list(b), "block": 1, "par": 1, "line": n}
                 for n, b in enumerate(words)]
    with case.transaction() as db:
        db.execute("INSERT INTO sources (kind, path, fingerprint, importer_version, started_at,"
                   " status, actor) VALUES ('folder', 'x', 'fp', '1', 'now', 'finished', 't')")
        item = db.execute("INSERT INTO items (source_id, source_ref, kind, created_at)"
                          " VALUES (1, 'a.png', 'screenshot', 'now')").lastrowid
        db.execute("INSERT INTO media (sha256, size, width, height, readable, added_at)"
                   " VALUES (?, 1, 720, 1000, 1, 'now')", [sha])
        db.execute("INSERT INTO sightings (media_sha256, source_id, item_id, path_in_source,"
                   " original_name, role, created_at) VALUES (?, 1, ?, 'a.png', 'a.png',"
                   " 'file', 'now')", [sha, item])
        db.execute("INSERT INTO regions (media_sha256, engine, engine_version, settings, kind,"
                   " x0, y0, x1, y1, created_at) VALUES (?, 'h', '1', '{}', 'photo', ?, ?, ?,"
                   " ?, 'now')", [sha, *photos[0]])
        db.execute("INSERT INTO ocr (media_sha256, engine, engine_version, settings, text,"
                   " words, created_at) VALUES (?, 't', '5', '{}', 'w', ?, 'now')",
                   [sha, json.dumps(ocr_words)])
    first = item_posts(case)[item]
    assert first.count == 2
    assert first.media.parts[0].regions and not first.media.parts[1].regions
    assert first.part_of_selector(sha, [[20, 864, 400, 892]]) == 1
    assert first.part_of_selector(sha, None) is None
    cached = case.cache_dir / f"posts-v{POSTS_VERSION}.json"
    assert sha in json.loads(cached.read_text())
    # Found again from the cache, without the pixels; without either, the photo alone decides.
    stored = case.vault.path_for(sha)
    stored.parent.chmod(0o755)
    stored.unlink()
    assert item_posts(case)[item].media.parts == first.media.parts
    cached.unlink()
    assert item_posts(case)[item].count == 1
