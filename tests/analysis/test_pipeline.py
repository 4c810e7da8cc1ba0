"""The analyse pipeline end to end on a real case: OCR, selectors, links, watchlist, search."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis.linking import clusters
from analysis.pipeline import analyse
from evidence import store
from evidence.case import Case
from evidence.importer import import_path

ROOT = Path(__file__).resolve().parents[2]
PHONE = "+90 501 234 56 78"  # from phonenumbers' example mobile number for TR


@pytest.fixture
def shots(tmp_path: Path, render) -> Path:
    d = tmp_path / "shots"
    d.mkdir()
    render(["Sea Star Travel (fictional)", "Boat to Italy every Friday",
            f"WhatsApp {PHONE}"]).save(d / "Screenshot_20260302-101500.png")
    render(["قارب إلى إيطاليا كل جمعة", "اتصل 00905012345678"], rtl=True).save(
        d / "Screenshot_20260303-090000.png")
    render(["Fresh bread and cakes", "Open every day from 8"], dark=True).save(
        d / "Screenshot_20260304-120000.png")
    return d


def test_analyse_reads_links_flags_and_indexes(case: Case, shots: Path, require_ocr):
    import_path(case, shots)
    store.watchlist_add(case, "partner-a", [("phone", "+905012345678", "fictional")])
    rep = analyse(case, workers=2)
    assert rep.ocr_done == 3 and rep.ocr_failed == 0 and rep.hashed == 3
    items = {i["source_ref"]: i for i in store.items_json(case)}
    en = items["Screenshot_20260302-101500.png"]
    ar = items["Screenshot_20260303-090000.png"]
    assert "+905012345678" in {s["value"] for s in en["selectors"] if s["kind"] == "phone"}
    assert "+905012345678" in {s["value"] for s in ar["selectors"] if s["kind"] == "phone"}
    phone_links = store.links(case, "phone")
    assert len(phone_links) == 1
    assert {phone_links[0].a, phone_links[0].b} == {str(en["id"]), str(ar["id"])}
    assert "+90 501 234 56 78" in phone_links[0].why
    hits = store.watchlist_hits(case)
    assert {h["item_id"] for h in hits} == {en["id"], ar["id"]}
    assert {h["list_name"] for h in hits} == {"partner-a"}
    assert {c["id"] for c in clusters(case)} == {en["id"]}
    assert [h["id"] for h in store.search(case, "إيطاليا")] == [ar["id"]]
    assert {h["id"] for h in store.search(case, "905012345678")} == {en["id"], ar["id"]}
    assert [h["id"] for h in store.search(case, "cakes")] == [
        items["Screenshot_20260304-120000.png"]["id"]]
    # A second run redoes nothing.
    again = analyse(case, workers=2)
    assert again.ocr_done == 0 and again.hashed == 0 and again.items_read == 0
    assert case.verify_audit().ok


def test_decisions_survive_reanalysis(case: Case, shots: Path, require_ocr):
    import_path(case, shots)
    analyse(case, workers=2)
    link = store.links(case, "phone")[0]
    store.decide(case, link.id, "rejected", "same broker, different boats")
    case.db.execute("DELETE FROM analysis_runs WHERE stage = 'selectors'")
    analyse(case, workers=2)
    again = store.get_link(case, link.id)
    assert again.status == "rejected"
    assert [lk.status for lk in store.links(case, "phone")] == ["rejected"]
    assert clusters(case) == []


def test_no_ocr_still_finds_selectors_in_post_text(case: Case, tmp_path: Path):
    posts = tmp_path / "posts.jsonl"
    advert = ("Departure from the north coast every Friday night, 1500 euro per person, "
              "children half price, life jackets for everyone. Call {}")
    posts.write_text("\n".join(json.dumps({"message": advert.format(n), "page": p})
                               for n, p in ((PHONE, "Page A (fictional)"),
                                            ("+90 501 234 56 79", "Page B (fictional)"))))
    import_path(case, posts, "jsonl", "text=message,author=page")
    rep = analyse(case, ocr_langs=None)
    assert rep.ocr_done == 0 and not rep.ocr_available
    text_links = store.links(case, "text")
    assert len(text_links) == 1 and text_links[0].band == "strong"
    assert "Departure from the north coast" in text_links[0].why or "departure" in \
        text_links[0].why


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (read from /proc; empty where there is none)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_analyse_killed_then_rerun_does_not_redo_finished_work(tmp_path: Path, render,
                                                               require_ocr):
    shots = tmp_path / "shots"
    shots.mkdir()
    for i in range(16):
        render([f"Advert number {i}", f"Call {PHONE[:-2]}{i:02d}", "Boat every Friday"]).save(
            shots / f"Screenshot_20260302-1015{i:02d}.png")
    case = tmp_path / "c.tideline"
    with Case.create(case) as c:
        import_path(c, shots)
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "analyse", str(case),
                             "--workers", "2"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    done = 0
    while time.time() < deadline and proc.poll() is None:
        with sqlite3.connect(case / "case.db", timeout=30) as db:
            done = db.execute("SELECT count(*) FROM analysis_runs WHERE stage = 'ocr'").fetchone()[0]
        if done >= 2:
            break
        time.sleep(0.1)
    workers = _children(proc.pid)
    if proc.poll() is None:
        assert workers or not Path("/proc").is_dir()
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # The workers lead process groups of their own; they must not outlive the killed run.
    end = time.time() + 20
    while time.time() < end and any(_alive(p) for p in workers):
        time.sleep(0.2)
    assert not [p for p in workers if _alive(p)]
    with sqlite3.connect(case / "case.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        done = db.execute("SELECT count(*) FROM analysis_runs WHERE stage = 'ocr'").fetchone()[0]
    with Case.open(case) as c:
        rep = analyse(c, workers=2)
        assert rep.ocr_done == 16 - done
        assert c.db.execute("SELECT count(*) FROM ocr WHERE current = 1").fetchone()[0] == 16
        assert c.verify_audit().ok


def test_other_ocr_settings_add_a_new_current_version_and_keep_the_old(case: Case, shots: Path,
                                                                       require_ocr):
    import_path(case, shots)
    analyse(case, workers=2)
    rep = analyse(case, ocr_langs="eng", workers=2)
    assert rep.ocr_done == 3
    rows = case.db.execute(
        "SELECT media_sha256, count(*), sum(current) FROM ocr GROUP BY media_sha256").fetchall()
    assert [(n, cur) for _sha, n, cur in rows] == [(2, 1)] * 3
    settings = {json.loads(s)["langs"] for (s,) in case.db.execute(
        "SELECT settings FROM ocr WHERE current = 1")}
    assert settings == {"eng"}


def test_persian_item_reads_an_afghan_national_number_as_afghan(case: Case, tmp_path: Path):
    import phonenumbers
    from phonenumbers import PhoneNumberFormat, PhoneNumberType

    example = phonenumbers.example_number_for_type("AF", PhoneNumberType.MOBILE)
    national = "0" + str(example.national_number)[:-2] + "59"
    afghan = phonenumbers.format_number(phonenumbers.parse(national, "AF"),
                                        PhoneNumberFormat.E164)
    posts = tmp_path / "posts.jsonl"
    advert = f"برای رزرو جای قایق با ما تماس بگیرید {national}"
    posts.write_text(json.dumps({"message": advert, "page": "Sea Star Travel (fictional)"},
                                ensure_ascii=False), encoding="utf-8")
    import_path(case, posts, "jsonl", "text=message,author=page")
    analyse(case, ocr_langs=None)
    (item,) = store.item_ids(case)
    values = [r[0] for r in case.db.execute(
        "SELECT value FROM selectors WHERE item_id = ? AND kind = 'phone' AND current = 1",
        [item])]
    assert values == [afghan]
