"""How fast the workstation opens a large case and how smoothly it scrolls.

Usage: python bench/gui_bench.py [ITEMS]   (default 100,000)

Builds a case of ITEMS minimal post items (plainly fictional text) in a temporary folder, then
measures, offscreen: the time to open it in the main window (case open to the first painted
grid), and the longest gap between ticks of a 5 ms QTimer heartbeat on the GUI thread while the
table is scrolled from top to bottom in 200 steps. The baseline, measured in the same run, is a
bare ``SELECT id FROM items`` of the whole case; figures are printed as ratios to it.

Row pages are read on the model's background thread (gui.item_model.PageFetcher), so after the
scroll the bench waits for the pages still in flight and reports how long the last one took to
arrive. Figures on the shared 2-core machine, 100,000 items:
  before (synchronous pages, per-row formatting in data()): open 522 ms, scroll 9,898 ms for
      200 steps (49 ms a step), longest stall 175 ms; then "Fatal Python error: none_dealloc"
      at exit: PySide6 6.12 (abi3) on Python 3.11 returns None from void calls such as
      QPainter.save() without taking a reference, and the delegates paint a lot.
  after background pages and per-page display strings: open 633 ms, 52 ms a step, longest
      stall 247 ms (noisy machine); the repaint itself (Python delegates) dominates.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QElapsedTimer, QSettings, QTimer  # noqa: E402

from evidence.case import Case  # noqa: E402
from gui.app import create_application  # noqa: E402
from gui.main_window import MainWindow  # noqa: E402


def build_case(folder: Path, count: int) -> Path:
    case = Case.create(folder / "bench", title="Bench (fictional)", actor="bench")
    now = "2026-01-01T00:00:00Z"
    with case.transaction() as db:
        source_id = db.execute(
            "INSERT INTO sources (kind, path, fingerprint, importer_version, started_at, status,"
            " actor) VALUES ('json', 'bench.json', 'bench', 'bench', ?, 'finished', 'bench')",
            [now],
        ).lastrowid
        db.conn.executemany(
            "INSERT INTO items (source_id, source_ref, kind, author, posted_at, text, created_at)"
            " VALUES (?, ?, 'post', ?, ?, ?, ?)",
            ((source_id, f"p{n}", f"Blue Wave page {n % 50} (fictional)",
              f"2026-01-{1 + n % 28:02d}T10:{n % 60:02d}:00Z",
              f"Fictional crossing advert number {n}", now) for n in range(count)),
        )
    path = case.path
    case.close()
    return path


def main(argv: list[str]) -> int:
    count = int(argv[1]) if len(argv) > 1 else 100_000
    app = create_application(["gui-bench"])
    with tempfile.TemporaryDirectory(prefix="tideline-bench-") as tmp:
        path = build_case(Path(tmp), count)
        settings = QSettings(str(Path(tmp) / "bench.ini"), QSettings.Format.IniFormat)

        reader = Case.open(path, readonly=True)
        start = time.perf_counter()
        ids = [r[0] for r in reader.db.execute("SELECT id FROM items ORDER BY id")]
        baseline = time.perf_counter() - start
        reader.close()
        assert len(ids) == count

        window = MainWindow(settings=settings, actor="bench", check_ocr_on_start=False)
        window.resize(1440, 900)
        window.show()
        app.processEvents()
        start = time.perf_counter()
        window.open_case(path)
        window.grab()  # forces layout and a paint of the visible tiles
        open_s = time.perf_counter() - start
        ws = window.workstation
        ws.set_view_mode("table")
        app.processEvents()

        worst = 0.0
        clock = QElapsedTimer()
        clock.start()
        last = [clock.elapsed()]

        def beat() -> None:
            nonlocal worst
            now = clock.elapsed()
            worst = max(worst, (now - last[0]) / 1000)
            last[0] = now

        heartbeat = QTimer()
        heartbeat.setInterval(5)
        heartbeat.timeout.connect(beat)
        heartbeat.start()
        bar = ws.table.verticalScrollBar()
        steps = 200
        scroll_start = time.perf_counter()
        for step in range(steps + 1):
            bar.setValue(bar.maximum() * step // steps)
            ws.table.viewport().repaint()
            app.processEvents()
            beat()
        scroll_s = time.perf_counter() - scroll_start
        heartbeat.stop()
        settle_start = time.perf_counter()
        while ws.model._pending and time.perf_counter() - settle_start < 10:
            app.processEvents()
        settle_s = time.perf_counter() - settle_start
        pages = ws.model.pages_fetched
        window.close()

    print(f"items: {count:,}")
    print(f"baseline (SELECT id FROM items): {baseline * 1000:.1f} ms")
    print(f"open case in window: {open_s * 1000:.1f} ms ({open_s / baseline:.1f}x baseline)")
    print(f"scroll top to bottom in {steps} steps: {scroll_s * 1000:.0f} ms "
          f"({scroll_s * 1000 / (steps + 1):.1f} ms a step), pages fetched {pages}")
    print(f"last pages in flight arrived {settle_s * 1000:.1f} ms after the scroll ended")
    print(f"longest UI-thread stall while scrolling: {worst * 1000:.1f} ms "
          f"({worst / baseline:.1f}x baseline)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
