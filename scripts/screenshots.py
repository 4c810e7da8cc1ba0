"""Render the main window offscreen into docs/screenshots/: welcome.png, shell.png (an empty
case's summary), workstation-grid.png and workstation-table.png (a small fictional case), and
for linked evidence compare-side.png, compare-overlay.png, compare-region.png (a boat photo and
a phone screenshot reposting it) and review.png (the link review queue), and for clusters
cluster-timeline.png and network.png (one cluster of adverts reposted across pages).

Usage: python scripts/screenshots.py [OUT_DIR]

Cases are made in a temporary folder with plainly fictional titles; the user's settings are
never read or written (a temporary INI file is used).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from evidence.case import Case  # noqa: E402
from gui.app import create_application  # noqa: E402
from gui.main_window import MainWindow, check_ocr  # noqa: E402

SIZE = (1440, 900)
CASES = (
    ("sea-star-travel", "Sea Star Travel (fictional): crossing adverts"),
    ("blue-wave-pages", "Blue Wave pages (fictional)"),
    ("coastal-groups-2026", "Coastal groups 2026 (fictional)"),
)


def _settle(app: QApplication) -> None:
    for _ in range(5):
        app.processEvents()


def render(out_dir: Path) -> list[Path]:
    app = create_application(["screenshots"])
    with tempfile.TemporaryDirectory(prefix="tideline-screens-") as tmp:
        cases_dir = Path(tmp) / "Cases"
        cases_dir.mkdir()
        paths = []
        for name, title in CASES:
            case = Case.create(cases_dir / name, title=title, actor="screenshots")
            paths.append(case.path)
            case.close()

        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, actor="screenshots", check_ocr_on_start=False)
        window.set_ocr_message(check_ocr())
        window.resize(*SIZE)
        window.show()
        for path in reversed(paths):
            window.open_case(path)
        window.close_case()
        _settle(app)

        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        welcome = out_dir / "welcome.png"
        window.grab().save(str(welcome))
        written.append(welcome)

        window.open_case(paths[0])
        _settle(app)
        shell = out_dir / "shell.png"
        window.grab().save(str(shell))
        written.append(shell)

        window.close_case()
        written += _render_workstation(app, window, Path(tmp), out_dir)
        window.close_case()
        written += _render_linked(app, window, Path(tmp), out_dir)
        window.close_case()
        written += _render_clusters(app, window, Path(tmp), out_dir)
        window.close_case()
        window.deleteLater()
        _settle(app)
    return written


PAGES = ("Sea Star Travel (fictional)", "Blue Wave Crossings (fictional)",
         "Coastal Trips 24 (fictional)")


def _advert(path: Path, n: int) -> None:
    """A calm, plainly fictional advert picture: sea, a boat shape, a caption band."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = 480 + (n % 3) * 40, 360
    img = Image.new("RGB", (width, height), ("#2f6f9f", "#3b7fae", "#24597f")[n % 3])
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width, 140), fill=("#9cc9e8", "#b8d8ee", "#8fbfdf")[n % 3])
    x = 80 + (n * 37) % 160
    draw.polygon([(x, 210), (x + 220, 210), (x + 180, 260), (x + 40, 260)], fill="#f2f2f2")
    draw.rectangle((x + 80, 160, x + 90, 210), fill="#444444")
    font = ImageFont.truetype(str(ROOT / "resources/fonts/NotoSans-Bold.ttf"), 22)
    draw.rectangle((0, height - 56, width, height), fill="#111827")
    draw.text((16, height - 46), f"{PAGES[n % 3]} · advert {n + 1}", font=font, fill="#ffffff")
    img.save(path)


