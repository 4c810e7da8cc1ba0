"""Render the main window offscreen into docs/screenshots/: welcome.png, shell.png (an empty
case's summary), workstation-grid.png and workstation-table.png (a small fictional case).

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


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "screenshots"
    for path in render(out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
