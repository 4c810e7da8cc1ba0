"""Importing folders, zips and exports: good files in, bad files kept and listed, no duplicates."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from evidence import store
from evidence.case import Case
from evidence.importer import ImportFailed, import_path

ROOT = Path(__file__).resolve().parents[2]


def _png(path: Path, colour=(20, 90, 160), size=(120, 200)) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path.read_bytes()


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    d = tmp_path / "shots"
    _png(d / "Screenshot_20260302-101500.png")
    jpg = d / "sub" / "IMG_20260303_080000.jpg"
    jpg.parent.mkdir(parents=True)
    Image.new("RGB", (300, 300), (200, 40, 40)).save(jpg, quality=80)
    data = jpg.read_bytes()
    (d / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (d / "notes.jpg").write_text("this is not an image")
    (d / "empty.png").write_bytes(b"")
    (d / "\u202egnp.exe").write_bytes(_png(tmp_path / "x.png", (1, 2, 3)))  # RTL override
    _png(d / "قارب.png", (5, 6, 7))
    _png(d / unicodedata.normalize("NFD", "café.png"), (9, 9, 9))
    os.symlink("/etc/hostname", d / "link.png")
    return d


def test_mixed_folder_keeps_everything_and_lists_the_bad(case: Case, mixed: Path):
    rep = import_path(case, mixed)
    assert rep.kind == "folder"
    assert rep.items_added == 5
    reasons = {r.path: r.reason for r in rep.rejected}
    assert set(reasons) == {"truncated.jpg", "notes.jpg", "empty.png", "link.png"}
    for reason in reasons.values():
        assert reason.endswith(".") and "\n" not in reason
    # Every received file is in the vault, the unreadable ones included.
    shas = {r[0] for r in case.db.execute("SELECT media_sha256 FROM sightings")}
    for sha in shas:
        assert case.vault.contains(sha)
    truncated = (mixed / "truncated.jpg").read_bytes()
    import hashlib

    assert case.vault.contains(hashlib.sha256(truncated).hexdigest())
    names = {r[0] for r in case.db.execute("SELECT original_name FROM sightings")}
    assert "\u202egnp.exe" in names and "قارب.png" in names
    assert unicodedata.normalize("NFD", "café.png") in names
    assert case.verify_audit().ok


def test_second_import_adds_nothing(case: Case, mixed: Path):
    import_path(case, mixed)
    before = case.counts()
    rep = import_path(case, mixed)
    assert rep.items_added == 0 and rep.files_added == 0
    assert case.counts() == before


def test_capture_time_from_the_file_name(case: Case, mixed: Path):
    import_path(case, mixed)
    items = {i["source_ref"]: i for i in store.items_json(case)}
    shot = items["Screenshot_20260302-101500.png"]
    assert shot["captured_at"].startswith("2026-03-02T10:15:00")
    assert shot["captured_at_source"].startswith("filename")


def test_missing_path_fails_in_one_sentence(case: Case, tmp_path: Path):
    with pytest.raises(ImportFailed, match="does not exist"):
        import_path(case, tmp_path / "nowhere")


def test_hostile_zip_is_contained(case: Case, tmp_path: Path):
    good = _png(tmp_path / "g.png")
    z = tmp_path / "sent.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("ok/Screenshot_20260302-101500.png", good)
        zf.writestr("../../escape.png", good)
        zf.writestr("/abs/path.png", good)
        info = zipfile.ZipInfo("link.png")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
        zf.writestr("bomb.png", b"\0" * (30 << 20), compress_type=zipfile.ZIP_DEFLATED)
    rep = import_path(case, z)
    assert rep.kind == "zip"
    assert rep.items_added == 1
    rejected = {r.path for r in rep.rejected}
    assert {"../../escape.png", "/abs/path.png", "link.png", "bomb.png"} <= rejected
    assert not (tmp_path / "escape.png").exists()
    assert not list(case.path.rglob("escape.png"))
    # The zip itself is kept as a container.
    roles = {r[0] for r in case.db.execute("SELECT role FROM sightings")}
    assert "container" in roles


def _telegram_export(root: Path) -> Path:
    (root / "photos").mkdir(parents=True)
    _png(root / "photos" / "photo_1@02-03-2026_10-15-00.jpg", (30, 60, 90))
    messages = [
        {"id": 1, "type": "service", "date": "2026-03-01T09:00:00", "date_unixtime": "1772355600",
         "actor": "Sea Star Travel (fictional)", "action": "create_channel", "text": ""},
        {"id": 2, "type": "message", "date": "2026-03-02T10:15:00",
         "date_unixtime": "1772446500", "from": "Sea Star Travel (fictional)",
         "from_id": "channel100", "photo": "photos/photo_1@02-03-2026_10-15-00.jpg",
         "width": 120, "height": 200,
         "text": ["Boat every Friday, call ", {"type": "phone", "text": "+90 501 234 56 78"}]},
        {"id": 3, "type": "message", "date": "2026-03-02T11:00:00",
         "date_unixtime": "1772449200", "from": "Sea Star Travel (fictional)",
         "photo": "(File not included. Change data exporting settings to download.)",
         "text": "Places left"},
    ]
    (root / "result.json").write_text(json.dumps(
        {"name": "Sea Star Travel (fictional)", "type": "public_channel", "id": 100,
         "messages": messages}, ensure_ascii=False))
    return root


def test_telegram_export_round_trip(case: Case, tmp_path: Path):
    export = _telegram_export(tmp_path / "ChatExport_2026-03-05")
    rep = import_path(case, export)
    assert rep.kind == "telegram" and not rep.rejected
    items = {i["source_ref"].rsplit("/", 1)[-1]: i for i in store.items_json(case)}
    assert len(items) == 3
    msg = next(i for i in items.values() if i["text"] and "Friday" in i["text"])
    assert "+90 501 234 56 78" in msg["text"]
    assert msg["posted_at"].startswith("2026-03-02T10:15:00")
    assert msg["author"] == "Sea Star Travel (fictional)"
    assert [m["role"] for m in msg["media"]] == ["photo"]
    missing = next(i for i in items.values() if i["text"] == "Places left")
    assert missing["extra"]["media_missing"]
    assert any(i["context"] for i in items.values())
    containers = case.db.execute(
        "SELECT original_name FROM sightings WHERE role = 'container'").fetchall()
    assert [c[0] for c in containers] == ["result.json"]
    again = import_path(case, export)
    assert again.items_added == 0


def test_malformed_json_export_is_recorded_not_crashed(case: Case, tmp_path: Path):
    bad = tmp_path / "posts.json"
    bad.write_text('[{"text": "one"}, {"text": "two",,}]')
    rep = import_path(case, bad, "json", "text=text")
    assert rep.status == "failed"
    assert len(rep.rejected) == 1 and "line 1" in rep.rejected[0].reason
    assert rep.rejected[0].path == "posts.json"
    # The file itself is kept, as received.
    import hashlib

    assert case.vault.contains(hashlib.sha256(bad.read_bytes()).hexdigest())


def test_cli_import_exits_3_and_lists_rejections(tmp_path: Path, mixed: Path):
    case = tmp_path / "c.tideline"
    run = [sys.executable, str(ROOT / "main.py")]
    assert subprocess.run([*run, "new", str(case)], capture_output=True).returncode == 0
    r = subprocess.run([*run, "import", str(case), str(mixed)], capture_output=True, text=True)
    assert r.returncode == 3, r.stderr
    assert "truncated.jpg" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([*run, "import", str(case), str(mixed), "--json"], capture_output=True,
                       text=True)
    summary = json.loads(r.stdout)
    assert summary["imports"][0]["items_added"] == 0


def test_import_killed_half_way_is_consistent_and_completes(tmp_path: Path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(600):
        Image.new("RGB", (64, 64), (i % 256, (i * 7) % 256, (i * 13) % 256)).save(
            folder / f"Screenshot_20260302-10{i // 60:02d}{i % 60:02d}.png")
    case = tmp_path / "c.tideline"
    Case.create(case).close()
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "import", str(case),
                             str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    seen = 0
    while time.time() < deadline and proc.poll() is None:
        with sqlite3.connect(case / "case.db") as db:
            seen = db.execute("SELECT count(*) FROM items").fetchone()[0]
        if seen >= 200:
            break
        time.sleep(0.05)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(case / "case.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Case.open(case) as c:
        assert c.verify_audit().ok
        rep = import_path(c, folder)
        assert c.counts()["items"] == 600
        assert rep.items_added == 600 - seen or proc.returncode == 0
        assert c.db.execute(
            "SELECT count(*) FROM (SELECT source_ref FROM items GROUP BY source_ref"
            " HAVING count(*) > 1)").fetchone()[0] == 0


def test_a_single_image_file(case: Case, tmp_path: Path):
    _png(tmp_path / "Screenshot 2026-03-02 at 10.15.00.png")
    rep = import_path(case, tmp_path / "Screenshot 2026-03-02 at 10.15.00.png")
    assert rep.items_added == 1 and not rep.rejected


def test_folder_rows_follow_the_files_and_copies_count_once(case: Case, tmp_path: Path):
    folder = tmp_path / "many"
    for i in range(40):
        _png(folder / f"Screenshot_20260302-1010{i:02d}.png", (i * 5, 40, 90), (64, 48))
    same = _png(tmp_path / "same.png", (1, 2, 3), (64, 48))
    for i in range(4):  # side by side, so different threads receive the same bytes at once
        (folder / f"copy_{i}.png").write_bytes(same)
    rep = import_path(case, folder)
    assert rep.files_added == 44 and rep.items_added == 44 and not rep.rejected
    assert rep.new_in_vault == 41
    assert case.db.execute("SELECT count(*) FROM media").fetchone()[0] == 41
    assert case.vault.verify().ok
    refs = [r[0] for r in case.db.execute("SELECT source_ref FROM items ORDER BY id")]
    assert refs == sorted(refs)  # rows are written in file order whatever thread read them


def test_cancelled_folder_import_stops_cleanly_and_completes_later(case: Case, tmp_path: Path):
    from evidence.progress import Cancelled, CancelToken

    folder = tmp_path / "many"
    for i in range(60):
        _png(folder / f"IMG_20260302_1010{i:02d}.png", (i * 4, 10, 200), (64, 48))
    token = CancelToken()

    def progress(p):
        if p.done >= 25:
            token.cancel()

    with pytest.raises(Cancelled):
        import_path(case, folder, progress=progress, cancel=token)
    # No receiving thread is left writing once the import has returned.
    assert not list(case.tmp_dir.glob("*.part"))
    assert 25 <= case.counts()["items"] < 60
    rep = import_path(case, folder)
    assert case.counts()["items"] == 60
    assert rep.already_present >= 25
    assert case.verify_audit().ok


def _png_with_cut_deflate(path: Path) -> None:
    """A PNG whose every chunk CRC is right but whose deflate stream stops half way."""
    import struct
    import zlib

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.effect_noise((160, 120), 40).convert("RGB").save(path)
    data, pos, chunks = path.read_bytes(), 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        chunks.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    idat = b"".join(d for t, d in chunks if t == b"IDAT")
    kept = [(t, d) for t, d in chunks if t not in (b"IDAT", b"IEND")]
    kept += [(b"IDAT", idat[: len(idat) // 2]), (b"IEND", b"")]
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
        for t, d in kept))


def test_image_broken_below_the_import_checks_is_listed_after_analyse(case: Case,
                                                                      tmp_path: Path):
    # Import checks a PNG's chunk CRCs without inflating its pixels, so a deflate stream cut
    # short under valid CRCs passes it; the analysis stage decodes in full and lists it then.
    # (A JPEG is decoded at 1/8 scale at import, which fails exactly where a full decode does,
    # so a truncated JPEG never gets this far: see test_mixed_folder_...)
    from analysis.pipeline import analyse
    from evidence.importer import import_errors
    folder = tmp_path / "shots"
    _png(folder / "Screenshot_20260302-101500.png")
    _png_with_cut_deflate(folder / "Screenshot_20260302-101600.png")
    rep = import_path(case, folder)
    assert rep.items_added == 2 and not rep.rejected
    result = analyse(case, ocr_langs=None, workers=1)
    assert result.unreadable == 1
    errors = import_errors(case)
    assert [e["path_in_source"] for e in errors] == ["Screenshot_20260302-101600.png"]
    reason = errors[0]["reason"]
    assert reason.startswith("The image is truncated or corrupt") and reason.endswith(".")
    readable, why = case.db.execute(
        "SELECT readable, unreadable_reason FROM media WHERE sha256 = ?",
        [errors[0]["media_sha256"]]).fetchone()
    assert readable == 0 and why == reason
    assert errors[0]["source_id"] == rep.source_id
    assert case.verify_audit().ok
    assert analyse(case, ocr_langs=None, workers=1).unreadable == 0  # not tried again
