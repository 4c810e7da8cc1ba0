"""A contact sheet of a generated collection, for looking at what the generator draws.

Owns `make_contact_sheet()` and the command
`python -m synthetic.contact_sheet OUT.png [--seed N]` that regenerates
docs/synthetic-contact-sheet.png.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

from synthetic import fonts
from synthetic.generator import generate

CELL = (260, 400)
COLUMNS = 6


def _pick(files: list[dict], photos: list[dict], n: int) -> list[dict]:
    """A spread of kinds: every family x theme, reposts, photos, distractors, exports."""
    chosen: list[dict] = []
    shots = [f for f in files if f["kind"] == "screenshot"]
    for fam in sorted({f["layout"] for f in shots}):
        for theme in ("light", "dark"):
            group = [f for f in shots if f["layout"] == fam and f["theme"] == theme]
            group.sort(key=lambda f: (-len(f["sources"]), f["path"]))
            chosen += group[:2]
    scenes = {p["id"]: p["scene"] for p in photos}
    for kind, k in (("photo", 4), ("repost", 4), ("distractor", 4)):
        group = [f for f in files if f["kind"] == kind]
        # One of each scene first, so the sheet shows shores, harbours and life jackets too.
        seen: set[str] = set()
        first, later = [], []
        for f in group:
            scene = f.get("scene") or scenes.get(f["sources"][0]["photo"], "")
            (later if scene in seen else first).append(f)
            seen.add(scene)
        chosen += (first + later)[:k]
    return chosen[:n]


def make_contact_sheet(out_dir: Path, dest: Path, n: int = 24) -> Path:
    """Draw a grid of `n` samples from the collection in `out_dir` into `dest`."""
    truth = json.loads((Path(out_dir) / "truth.json").read_text(encoding="utf-8"))
    picks = _pick(truth["files"], truth["photos"], n)
    rows = (len(picks) + COLUMNS - 1) // COLUMNS
    cw, ch = CELL
    sheet = Image.new("RGB", (cw * COLUMNS, ch * rows), (250, 250, 250))
    draw = ImageDraw.Draw(sheet)
    for i, f in enumerate(picks):
        x, y = (i % COLUMNS) * cw, (i // COLUMNS) * ch
        with Image.open(Path(out_dir) / f["path"]) as im:
            im = im.convert("RGB")
            im.thumbnail((cw - 12, ch - 44))
        sheet.paste(im, (x + (cw - im.width) // 2, y + 6))
        label = f["kind"] if f["kind"] != "screenshot" else f"{f['layout']} {f['theme']}"
        if f.get("held_out"):
            label += " (held out)"
        scene = f.get("scene") or next(
            (p["scene"] for p in truth["photos"] if f["sources"]
             and p["id"] == f["sources"][0]["photo"]), "")
        sub = " ".join(v for v in (scene, f.get("language") or "") if v)
        fonts.draw_line(draw, x + 8, y + ch - 24, label, 13, (20, 20, 20), bold=True)
        fonts.draw_line(draw, x + 8, y + ch - 8, sub, 11, (90, 90, 90))
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(dest, optimize=True)
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--files", type=int, default=120)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), args.files, seed=args.seed)
        make_contact_sheet(Path(tmp), args.dest)
    print(args.dest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
