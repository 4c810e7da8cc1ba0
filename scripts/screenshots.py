"""Render the main window offscreen into docs/screenshots/ (welcome.png and shell.png).

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
        window.deleteLater()
        _settle(app)
    return written


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "screenshots"
    for path in render(out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
