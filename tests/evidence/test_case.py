import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from evidence import db as dbmod
from evidence.case import Case
from evidence.errors import CaseError


def test_create_makes_the_layout_and_settings(tmp_path: Path):
    with Case.create(tmp_path / "c", title="Boats") as case:
        assert case.path.name == "c.tideline"
        for name in ("case.db", "vault", "cache", "audit.head"):
            assert (case.path / name).exists()
        assert case.title == "Boats"
        assert case.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert case.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert case.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert case.counts() == dict(items=0, media=0, sources=0, links=0, import_errors=0)


def test_create_refuses_a_non_empty_folder(tmp_path: Path):
    (tmp_path / "c.tideline").mkdir()
    (tmp_path / "c.tideline" / "something").write_text("x")
    with pytest.raises(CaseError, match="not empty"):
        Case.create(tmp_path / "c")


def test_open_something_that_is_not_a_case(tmp_path: Path):
    with pytest.raises(CaseError, match="not a Tideline case"):
        Case.open(tmp_path)
    with pytest.raises(CaseError, match="no case"):
        Case.open(tmp_path / "missing")


def test_second_writer_is_refused_with_a_sentence(case: Case):
    with pytest.raises(CaseError, match="open for writing elsewhere"):
        Case.open(case.path)
    # A reader is fine while the writer holds the case.
    with Case.open(case.path, readonly=True) as reader:
        assert reader.title == "Test case"


def test_lock_released_on_close(case: Case):
    case.close()
    with Case.open(case.path) as again:
        assert again.writable


def _holder_script(case_path: Path) -> str:
    return textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(Path.cwd())!r})
        from evidence.case import Case
        c = Case.open({str(case_path)!r})
        print("locked", flush=True)
        time.sleep(60)
        """
    )


def test_second_writer_in_another_process_is_refused_and_stale_lock_ignored(case: Case):
    case.close()
    proc = subprocess.Popen(
        [sys.executable, "-c", _holder_script(case.path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(CaseError, match="open for writing elsewhere"):
            Case.open(case.path)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    # The killed holder leaves its lock file behind; the OS released the lock itself.
    assert (case.path / "case.lock").exists()
    with Case.open(case.path) as again:
        assert again.writable


def test_case_from_a_newer_version_is_refused(case: Case):
    case.db.execute(f"PRAGMA user_version={dbmod.SCHEMA_VERSION + 1}")
    case.close()
    with pytest.raises(CaseError, match="newer version of Tideline"):
        Case.open(case.path)


def test_migration_from_the_previous_version_keeps_data_and_copies_aside(tmp_path: Path):
    path = tmp_path / "old.tideline"
    (path / "vault").mkdir(parents=True)
    (path / "cache").mkdir()
    db = dbmod.connect(path / "case.db")
    dbmod.migrate(db, None, upto=dbmod.SCHEMA_VERSION - 1)
    db.execute("INSERT INTO meta (key, value) VALUES ('title', 'Old case')")
    db.conn.commit()
    db.close()
    with Case.open(path) as case:
        assert dbmod.schema_version(case.db) == dbmod.SCHEMA_VERSION
        assert case.title == "Old case"
        assert "links" in case.db.table_names()
    backups = list(path.glob("case.db.v*.bak"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert old.execute("PRAGMA user_version").fetchone()[0] == dbmod.SCHEMA_VERSION - 1
    assert old.execute("SELECT value FROM meta").fetchone()[0] == "Old case"
    old.close()


def test_a_failed_migration_leaves_the_previous_version(tmp_path: Path, monkeypatch):
    db = dbmod.connect(tmp_path / "case.db")
    dbmod.migrate(db, None, upto=1)

    def broken(db):
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(dbmod, "MIGRATIONS", [dbmod.MIGRATIONS[0], broken])
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", 2)
    with pytest.raises(RuntimeError):
        dbmod.migrate(db, tmp_path / "case.db")
    assert dbmod.schema_version(db) == 1
    assert "half_done" not in db.table_names()


def test_readonly_case_refuses_writes(case: Case):
    case.close()
    with Case.open(case.path, readonly=True) as reader, pytest.raises(CaseError, match="read-only"):
        reader.audit("tag.added", {})
