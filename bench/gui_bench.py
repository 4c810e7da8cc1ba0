"""How fast the workstation opens a large case, how smoothly it scrolls, and whether an import
running on a worker stalls it.

Usage: python bench/gui_bench.py [ITEMS]   (default 100,000)

Builds a case of ITEMS minimal post items (plainly fictional text) in a temporary folder, then
measures, offscreen: the time to open it in the main window (case open to the first painted
grid); the longest gap between ticks of a 5 ms QTimer heartbeat on the GUI thread while the
table, then the grid, is scrolled from top to bottom in 200 steps (with each step's wall and
GUI-thread CPU time: the difference is waiting, for the GIL or for a core of the shared
machine); and the longest gap of a 10 ms heartbeat while ``import_path`` brings 40 pictures into
the same case on a worker thread, then the time the window takes to refresh its list. The
baseline, measured in the same run, is a bare ``SELECT id FROM items`` of the whole case;
figures are printed as ratios to it. The longest heartbeat gap with the GUI idle is printed too:
what the machine itself adds to every stall.

Figures on the shared 2-core machine (load average 6-8), 100,000 items, PySide6 6.11.3:
  before (QStyledItemDelegate / initStyleOption per cell, display strings made on the GUI
      thread, one cyclic-GC pass over every live object): open 874 ms, table 66 ms a step,
      longest stall 161 ms. Profile: 27 ms a table repaint; strftime (it imports the time
      module per call), data() and initStyleOption dominated; full GC passes took 100-200 ms.
  after (table painted row by row from cached row pixmaps, tiles cached, display strings made
      on the fetcher thread, stale page requests dropped, thumbnails announced in batches,
      gc.freeze() after a case opens): open 500-670 ms; a cached table repaint ~1 ms;
      table 16-26 ms a step (GUI-thread CPU median 5-8 ms), longest stall 52-85 ms;
      grid 10-17 ms a step, longest stall 38-49 ms; while importing 40 pictures the longest
      stall is ~50 ms; the list refresh after the import takes ~120 ms (a new search of
      100,000 ids on the GUI thread). The first view scrolled after opening is the slower:
      the filter panel's background job runs then and competes for the GIL.
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
from evidence.importer import import_path  # noqa: E402
from gui import workers  # noqa: E402
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


class Heartbeat:
    """The longest gap between ticks of a GUI-thread QTimer: how long the UI could not react."""

    def __init__(self, interval_ms: int) -> None:
        self.worst = 0.0
        self._clock = QElapsedTimer()
        self._last = 0
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.beat)

    def start(self) -> None:
        self.worst = 0.0
        self._clock.start()
        self._last = 0
        self._timer.start()

    def beat(self) -> None:
        now = self._clock.elapsed()
        self.worst = max(self.worst, (now - self._last) / 1000)
        self._last = now

    def stop(self) -> float:
        self._timer.stop()
        return self.worst


def idle_floor(app, seconds: float = 2.0) -> float:
    """The longest heartbeat gap with nothing to do: what the shared machine itself adds."""
    heart = Heartbeat(5)
    heart.start()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)
    return heart.stop()


def scroll(app, ws, view, steps: int = 200) -> tuple[float, float, list[float], list[float]]:
    """(seconds for the whole scroll, longest stall, each step's wall seconds, each step's
    GUI-thread CPU seconds) scrolling ``view`` top to bottom.

    A step's CPU time next to its wall time separates work on the GUI thread from waiting
    (for the GIL, or for a core on a loaded machine)."""
    heart = Heartbeat(5)
    bar = view.verticalScrollBar()
    bar.setValue(0)
    app.processEvents()
    heart.start()
    start = time.perf_counter()
    walls, cpus = [], []
    for step in range(steps + 1):
        wall, cpu = time.perf_counter(), time.thread_time()
        bar.setValue(bar.maximum() * step // steps)
        view.viewport().repaint()
        app.processEvents()
        heart.beat()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.thread_time() - cpu)
    took = time.perf_counter() - start
    return took, heart.stop(), sorted(walls), sorted(cpus)


def write_images(folder: Path, count: int) -> Path:
    """``count`` plain fictional pictures (coloured shapes) to import."""
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        img = Image.new("RGB", (800, 600), (40 + n * 5 % 200, 90, 160))
        draw = ImageDraw.Draw(img)
        draw.rectangle((40 + n, 60, 400, 300), fill="#ffffff")
        draw.ellipse((420, 200, 700 - n, 520), fill="#222222")
        img.save(folder / f"bench-{n:03d}.png")
    return folder


def import_while_idle(app, window, folder: Path) -> tuple[float, float, float]:
    """(import seconds, longest stall while the worker imports, refresh at the end seconds).

    ``import_path`` runs through ``gui.workers.run_in_background`` against the window's case,
    as File > Import does (without the analysis that follows it there, which on this case
    would read all the items' text); then the window refreshes its list as after an import.
    """
    heart = Heartbeat(10)
    start = time.perf_counter()
    job = workers.run_in_background(import_path, window.case, folder, parent=window,
                                    label="Importing evidence…")
    stall = []
    job.finished.connect(lambda _r: stall.append(heart.stop()))
    job.failed.connect(lambda m: print("import failed:", m))
    heart.start()
    while job.running and time.perf_counter() - start < 120:
        app.processEvents()
        time.sleep(0.001)
    took = time.perf_counter() - start
    refresh_start = time.perf_counter()
    window._after_import()
    refresh = time.perf_counter() - refresh_start
    return took, stall[0] if stall else heart.stop(), refresh


def main(argv: list[str]) -> int:
    count = int(argv[1]) if len(argv) > 1 else 100_000
    app = create_application(["gui-bench"])
    with tempfile.TemporaryDirectory(prefix="tideline-bench-") as tmp:
        path = build_case(Path(tmp), count)
        images = write_images(Path(tmp) / "incoming", 40)
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
        floor = idle_floor(app)
        start = time.perf_counter()
        window.open_case(path)
        window.grab()  # forces layout and a paint of the visible tiles
        open_s = time.perf_counter() - start
        ws = window.workstation
        steps = 200
        results = {}
        for mode in ("table", "grid"):
            ws.set_view_mode(mode)
            app.processEvents()
            results[mode] = scroll(app, ws, ws.current_view(), steps)
        settle_start = time.perf_counter()
        while ws.model._pending and time.perf_counter() - settle_start < 10:
            app.processEvents()
        settle_s = time.perf_counter() - settle_start
        pages = ws.model.pages_fetched
        ws.set_view_mode("table")
        app.processEvents()
        import_s, import_stall, refresh_s = import_while_idle(app, window, images)
        window.close()

    print(f"items: {count:,}")
    print(f"baseline (SELECT id FROM items): {baseline * 1000:.1f} ms")
    print(f"machine noise: longest heartbeat gap with the GUI idle: {floor * 1000:.1f} ms")
    print(f"open case in window: {open_s * 1000:.1f} ms ({open_s / baseline:.1f}x baseline)")
    for mode, (scroll_s, worst, walls, cpus) in results.items():
        n = len(walls)
        print(f"{mode}: scroll top to bottom in {steps} steps: {scroll_s * 1000:.0f} ms "
              f"({scroll_s * 1000 / n:.1f} ms a step); longest UI-thread stall "
              f"{worst * 1000:.1f} ms ({worst / baseline:.1f}x baseline)")
        print(f"  step wall median {walls[n // 2] * 1000:.1f} ms, 95th percentile "
              f"{walls[n * 95 // 100] * 1000:.1f} ms, worst {walls[-1] * 1000:.1f} ms; "
              f"GUI-thread CPU median {cpus[n // 2] * 1000:.1f} ms, worst {cpus[-1] * 1000:.1f} ms")
    print(f"pages fetched {pages}; last pages in flight arrived {settle_s * 1000:.1f} ms "
          "after the scroll ended")
    print(f"import of 40 pictures on a worker: {import_s * 1000:.0f} ms; longest UI-thread "
          f"stall meanwhile (10 ms heartbeat) {import_stall * 1000:.1f} ms; refreshing the "
          f"list afterwards {refresh_s * 1000:.1f} ms ({refresh_s / baseline:.1f}x baseline)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