def _render_workstation(app: QApplication, window: MainWindow, tmp: Path,
                        out_dir: Path) -> list[Path]:
    import phonenumbers
    from phonenumbers import PhoneNumberFormat, PhoneNumberType

    from evidence import store
    from evidence.importer import import_path

    incoming = tmp / "incoming"
    incoming.mkdir()
    for n in range(12):
        _advert(incoming / f"advert-{n + 1:02d}.png", n)
    case = Case.create(tmp / "Cases" / "workstation", title="Sea Star Travel (fictional)",
                       actor="screenshots")
    import_path(case, incoming)
    ids = store.item_ids(case)
    example = phonenumbers.example_number_for_type("TR", PhoneNumberType.MOBILE)
    national = str(example.national_number)
    for n, item_id in enumerate(ids):
        number = phonenumbers.parse(f"+{example.country_code}{national[:-1]}{n % 3}")
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        shown = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
        case.db.execute(
            "INSERT INTO selectors (item_id, kind, value, shown, found_in, engine_version,"
            " current, created_at) VALUES (?, 'phone', ?, ?, 'text', 'demo', 1,"
            " '2026-03-01T00:00:00Z')",
            [item_id, e164, shown],
        )
        with case.transaction() as db:
            db.execute("UPDATE items SET text = ? WHERE id = ?",
                       [f"Crossing this week, safe boat, call {shown} (fictional advert)",
                        item_id])
        store.set_item_detail(case, item_id, "author", PAGES[n % 3])
        store.set_item_detail(case, item_id, "posted_at", f"2026-03-{1 + n:02d}T09:30:00Z")
    store.add_tag(case, ids[0:5], "boat")
    store.add_tag(case, ids[3:7], "to check")
    store.add_tag(case, ids[8:10], "documents")
    store.add_note(case, ids[1], "Same boat photo as the Blue Wave page (fictional).")
    store.manual_link(case, ids[1], ids[4], "same phone number and boat (fictional)")
    store.index_items(case, ids)
    path = case.path
    case.close()

    written = []
    window.open_case(path)
    ws = window.workstation
    ws.set_view_mode("grid")
    ws.select_ids([ids[1]])
    for _ in range(3):
        ws.loader.wait()
        _settle(app)
    grid = out_dir / "workstation-grid.png"
    window.grab().save(str(grid))
    written.append(grid)
    ws.set_view_mode("table")
    ws.select_ids([ids[4]])
    for _ in range(3):
        ws.loader.wait()
        _settle(app)
    table = out_dir / "workstation-table.png"
    window.grab().save(str(table))
    written.append(table)
    return written


LINKED_PAGES = ("Sea Star Travel (fictional)", "Blue Wave Crossings (fictional)",
                "Coastal Trips 24 (fictional)")


def _fictional_phone(last: int) -> tuple[str, str]:
    import phonenumbers
    from phonenumbers import PhoneNumberFormat, PhoneNumberType

    example = phonenumbers.example_number_for_type("TR", PhoneNumberType.MOBILE)
    national = str(example.national_number)
    number = phonenumbers.parse(f"+{example.country_code}{national[:-1]}{last % 10}")
    return (phonenumbers.format_number(number, PhoneNumberFormat.E164),
            phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL))


def _phone_screenshot(photo, page: str, lines: list[str], clock: str):
    """A phone screenshot of a social post holding ``photo``; returns it and the photo's box."""
    from PIL import Image, ImageDraw, ImageFont

    fonts = ROOT / "resources" / "fonts"
    regular = ImageFont.truetype(str(fonts / "NotoSans-Regular.ttf"), 26)
    bold = ImageFont.truetype(str(fonts / "NotoSans-Bold.ttf"), 28)
    small = ImageFont.truetype(str(fonts / "NotoSans-Regular.ttf"), 22)
    width, height = 720, 1480
    shot = Image.new("RGB", (width, height), "#f0f2f5")
    draw = ImageDraw.Draw(shot)
    draw.rectangle((0, 0, width, 56), fill="#ffffff")
    draw.text((28, 12), clock, font=small, fill="#111827")
    draw.text((width - 120, 12), "4G  82%", font=small, fill="#111827")
    draw.rectangle((0, 56, width, 150), fill="#ffffff")
    draw.text((28, 78), "facebook", font=bold, fill="#1877f2")
    draw.rectangle((0, 170, width, 1330), fill="#ffffff")
    draw.ellipse((28, 196, 108, 276), fill="#5b8def")
    draw.text((52, 214), page[0], font=bold, fill="#ffffff")
    draw.text((128, 200), page, font=bold, fill="#111827")
    draw.text((128, 240), "2 h · Public", font=small, fill="#6b7280")
    y = 300
    for line in lines:
        draw.text((28, y), line, font=regular, fill="#111827")
        y += 38
    y += 12
    copy = photo.resize((width, round(photo.height * width / photo.width)),
                        Image.Resampling.LANCZOS)
    shot.paste(copy, (0, y))
    box = [0, y, width, y + copy.height]
    y = box[3] + 24
    draw.text((28, y), "214 likes    87 comments    31 shares", font=small, fill="#6b7280")
    return shot, box


