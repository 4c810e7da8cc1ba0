"""GUI test set-up: offscreen Qt, settings kept out of the user's home, small fictional cases."""

from __future__ import annotations

import os

# Must happen before anything imports Qt: tests never open a real window.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from PIL import Image, ImageDraw
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from evidence import store
from evidence.case import Case
from evidence.importer import import_path


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    return ["tideline-tests"]


@pytest.fixture(scope="session", autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Any QSettings() made during the tests writes to a temporary INI file, never the user's."""
    root = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(root))


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """A fresh settings file per test so recent-case lists do not leak between tests."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


TITLE = "Sea Star Travel (fictional)"
COLOURS = ("#1f6feb", "#e0a030", "#46a37a", "#d0556a")


def fictional_phone(region: str = "TR", last: int = 0) -> tuple[str, str]:
    """(E.164, as shown) for the region's example mobile number with the last digit varied."""
    example = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    national = str(example.national_number)
    varied = national[:-1] + str((int(national[-1]) + last) % 10)
    number = phonenumbers.parse(f"+{example.country_code}{varied}")
    return (phonenumbers.format_number(number, PhoneNumberFormat.E164),
            phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL))


def write_pngs(folder: Path, count: int = 4) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        img = Image.new("RGB", (320 + 40 * n, 240), COLOURS[n % len(COLOURS)])
        draw = ImageDraw.Draw(img)
        draw.rectangle((20, 20, 140, 120), fill="#ffffff")
        draw.ellipse((160, 60, 260 + n * 10, 200), fill="#222222")
        path = folder / f"advert-{n + 1}.png"
        img.save(path)
        paths.append(path)
    return paths


def add_phone(case: Case, item_id: int, e164: str, shown: str) -> None:
    case.db.execute(
        "INSERT INTO selectors (item_id, kind, value, shown, found_in, engine_version, current,"
        " created_at) VALUES (?, 'phone', ?, ?, 'text', 'test', 1, '2026-01-01T00:00:00Z')",
        [item_id, e164, shown],
    )
    case.db.conn.commit()


def make_case(tmp_path: Path, count: int = 4) -> tuple[Path, list[int], str, str]:
    """A closed case with ``count`` screenshots; the second carries a fictional phone number."""
    case = Case.create(tmp_path / "sea-star", title=TITLE, actor="fixture")
    write_pngs(tmp_path / "incoming", count)
    import_path(case, tmp_path / "incoming")
    ids = store.item_ids(case)
    e164, shown = fictional_phone("TR", 3)
    add_phone(case, ids[1], e164, shown)
    with case.transaction() as db:
        db.execute("UPDATE items SET text = ? WHERE id = ?",
                   [f"Crossing this week, call {shown} (fictional)", ids[1]])
    store.index_items(case, ids)
    path = case.path
    case.close()
    return path, ids, e164, shown


def insert_bulk_items(case: Case, count: int) -> None:
    """``count`` minimal post items straight into the tables (no media): a large case, fast."""
    now = "2026-01-01T00:00:00Z"
    with case.transaction() as db:
        cur = db.execute(
            "INSERT INTO sources (kind, path, fingerprint, importer_version, started_at, status,"
            " actor) VALUES ('json', 'bulk.json', 'bulk:test', 'test', ?, 'finished', 'fixture')",
            [now],
        )
        source_id = cur.lastrowid
        db.conn.executemany(
            "INSERT INTO items (source_id, source_ref, kind, author, posted_at, text, created_at)"
            " VALUES (?, ?, 'post', ?, ?, ?, ?)",
            (
                (source_id, f"p{n}", f"Blue Wave page {n % 50} (fictional)",
                 f"2026-01-{1 + n % 28:02d}T10:{n % 60:02d}:00Z",
                 f"Fictional crossing advert number {n}", now)
                for n in range(count)
            ),
        )


@pytest.fixture
def case_info(tmp_path: Path) -> tuple[Path, list[int], str, str]:
    """(case path, item ids, E.164 phone, phone as shown) of a closed four-screenshot case."""
    return make_case(tmp_path)


@pytest.fixture
def pngs():
    return write_pngs


@pytest.fixture
def bulk_items():
    return insert_bulk_items


@pytest.fixture
def errors(monkeypatch) -> list[tuple[str, str]]:
    """Capture error boxes (title, sentence) instead of blocking on them."""
    shown: list[tuple[str, str]] = []

    def fake_warning(parent, title, text, *args, **kwargs):
        shown.append((title, text))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(fake_warning))
    return shown


@pytest.fixture
def open_window(qtbot, settings, errors):
    """open_window(case_path) -> a shown 1440x900 MainWindow on that case, closed afterwards."""
    from gui.main_window import MainWindow

    opened = []

    def _open(case_path: Path):
        win = MainWindow(settings=settings, actor="analyst-test", check_ocr_on_start=False)
        qtbot.addWidget(win)
        win.resize(1440, 900)
        win.show()
        assert win.open_case(case_path)
        opened.append(win)
        return win

    yield _open
    for win in opened:
        win.close()
