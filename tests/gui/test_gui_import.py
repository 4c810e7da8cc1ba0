"""Importing from the window reads the new evidence too: OCR, numbers, links."""

import os
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from evidence import store
from evidence.case import Case
from gui.main_window import MainWindow

FONT = Path(__file__).resolve().parents[2] / "resources" / "fonts" / "NotoSans-Regular.ttf"


@pytest.fixture
def ocr_ready():
    from analysis.ocr import ocr_status

    status = ocr_status("eng+ara+fas+fra+tur")
    if not status.available:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(status.message)
        pytest.skip(status.message)


def test_import_through_the_window_then_analyses(qtbot, settings, tmp_path, ocr_ready):
    case_path = tmp_path / "window-import.tideline"
    Case.create(case_path, title="Window import (fictional)").close()
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    font = ImageFont.truetype(str(FONT), 30)
    for n in range(2):
        img = Image.new("RGB", (760, 200), "white")
        ImageDraw.Draw(img).multiline_text(
            (24, 24), f"Harbour Lights (fictional) advert {n}\nWhatsApp +90 501 234 56 78",
            fill="black", font=font)
        img.save(incoming / f"Screenshot_2026030{n + 1}-101500.png")
    win = MainWindow(settings=settings, actor="analyst-test", check_ocr_on_start=False)
    qtbot.addWidget(win)
    assert win.open_case(case_path)
    job = win.import_paths([incoming])
    with qtbot.waitSignal(job.done, timeout=180_000):
        pass
    win.import_summary.close()
    items = store.items_json(win.case)
    assert len(items) == 2
    for item in items:
        assert "Harbour Lights" in item["ocr_text"]
        assert "+905012345678" in {s["value"] for s in item["selectors"]}
    assert len(store.links(win.case, "phone")) == 1
    win.close()