def _render_linked(app: QApplication, window: MainWindow, tmp: Path,
                   out_dir: Path) -> list[Path]:
    """A boat photo posted by one page and reposted in screenshots by others, with links."""
    import time

    from evidence import store
    from evidence.importer import import_path
    from synthetic.photos import render_scene

    incoming = tmp / "linked-incoming"
    incoming.mkdir()
    photo = render_scene("boat", 11, (960, 640))
    photo.save(incoming / "sea-star-boat.jpg", quality=92)
    e164, shown = _fictional_phone(7)
    other_e164, other_shown = _fictional_phone(2)
    shot, box = _phone_screenshot(photo, LINKED_PAGES[1], [
        "Safe crossing this week, big boat, few places.",
        f"WhatsApp {shown} — ask for Ahmed (fictional).",
    ], "21:47")
    shot.save(incoming / "Screenshot_20260314-2147.png")
    second_photo = render_scene("boat", 23, (900, 600))
    second_photo.save(incoming / "coastal-boat.jpg", quality=92)
    shot2, box2 = _phone_screenshot(second_photo, LINKED_PAGES[2], [
        "Boat leaves Friday night, calm sea forecast.",
        f"Call or WhatsApp {other_shown} (fictional).",
    ], "08:12")
    shot2.save(incoming / "Screenshot_20260316-0812.png")
    case = Case.create(tmp / "Cases" / "linked", title="Sea Star Travel (fictional): reposts",
                       actor="screenshots")
    import_path(case, incoming)
    items = {i["media"][0]["original_name"]: i for i in store.items_json(case)}
    details = {
        "sea-star-boat.jpg": (LINKED_PAGES[0], "2026-03-12T18:05:00Z",
                              "Safe crossing this week, big boat, few places left. WhatsApp "
                              f"{shown} (fictional advert).", e164, shown),
        "Screenshot_20260314-2147.png": (LINKED_PAGES[1], "2026-03-14T19:40:00Z", None, e164,
                                         shown),
        "coastal-boat.jpg": (LINKED_PAGES[2], "2026-03-15T07:30:00Z",
                             "Boat leaves Friday night, calm sea. Call or WhatsApp "
                             f"{other_shown} (fictional advert).", other_e164, other_shown),
        "Screenshot_20260316-0812.png": (LINKED_PAGES[2], "2026-03-16T08:00:00Z", None,
                                         other_e164, other_shown),
    }
    for name, (page, posted, text, number, as_shown) in details.items():
        item_id = items[name]["id"]
        store.set_item_detail(case, item_id, "author", page)
        store.set_item_detail(case, item_id, "posted_at", posted)
        with case.transaction() as db:
            if text:
                db.execute("UPDATE items SET text = ? WHERE id = ?", [text, item_id])
            else:
                db.execute("UPDATE items SET text_in_image = ? WHERE id = ?",
                           ["Safe crossing this week, big boat, few places.\nWhatsApp "
                            f"{as_shown} — ask for Ahmed (fictional)."
                            if "2147" in name else
                            "Boat leaves Friday night, calm sea forecast.\nCall or WhatsApp "
                            f"{as_shown} (fictional).", item_id])
            db.execute(
                "INSERT INTO selectors (item_id, kind, value, shown, found_in, engine_version,"
                " current, created_at) VALUES (?, 'phone', ?, ?, 'text', 'demo', 1,"
                " '2026-03-20T00:00:00Z')", [item_id, number, as_shown])

    def sha(name: str) -> str:
        return items[name]["media"][0]["sha256"]

    def image_link(a: str, b: str, a_box, b_box, pdq: int, phash: int, score: float) -> dict:
        return {"kind": "image", "a": sha(a), "b": sha(b), "score": score, "band": "strong",
                "why": f"the photo in {b} is the same as {a}: PDQ distance {pdq} of 256 (strong "
                       f"at 31 or less), pHash distance {phash} of 64 (threshold 10)",
                "details": {"pdq": pdq, "phash": phash, "transformed": False, "regions": {
                    sha(a): {"region": 1, "kind": a_box[0], "box": a_box[1]},
                    sha(b): {"region": 2, "kind": b_box[0], "box": b_box[1]}}}}

    store.replace_auto_links(case, ["image"], [
        image_link("sea-star-boat.jpg", "Screenshot_20260314-2147.png",
                   ("whole", [0, 0, 960, 640]), ("photo", box), 14, 4, 0.94),
        image_link("coastal-boat.jpg", "Screenshot_20260316-0812.png",
                   ("whole", [0, 0, 900, 600]), ("photo", box2), 22, 6, 0.91),
    ])
    ids = {name: str(item["id"]) for name, item in items.items()}
    store.replace_auto_links(case, ["phone"], [
        {"kind": "phone", "a": ids["sea-star-boat.jpg"], "b": ids["Screenshot_20260314-2147.png"],
         "score": 1.0, "band": "strong", "why": f"both show {shown} (text, image text)",
         "details": {"values": [e164]}},
        {"kind": "phone", "a": ids["coastal-boat.jpg"], "b": ids["Screenshot_20260316-0812.png"],
         "score": 1.0, "band": "strong", "why": f"both show {other_shown} (text, image text)",
         "details": {"values": [other_e164]}},
    ])
    store.replace_auto_links(case, ["text"], [
        {"kind": "text", "a": ids["sea-star-boat.jpg"], "b": ids["coastal-boat.jpg"],
         "score": 0.41, "band": "weak",
         "why": "similar advert text (similarity 0.41 of 5-character shingles, threshold "
                "0.35): «safe crossing this week»",
         "details": {"similarity": 0.41, "threshold": 0.35,
                     "shared_passage": "crossing this week"}},
    ])
    store.index_items(case, store.item_ids(case))
    image_link_id = next(k.id for k in store.links(case, kind="image")
                         if sha("sea-star-boat.jpg") in (k.a, k.b))
    path = case.path
    case.close()

    written: list[Path] = []
    window.open_case(path)
    ws = window.workstation
    dialog = ws.compare_link(image_link_id)
    dialog.resize(*SIZE)
    compare = dialog.compare

    def wait_for(widget) -> None:
        for _ in range(100):  # the pictures are prepared on worker threads
            _settle(app)
            if widget.prepared is not None and not widget._jobs:
                break
            time.sleep(0.05)
        _settle(app)

    def shoot(name: str) -> None:
        wait_for(compare)
        compare.fit()
        _settle(app)
        target = out_dir / name
        dialog.grab().save(str(target))
        written.append(target)

    shoot("compare-side.png")
    compare.set_region_mode(True)
    shoot("compare-region.png")
    # Overlay is most telling on the aligned photos: the repost sits exactly on the original.
    compare.set_mode("overlay")
    compare.opacity_slider.setValue(50)
    shoot("compare-overlay.png")
    dialog.close()
    _settle(app)

    window.show_review()
    window.review.select_row(2)
    wait_for(window.review.compare)
    window.review.compare.fit()
    _settle(app)
    review = out_dir / "review.png"
    window.grab().save(str(review))
    written.append(review)
    return written


