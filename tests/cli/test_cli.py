"""The command line through a real subprocess, as scripts use it."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, timeout=60
    )


def test_new_then_verify(tmp_path: Path):
    r = run("new", str(tmp_path / "x.tideline"), "--title", "Harbour pages")
    assert r.returncode == 0, r.stderr
    r = run("audit", str(tmp_path / "x.tideline"), "--verify")
    assert r.returncode == 0, r.stderr
    assert "intact" in r.stdout


def test_edited_audit_row_fails_verification_naming_it(tmp_path: Path):
    case = tmp_path / "x.tideline"
    assert run("--actor", "analyst-7", "new", str(case)).returncode == 0
    with sqlite3.connect(case / "case.db") as db:
        db.execute("UPDATE audit SET actor = 'someone else' WHERE seq = 1")
    r = run("audit", str(case), "--verify")
    assert r.returncode == 4
    assert "entry 1" in r.stderr
    assert "Traceback" not in r.stderr


def test_audit_json_carries_the_actor(tmp_path: Path):
    case = tmp_path / "x.tideline"
    run("new", str(case), "--actor", "analyst-7")
    r = run("audit", str(case), "--json")
    entries = json.loads(r.stdout)
    assert entries[0]["actor"] == "analyst-7"
    assert entries[0]["actor_asserted"] is True
    assert entries[0]["action"] == "case.created"


def test_errors_are_one_sentence_with_exit_1(tmp_path: Path):
    r = run("audit", str(tmp_path / "nowhere"))
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0
    assert "Traceback" not in r.stderr


def test_usage_error_exits_2():
    r = run("no-such-command")
    assert r.returncode == 2


def test_help_for_each_command():
    for cmd in ("new", "audit"):
        r = run(cmd, "--help")
        assert r.returncode == 0 and "usage" in r.stdout


def test_a_reader_that_stops_early_is_not_an_error(tmp_path: Path):
    case = tmp_path / "x.tideline"
    run("new", str(case))
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "audit", str(case), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # like `| head` exiting at once
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err and b"Unexpected error" not in err
