"""Behaviour of the synthetic evidence generator: determinism, truth, shaping, exports."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import phonenumbers
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from synthetic import generate
from synthetic.exports import NOT_INCLUDED
from synthetic.fonts import FONT_DIR
from synthetic.screenshots import HELD_OUT_FAMILY


@pytest.fixture(scope="module")
def collection(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "seed7"
    # Large enough that every stratum and language shows up, small enough to stay quick.
    generate(out, 110, seed=7, workers=1)
    return out


@pytest.fixture(scope="module")
def truth(collection: Path) -> dict:
    return json.loads((collection / "truth.json").read_text(encoding="utf-8"))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small") / "seed5"
    generate(out, 30, seed=5, workers=1)
    return out


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def test_same_seed_same_bytes_even_with_worker_processes(small, tmp_path, monkeypatch):
    from synthetic import generator

    # Force the spawn pool even for a small run: determinism must not depend on it.
    monkeypatch.setattr(generator, "PARALLEL_THRESHOLD", 0)
    spawned = tmp_path / "spawned"
    generate(spawned, 30, seed=5, workers=2)
    assert _files(small) == _files(spawned)
    for rel in _files(small):
        assert _digest(small / rel) == _digest(spawned / rel), rel


def test_other_seed_differs(small, tmp_path):
    other = tmp_path / "other"
    generate(other, 30, seed=6, workers=1, exports=False)
    assert _digest(other / "truth.json") != _digest(small / "truth.json")
    ours = {_digest(p) for p in (small / "photos").iterdir()}
    theirs = {_digest(p) for p in (other / "photos").iterdir()}
    assert not ours & theirs


def test_mix_of_kinds_and_layout(truth, collection):
    kinds = {f["kind"] for f in truth["files"]}
    assert kinds == {"photo", "repost", "screenshot", "distractor", "export_media"}
    shots = [f for f in truth["files"] if f["kind"] == "screenshot"]
    assert len(shots) >= 0.5 * len(truth["files"])
    assert any(f["format"] == "PNG" for f in shots)
    assert any(f["format"] == "JPEG" for f in shots)
    paths = [f["path"] for f in truth["files"]]
    assert len(paths) == len(set(paths))
    for f in truth["files"]:
        assert (collection / f["path"]).is_file()
        top = f["path"].split("/")[0]
        assert top in ("photos", "reposts", "screenshots", "distractors", "exports")


def test_every_file_decodes_and_boxes_lie_inside(truth, collection):
    for f in truth["files"]:
        with Image.open(collection / f["path"]) as im:
            im.load()
            assert list(im.size) == f["size"], f["path"]
            w, h = im.size
        for src in f["sources"]:
            x0, y0, x1, y1 = src["box"]
            assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h, (f["path"], src)
            assert 0 < src["visible_fraction"] <= 1.0
    photo_ids = {p["id"] for p in truth["photos"]}
    used = {s["photo"] for f in truth["files"] for s in f["sources"]}
    assert used <= photo_ids


def test_every_phone_is_valid_e164_and_shown_parses_back(truth):
    seen = 0
    for f in truth["files"]:
        for ph in f["phones"]:
            num = phonenumbers.parse(ph["e164"])
            assert phonenumbers.is_valid_number(num)
            assert phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164) \
                == ph["e164"]
            seen += 1
    for c in truth["campaigns"]:
        for e in c["phones"]:
            assert phonenumbers.is_valid_number(phonenumbers.parse(e))
    assert seen > 10


def test_truth_text_contains_shown_numbers(truth):
    for f in truth["files"]:
        joined = " ".join(f["text"])
        for ph in f["phones"]:
            if ph["e164"] not in f["wrapped_phones"]:
                assert ph["shown"] in joined, (f["path"], ph)


@pytest.mark.parametrize("word,script", [("سلام عليكم", "ar"), ("خانواده‌ها پذیرفته", "fa")])
def test_arabic_and_persian_are_shaped(word, script):
    path = str(FONT_DIR / "NotoNaskhArabic-Regular.ttf")
    images = []
    for engine in (ImageFont.Layout.RAQM, ImageFont.Layout.BASIC):
        f = ImageFont.truetype(path, 40, layout_engine=engine)
        im = Image.new("L", (500, 90), 0)
        ImageDraw.Draw(im).text((10, 10), word, font=f, fill=255)
        images.append(im)
    assert ImageChops.difference(*images).getbbox() is not None


def test_held_out_family_present_and_flagged(truth):
    assert truth["held_out_families"] == [HELD_OUT_FAMILY]
    shots = [f for f in truth["files"] if f["kind"] == "screenshot"]
    families = {f["layout"] for f in shots}
    assert len(families) >= 3
    for f in shots:
        assert f["held_out"] == (f["layout"] == HELD_OUT_FAMILY)
        assert ("held_out" in f["strata"]) == f["held_out"]
    assert any(f["held_out"] for f in shots)
    assert {f["theme"] for f in shots} == {"light", "dark"}


def test_strata_cover_the_hard_cases(truth):
    strata = {s for f in truth["files"] for s in f["strata"]}
    for tag in ("recompress", "rescale", "crop", "phone_screenshot", "desktop_screenshot",
                "dark", "scrolled_off", "two_post_feed", "held_out", "wrapped_number",
                "rtl_number", "tiny_text"):
        assert tag in strata, tag
    assert {f["language"] for f in truth["files"] if f["language"]} == \
        {"en", "ar", "fa", "fr", "tr"}


def test_exports_parse_and_facebook_mojibake_repairs(truth, collection):
    tg = json.loads((collection / truth["exports"]["telegram"]["path"]).read_text("utf-8"))
    assert tg["type"] == "public_channel"
    types = {m["type"] for m in tg["messages"]}
    assert types == {"service", "message"}
    photos = [m["photo"] for m in tg["messages"] if "photo" in m]
    assert NOT_INCLUDED in photos
    tg_dir = (collection / truth["exports"]["telegram"]["path"]).parent
    for p in photos:
        if p != NOT_INCLUDED:
            assert (tg_dir / p).is_file()
    assert any(isinstance(m.get("text"), list) for m in tg["messages"])

    fb_path = collection / truth["exports"]["facebook"]["path"]
    raw = fb_path.read_text("ascii")
    assert "\\u00" in raw
    posts = json.loads(raw)
    expected = truth["exports"]["facebook"]["posts"]
    assert len(posts) == len(expected)
    for post, want in zip(posts, expected, strict=True):
        fixed = post["data"][0]["post"].encode("latin-1").decode("utf-8")
        assert fixed == want["text"]
        uri = post["attachments"][0]["data"][0]["media"]["uri"]
        assert (collection / truth["exports"]["facebook"]["media_root"] / uri).is_file()
    assert any(p["text"] != p["text"].encode("utf-8").decode("latin-1") for p in expected) \
        or all(p["text"].isascii() for p in expected)

    with (collection / truth["exports"]["crowdtangle"]["path"]).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and "Total Interactions" in rows[0]
    assert [r["Message"] for r in rows] == [r["text"] for r in
                                           truth["exports"]["crowdtangle"]["rows"]]


def test_bad_arguments_give_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="too small"):
        generate(tmp_path / "x", 5)
    with pytest.raises(ValueError, match="Languages"):
        generate(tmp_path / "y", 50, languages=("de",))



def test_missing_raqm_is_a_clear_error(tmp_path, monkeypatch):
    from synthetic import fonts

    monkeypatch.setattr(fonts.features, "check", lambda name: False)
    with pytest.raises(fonts.RaqmMissingError, match="Raqm"):
        generate(tmp_path / "z", 50)
    assert not (tmp_path / "z").exists()


def test_no_two_campaigns_share_a_number(truth):
    owners: dict[str, str] = {}
    for camp in truth["campaigns"]:
        for num in camp["phones"]:
            assert owners.setdefault(num, camp["id"]) == camp["id"], num


def test_a_line_the_screen_edge_cuts_is_not_counted_as_shown():
    from synthetic.screenshots import _Canvas, _viewport

    c = _Canvas(200, 400, (255, 255, 255))
    size = 20  # digits stand about 15 px above the baseline
    for text, baseline in (("above", 90), ("cut at the top", 106), ("whole", 140),
                           ("cut at the bottom", 305), ("below", 330)):
        c.text(10, baseline, text, size, (0, 0, 0))
    _, whole, cut = _viewport(c, offset=100, view_h=200, top=0)
    # Only 6 of a 15 px digit band show at the top: no reader could be held to that line.
    assert whole == ["whole"]
    assert cut == ["cut at the top", "cut at the bottom"]


def test_numbers_partly_on_screen_count_neither_way():
    from synthetic.generator import _phones_on_screen

    wrapped = {"e164": "+905550001122", "shown": "+90 555 000 11 22", "style": "spaced",
               "digits": "latin"}
    whole = {"e164": "+905550003344", "shown": "0555-000-33-44", "style": "dashed",
             "digits": "latin"}
    gone = {"e164": "+905550005566", "shown": "05550005566", "style": "plain",
            "digits": "latin"}
    posts = [{"advert": {"phones": [wrapped, whole, gone]}},
             {"advert": {"phones": [whole]}}]
    full, part = _phones_on_screen(posts, ["Boat on Friday, call +90 555", "or 0555-000-33-44"],
                                   ["000 11 22 today only"])
    assert full == [whole]
    assert part == [wrapped]
    full, part = _phones_on_screen(posts, ["call +90 555", "000 11 22 or 0555-000-33-44"], [])
    assert full == [wrapped, whole] and part == []
    # One of a number's groups standing elsewhere on screen ("11 cabins") is no part of it.
    assert _phones_on_screen(posts, ["11 cabins left"], ["Price 22 euros"]) == ([], [])


def test_cut_numbers_are_kept_apart_from_shown_ones(truth):
    for f in truth["files"]:
        if f["kind"] != "screenshot":
            continue
        shown = {p["e164"] for p in f["phones"]}
        assert not shown & {p["e164"] for p in f["cut_phones"]}
        assert not set(f["text"]) & set(f["cut_text"])


def test_instagram_layout_on_request_is_held_out(tmp_path):
    out = tmp_path / "ig"
    generate(out, 24, seed=3, workers=1, exports=False, families=["instagram_phone"])
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    shots = [f for f in truth["files"] if f["kind"] == "screenshot"]
    assert shots and truth["held_out_families"] == ["instagram_phone"]
    shown = 0
    for f in shots:
        assert f["layout"] == "instagram_phone" and f["held_out"] and "held_out" in f["strata"]
        with Image.open(out / f["path"]) as im:
            im.load()
            assert list(im.size) == f["size"]
        joined = " ".join(f["text"])
        for ph in f["phones"]:
            if ph["e164"] not in f["wrapped_phones"]:
                assert ph["shown"] in joined
            shown += 1
    assert shown >= len(shots) // 2


def test_unknown_family_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="Families must be"):
        generate(tmp_path / "x", 10, seed=1, families=["myspace_phone"])