def _render_clusters(app: QApplication, window: MainWindow, tmp: Path,
                     out_dir: Path) -> list[Path]:
    """One cluster of reposted adverts across three fictional pages: its timeline and network."""
    import time

    from evidence import store
    from evidence.importer import import_path

    case = Case.create(tmp / "Cases" / "cluster-ring", title="Crossing ring (fictional)",
                       actor="screenshots")
    folder = tmp / "cluster-adverts"
    folder.mkdir()
    for n in range(14):
        _advert(folder / f"advert-{n + 1:02d}.png", n)
    import_path(case, folder)
    ids = store.item_ids(case)
    phones = [_fictional_phone(3), _fictional_phone(7), _fictional_phone(5)]
    with case.transaction() as db:
        for n, item_id in enumerate(ids):
            if n in (0, 5):  # screenshots with no page or posted time: capture time orders them
                db.execute("UPDATE items SET posted_at = NULL, author = NULL, captured_at = ?,"
                           " captured_at_source = 'filename' WHERE id = ?",
                           [f"2026-02-{10 + n:02d}T07:{10 + n:02d}:00Z", item_id])
            else:
                db.execute("UPDATE items SET posted_at = ?, author = ? WHERE id = ?",
                           [f"2026-02-{10 + n // 2:02d}T{8 + n:02d}:30:00Z", PAGES[n % 3],
                            item_id])
            e164, shown = phones[0 if n % 4 else 1] if n != 9 else phones[2]
            db.execute(
                "INSERT INTO selectors (item_id, kind, value, shown, found_in, engine_version,"
                " current, created_at) VALUES (?, 'phone', ?, ?, 'text', 'screenshots', 1,"
                " '2026-02-20T00:00:00Z')", [item_id, e164, shown])
    found = [{"kind": "phone", "a": str(ids[n]), "b": str(ids[n + 1]), "score": 1.0,
              "band": "strong", "why": "the same WhatsApp number", "details": {}}
             for n in range(len(ids) - 1) if n != 6]
    found += [{"kind": "text", "a": str(ids[n]), "b": str(ids[n + 3]), "score": 0.7,
               "band": "strong" if n % 2 else "weak", "why": "the same advert text",
               "details": {}} for n in range(0, len(ids) - 3, 3)]
    store.replace_auto_links(case, ["phone", "text"], found)
    path = case.path
    case.close()

    written: list[Path] = []
    window.open_case(path)
    window.show_clusters()
    clusters = window.clusters
    for _ in range(200):  # clusters, layout and thumbnails are prepared on worker threads
        _settle(app)
        if clusters.network.graph is not None and window.workstation.loader.wait(50):
            break
        time.sleep(0.05)
    for _ in range(20):
        _settle(app)
        time.sleep(0.02)
    target = out_dir / "cluster-timeline.png"
    window.grab().save(str(target))
    written.append(target)
    clusters.tabs.setCurrentWidget(clusters.network)
    clusters.network.fit()
    _settle(app)
    target = out_dir / "network.png"
    window.grab().save(str(target))
    written.append(target)
    return written


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "screenshots"
    for path in render(out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
