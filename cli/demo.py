"""The demo case: a few hundred fictional files from the synthetic generator, imported and
analysed by the real pipeline, built once and reused.

A build interrupted half way resumes on the next run (import and analysis are incremental);
the case is marked complete only when every step has finished.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from evidence.case import Case
from evidence.importer import import_path
from evidence.progress import ProgressCallback

DEMO_FILES = 160
DEMO_SEED = 2026
DEMO_TITLE = "Demo: crossing adverts (fictional)"


def default_dir() -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "Tideline" / "demo"


def demo_sources(material: Path) -> list[tuple[Path, str]]:
    """What an analyst would import: screenshot folders and the three exports."""
    out = [(material / name, "folder") for name in ("photos", "reposts", "screenshots",
                                                     "distractors")]
    out += [(p, "telegram") for p in sorted((material / "exports" / "telegram").glob("*"))
            if (p / "result.json").is_file()]
    if (material / "exports" / "facebook").is_dir():
        out.append((material / "exports" / "facebook", "facebook"))
    if (material / "exports" / "crowdtangle.csv").is_file():
        out.append((material / "exports" / "crowdtangle.csv", "crowdtangle"))
    return [(p, f) for p, f in out if p.exists()]


def build_demo(directory: Path | None = None, *, n_files: int = DEMO_FILES,
               ocr_langs: str | None = "eng+ara+fas+fra+tur",
               progress: ProgressCallback | None = None, log=print) -> Path:
    from analysis.pipeline import analyse
    from synthetic import generate

    directory = Path(directory or default_dir())
    case_path = directory / "demo.tideline"
    if (case_path / "case.db").is_file():
        with Case.open(case_path, readonly=True) as case:
            if case.meta("demo_complete") == "1":
                return case_path
    material = directory / "material"
    if not (material / "truth.json").is_file():
        log(f"Generating {n_files} fictional files into {material} …")
        generate(material, n_files, seed=DEMO_SEED)
    case = Case.open(case_path) if (case_path / "case.db").is_file() else Case.create(
        case_path, title=DEMO_TITLE)
    with case:
        for path, fmt in demo_sources(material):
            log(f"Importing {path.relative_to(material)} …")
            import_path(case, path, fmt, progress=progress)
        log("Analysing (OCR, hashes, phone numbers, links) …")
        analyse(case, ocr_langs=ocr_langs, progress=progress)
        with case.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('demo_complete', '1')")
            case.audit("demo.built", {"files": n_files, "seed": DEMO_SEED})
    return case_path
