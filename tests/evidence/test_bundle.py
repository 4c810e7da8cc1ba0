"""Evidence bundles: export as BagIt, verify, and catch every kind of tampering."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import bagit
import phonenumbers
import pytest
from PIL import Image

from evidence import audit, bundle, store
from evidence.bundle_names import NameAllocator, safe_filename, spreadsheet_cell
from evidence.case import Case
from evidence.clock import now_utc
from evidence.errors import TidelineError, VerificationError
from evidence.importer import import_path
from evidence.progress import Cancelled, CancelToken


def fictional_mobile(last: int) -> str:
    example = phonenumbers.example_number_for_type("GB", phonenumbers.PhoneNumberType.MOBILE)
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    return e164[:-2] + f"{last:02d}"


PHONE = fictional_mobile(31)
HOSTILE_NAMES = ["\u202egpj.exe", "CON.jpg", "con.JPG", "صورة القارب.jpg", "tab\x01name.jpg",
                 "dots. .jpg. ."]


def _build_case(root: Path) -> Case:
    shots, export = root / "shots", root / "export"
    shots.mkdir()
    export.mkdir()
    for n, name in enumerate(HOSTILE_NAMES):
        Image.new("RGB", (40, 30), (20 * n, 90, 200 - 20 * n)).save(shots / name, format="JPEG")
    Image.new("RGB", (40, 30), (200, 40, 40)).save(export / "boat.jpg")
    Image.new("RGB", (40, 30), (40, 160, 40)).save(export / "deck.tiff")
    posts = [
        {"text": f"<script>alert(1)</script> crossing tonight, call {PHONE}",
         "url": "https://example.org/seastar/1", "author": "Sea Star Travel (fictional)",
         "posted_at": "2024-05-01T10:00:00Z", "media": "boat.jpg"},
        {"text": '=HYPERLINK("http://example.org") رحلة بحرية آمنة',
         "url": "https://example.org/bluewave/2", "author": "=Blue Wave Trips (fictional)",
         "posted_at": "2024-05-02T11:00:00Z", "media": "deck.tiff"},
    ]
    (export / "posts.json").write_text(json.dumps(posts), encoding="utf-8")
    case = Case.create(root / "harbour", title="Harbour pages (fictional)", actor="analyst-7")
    import_path(case, shots)
    import_path(case, export / "posts.json", "json")
    ids = {it["author"]: it["id"] for it in store.items_json(case) if it["kind"] == "post"}
    seastar, bluewave = ids["Sea Star Travel (fictional)"], ids["=Blue Wave Trips (fictional)"]
    with case.transaction() as db:
        db.execute(
            "INSERT INTO selectors (item_id, kind, value, shown, found_in, engine_version, "
            "current, created_at) VALUES (?, 'phone', ?, ?, 'text', 'test', 1, ?)",
            [seastar, PHONE, PHONE, now_utc()],
        )
    shots_media = [it["media"][0]["sha256"] for it in store.items_json(case)
                   if it["kind"] == "screenshot"]
    store.replace_auto_links(case, ["image", "phone"], [
        {"kind": "image", "a": shots_media[0], "b": shots_media[1], "score": 0.93,
         "band": "strong", "why": "PDQ distance 18 of 256 over the whole photo", "details": {}},
        {"kind": "phone", "a": seastar, "b": store.item_ids(case)[0], "score": 1.0,
         "band": "strong", "why": f"both show {PHONE}", "details": {}},
    ])
    store.add_tag(case, [seastar, bluewave], "boats")
    store.add_note(case, seastar, "<img src=x onerror=alert(1)> seen on two pages")
    store.manual_link(case, seastar, bluewave, "same boat from another angle")
    return case


def _clusters(case: Case) -> list[dict]:
    """Clusters as the analysis layer hands them over: plain data. One joins the two pages'
    posts and a screenshot; one holds the other screenshots; one names no item of the case."""
    items = store.items_json(case)
    posts = [it["id"] for it in items if it["kind"] == "post"]
    shots = [it["id"] for it in items if it["kind"] == "screenshot"]
    return [
        {"id": shots[0], "items": [shots[0], *posts], "pages": [], "phones": [PHONE]},
        {"id": shots[1], "items": shots[1:4], "pages": [], "phones": []},
        {"id": 9999, "items": [9999, 10000], "pages": [], "phones": []},
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("bundle")
    case = _build_case(root)
    clusters = _clusters(case)
    result = bundle.export_bundle(case, root / "all-bundle", bundle.scope_all(case),
                                  clusters=clusters)
    zipped = bundle.export_bundle(case, root / "boats.zip", bundle.scope_tag(case, "boats"),
                                  clusters=clusters)
    yield case, result, zipped
    case.close()


@pytest.fixture
def bag(built, tmp_path) -> Path:
    """A private copy of the exported folder for a test to tamper with."""
    copy = tmp_path / "copy"
    shutil.copytree(built[1].path, copy)
    return copy


def _recompute_tagmanifests(bag_dir: Path) -> None:
    """What an attacker who understands BagIt would do after editing a tag file."""
    for alg in ("sha256", "sha512"):
        lines = []
        for line in (bag_dir / f"tagmanifest-{alg}.txt").read_text().splitlines():
            name = line.split(" ", 1)[1]
            digest = hashlib.new(alg, (bag_dir / name).read_bytes()).hexdigest()
            lines.append(f"{digest} {name}\n")
        (bag_dir / f"tagmanifest-{alg}.txt").write_text("".join(lines))


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# -- export ------------------------------------------------------------------------------------


def test_export_is_a_valid_bag_with_the_promised_metadata(built):
    case, result, _ = built
    bag = bagit.Bag(str(result.path))
    bag.validate()
    assert set(bag.algorithms) == {"sha256", "sha512"}
    assert bag.version_info == (1, 0)
    info = bag.info
    assert info["Tideline-Case-Title"] == "Harbour pages (fictional)"
    assert info["Tideline-Exporter"] == "analyst-7 (self-asserted)"
    assert info["Tideline-Scope"] == "all items in the case"
    assert info["Tideline-Item-Count"] == str(len(store.item_ids(case)))
    assert info["Tideline-File-Count"] == str(result.files)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", info["Tideline-Export-Time"])
    assert info["Tideline-Audit-Head-Seq"] == str(result.audit_head.seq)
    assert info["Tideline-Audit-Head-Hash"] == result.audit_head.hash
    tagged = (result.path / "tagmanifest-sha256.txt").read_text()
    for name in ("bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt",
                 "tideline-audit.jsonl", "audit.head", "tideline-provenance.json"):
        assert f" {name}\n" in tagged
    provenance = json.loads((result.path / "tideline-provenance.json").read_text())
    assert provenance["case_id"] == case.meta("case_id")
    assert provenance["scope"]["items"] == store.item_ids(case)
    assert bundle.verify_bundle(result.path).payload_files == int(
        info["Payload-Oxum"].split(".")[1])


def test_originals_are_byte_identical_to_the_vault_and_mapped(built):
    case, result, _ = built
    rows = _read_csv(result.path / "data" / "originals.csv")
    assert len(rows) == result.files == len(list((result.path / "data/originals").iterdir()))
    for row in rows:
        exported = (result.path / "data" / row["file"]).read_bytes()
        assert exported == case.vault.path_for(row["sha256"]).read_bytes()
        assert hashlib.sha256(exported).hexdigest() == row["sha256"]


def test_hostile_names_are_made_safe_and_unique(built):
    names = [p.name for p in (built[1].path / "data" / "originals").iterdir()]
    assert len({n.casefold() for n in names}) == len(names)
    for name in names:
        assert not any(ch in name for ch in "\u202e/\\\x01<>:\"|?*")
        assert not name.endswith((".", " "))
        assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL"}
    assert "صورة القارب.jpg" in names
    assert "gpj.exe" in names  # the override removed, so it reads as what it is


@pytest.mark.parametrize(
    ("original", "expected"),
    [("\u202egpj.exe", "gpj.exe"), ("CON.jpg", "_CON.jpg"), ("lpt1", "_lpt1"),
     ("a/b.png", "a_b.png"), ("..\\..\\x.jpg", "_.._x.jpg"), ("a\x07b\tc.jpg", "a_b_c.jpg"),
     ("trail. . ", "trail"), ("", "file"), ("عکس\u200cها.JPG", "عکس\u200cها.jpg"),
     ("no-extension", "no-extension")],
)
def test_safe_filename(original, expected):
    assert safe_filename(original) == expected


def test_safe_filename_adds_an_extension_from_the_type_and_bounds_length():
    assert safe_filename("photo", "image/png") == "photo.png"
    long = safe_filename("ب" * 400 + ".jpg")
    assert long.endswith(".jpg") and len(long.encode("utf-8")) <= 255


def test_name_allocator_is_unique_under_case_and_unicode_folding():
    names = NameAllocator()
    got = [names.allocate("Boat.jpg", tag="aaaa"), names.allocate("boat.JPG", tag="bbbb"),
           names.allocate("caf\u00e9.jpg", tag="cccc"), names.allocate("cafe\u0301.jpg", tag="dddd"),
           names.allocate("boat.jpg", tag="bbbb")]
    assert got[0] == "Boat.jpg"
    assert got[1] == "boat-bbbb.jpg"
    assert got[3] == "café-dddd.jpg"
    assert len({n.casefold() for n in got}) == 5


def test_csv_formula_cells_are_neutralised(built):
    data = built[1].path / "data"
    referral = _read_csv(data / "referral.csv")
    pages = {r["page"] for r in referral}
    assert "'=Blue Wave Trips (fictional)" in pages
    assert "Sea Star Travel (fictional)" in pages
    assert f"'{PHONE}" in {r["phones"] for r in referral}
    items = _read_csv(data / "items.csv")
    assert any(r["text"].startswith("'=HYPERLINK") for r in items)
    for row in items + referral:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert "apostrophe" in (data / "README.txt").read_text()
    assert spreadsheet_cell("\tx") == "'\tx" and spreadsheet_cell("plain") == "plain"
    assert spreadsheet_cell("\u202eabc") == "<U+202E>abc"


def test_items_links_and_hashes_files(built):
    case, result, _ = built
    data = result.path / "data"
    items = json.loads((data / "items.json").read_text())
    assert [i["id"] for i in items] == store.item_ids(case)
    post = next(i for i in items if i["author"] == "Sea Star Travel (fictional)")
    assert post["tags"] == ["boats"] and post["notes"][0]["text"].startswith("<img")
    assert post["selectors"][0]["value"] == PHONE
    assert post["media"][0]["sha256"]
    links = {link["kind"]: link for link in json.loads((data / "links.json").read_text())}
    assert sorted(links) == ["image", "manual", "phone"]
    assert links["manual"]["status"] == "confirmed"
    assert links["manual"]["decided_by"] == "analyst-7"
    assert "same boat" in links["manual"]["why"]
    assert links["image"]["band"] == "strong" and links["image"]["score"] == 0.93
    assert "PDQ distance" in links["image"]["why"]
    boats = built[2].path
    with zipfile.ZipFile(boats) as zf:
        scoped = json.loads(zf.read("boats/data/links.json"))
    assert [link["kind"] for link in scoped] == ["manual"]
    with open(data / "hashes.csv", encoding="utf-8-sig") as f:
        assert f.read().startswith("media_sha256,original_name,region_id")


def test_links_with_an_end_outside_the_scope_are_left_out(built, tmp_path):
    case = built[0]
    post = next(i["id"] for i in store.items_json(case) if i["kind"] == "post")
    result = bundle.export_bundle(case, tmp_path / "one", bundle.scope_items(case, [post]))
    assert json.loads((result.path / "data" / "links.json").read_text()) == []
    assert result.items == 1


def test_hash_values_of_media_in_scope_are_listed(tmp_path):
    case = _build_case(tmp_path)
    try:
        sha = store.items_json(case)[0]["media"][0]["sha256"]
        with case.transaction() as db:
            cur = db.execute(
                "INSERT INTO regions (media_sha256, engine, engine_version, settings, kind, x0, "
                "y0, x1, y1, current, created_at) VALUES (?, 'test', '1', '{}', 'whole', 0, 0, "
                "40, 30, 1, ?)", [sha, now_utc()])
            db.execute("INSERT INTO hashes (region_id, algo, value, quality) VALUES "
                       "(?, 'pdq', ?, 90)", [cur.lastrowid, "f" * 64])
        result = bundle.export_bundle(case, tmp_path / "b", bundle.scope_all(case))
        rows = _read_csv(result.path / "data" / "hashes.csv")
        assert [(r["media_sha256"], r["algo"], r["value"]) for r in rows] == [
            (sha, "pdq", "f" * 64)]
    finally:
        case.close()


def test_browser_unfriendly_originals_get_a_derived_preview(built):
    data = built[1].path / "data"
    row = next(r for r in _read_csv(data / "originals.csv") if r["mime"] == "image/tiff")
    assert row["preview_derived"].startswith("previews/")
    with Image.open(data / row["preview_derived"]) as im:
        assert im.format == "PNG"
    assert all(r["preview_derived"] == "" for r in _read_csv(data / "originals.csv")
               if r["mime"] == "image/jpeg")


def test_report_is_self_contained_and_escapes_evidence(built):
    data = built[1].path / "data"
    html = (data / "report.html").read_text()
    assert re.search(r'<meta http-equiv="Content-Security-Policy" content="default-src '
                     r"&#x27;none&#x27;; img-src &#x27;self&#x27;; style-src "
                     r'&#x27;unsafe-inline&#x27;">', html)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'dir="auto"' in html and "رحلة بحرية" in html
    assert "onerror=" not in re.sub(r"&lt;.*?&gt;", "", html)
    srcs = re.findall(r'<img src="([^"]+)"', html)
    assert srcs
    from urllib.parse import unquote

    for src in srcs:
        assert not re.match(r"^[a-z]+:", src) and not src.startswith("/")
        assert (data / unquote(src)).is_file()
    assert "same boat from another angle" in html  # the link's why, beside the pair
    pair = html.split("PDQ distance 18", 1)[1].split("</div></div>", 1)[0]
    assert pair.count("<img ") == 2  # an image link shows both photos side by side
    assert "Chain of custody" in html and "case.created" in html


def test_the_export_is_recorded_in_the_case_audit(built):
    case, result, zipped = built
    entries = [e for e in case.audit_entries() if e.action == "export.created"]
    assert [e.details["bag"] for e in entries][:2] == [str(result.path), str(zipped.path)]
    assert entries[0].details["tagmanifest_sha256"] == bundle.bundle_digest(result.path)
    assert entries[1].details["tagmanifest_sha256"] == bundle.bundle_digest(zipped.path)
    assert entries[0].details["payload_oxum"] == result.payload_oxum
    assert case.verify_audit().ok


def test_audit_excerpt_is_the_full_chain_up_to_the_head(built):
    result = built[1]
    lines = (result.path / "tideline-audit.jsonl").read_text().splitlines()
    assert len(lines) == result.audit_head.seq
    head = json.loads((result.path / "audit.head").read_text())
    assert head == {"seq": result.audit_head.seq, "hash": result.audit_head.hash}
    assert json.loads(lines[-1])["hash"] == result.audit_head.hash


def test_an_interrupted_export_leaves_nothing_under_the_final_name(built, tmp_path, monkeypatch):
    case = built[0]

    def boom(*args, **kwargs):
        raise RuntimeError("disk pulled out")

    before = case.audit_entries()[-1].seq
    folder, zipped = tmp_path / "bundle", tmp_path / "bundle.zip"
    for target, name, outs in ((bundle, "render_report", (folder, zipped)),
                               (bundle, "_write_bag_files", (folder, zipped)),
                               (bundle, "_zip_bag", (zipped,))):
        with monkeypatch.context() as m:
            m.setattr(target, name, boom)
            for out in outs:
                with pytest.raises(RuntimeError):
                    bundle.export_bundle(case, out, bundle.scope_all(case))
                assert not out.exists()
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        bundle.export_bundle(case, folder, bundle.scope_all(case), cancel=cancel)
    assert list(tmp_path.iterdir()) == []  # no staging folder left either
    assert case.audit_entries()[-1].seq == before


def test_a_failed_audit_write_removes_the_bundle(built, tmp_path, monkeypatch):
    case = built[0]

    def refuse(*args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(case, "audit", refuse)
    with pytest.raises(RuntimeError):
        bundle.export_bundle(case, tmp_path / "b", bundle.scope_all(case))
    assert list(tmp_path.iterdir()) == []


def test_export_refuses_bad_destinations_and_scopes(built, tmp_path):
    case = built[0]
    (tmp_path / "taken").mkdir()
    with pytest.raises(TidelineError, match="already exists"):
        bundle.export_bundle(case, tmp_path / "taken", bundle.scope_all(case))
    with pytest.raises(TidelineError, match="inside the case"):
        bundle.export_bundle(case, case.path / "cache" / "b", bundle.scope_all(case))
    with pytest.raises(TidelineError, match="no tag"):
        bundle.scope_tag(case, "no-such-tag")
    with pytest.raises(TidelineError, match="no item 9999"):
        bundle.scope_items(case, [9999])
    with pytest.raises(TidelineError, match="does not exist"):
        bundle.export_bundle(case, tmp_path / "missing" / "b", bundle.scope_all(case))


# -- verify ------------------------------------------------------------------------------------


def test_verify_accepts_the_folder_and_the_zip(built):
    _, result, zipped = built
    assert bundle.verify_bundle(result.path).audit_head == result.audit_head
    checked = bundle.verify_bundle(zipped.path)
    assert checked.bag_info["Tideline-Scope"] == "tag boats"
    with zipfile.ZipFile(zipped.path) as zf:
        assert all(n.startswith("boats/") for n in zf.namelist())


def _change_a_payload_byte(b: Path) -> None:
    target = next((b / "data" / "originals").iterdir())
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))


def _edit_manifest(b: Path) -> None:
    m = b / "manifest-sha256.txt"
    first, rest = m.read_text().split("\n", 1)
    m.write_text(("0" * 64) + first[64:] + "\n" + rest)


def _edit_manifest_and_tagmanifests(b: Path) -> None:
    _edit_manifest(b)
    _recompute_tagmanifests(b)


def _edit_audit(b: Path) -> None:
    p = b / "tideline-audit.jsonl"
    p.write_text(p.read_text().replace('"actor":"analyst-7"', '"actor":"someone-else"', 1))


def _edit_audit_and_tagmanifests(b: Path) -> None:
    _edit_audit(b)
    _recompute_tagmanifests(b)


def _truncate_audit_and_tagmanifests(b: Path) -> None:
    p = b / "tideline-audit.jsonl"
    p.write_text("".join(p.read_text().splitlines(keepends=True)[:-1]))
    _recompute_tagmanifests(b)


def _edit_bag_info(b: Path) -> None:
    p = b / "bag-info.txt"
    p.write_text(p.read_text().replace("analyst-7", "analyst-8"))


def _edit_bag_info_head_and_tagmanifests(b: Path) -> None:
    p = b / "bag-info.txt"
    p.write_text(re.sub(r"Tideline-Audit-Head-Seq: \d+", "Tideline-Audit-Head-Seq: 1",
                        p.read_text()))
    _recompute_tagmanifests(b)


def _add_payload_file_and_fix_oxum(b: Path) -> None:
    (b / "data" / "originals" / "planted.jpg").write_bytes(b"x")
    p = b / "bag-info.txt"
    oxum = re.search(r"Payload-Oxum: (\d+)\.(\d+)", p.read_text())
    fixed = f"Payload-Oxum: {int(oxum[1]) + 1}.{int(oxum[2]) + 1}"
    p.write_text(p.read_text().replace(oxum[0], fixed))
    _recompute_tagmanifests(b)


def _add_md5_tagmanifest(b: Path) -> None:
    (b / "tagmanifest-md5.txt").write_text(
        hashlib.md5((b / "bagit.txt").read_bytes()).hexdigest() + " bagit.txt\n")


def _symlink_in_data(b: Path) -> None:
    os.symlink("/etc/hostname", b / "data" / "link.txt")


TAMPERING = {
    "payload byte changed": _change_a_payload_byte,
    "file added to data": lambda b: (b / "data" / "extra.txt").write_text("x"),
    "file added to originals": lambda b: (b / "data" / "originals" / "x.jpg").write_bytes(b"x"),
    "file added to the bag root": lambda b: (b / "notes.txt").write_text("x"),
    "file added in a tag folder": lambda b: (b / "more").mkdir() or (b / "more" / "a").write_text(
        "x"),
    "bag-info edited": _edit_bag_info,
    "manifest edited": _edit_manifest,
    "manifest and tag manifests rewritten": _edit_manifest_and_tagmanifests,
    "audit excerpt edited": _edit_audit,
    "audit excerpt edited, tag manifests rewritten": _edit_audit_and_tagmanifests,
    "audit excerpt cut short, tag manifests rewritten": _truncate_audit_and_tagmanifests,
    "bag-info head changed, tag manifests rewritten": _edit_bag_info_head_and_tagmanifests,
    "tag manifest deleted": lambda b: (b / "tagmanifest-sha512.txt").unlink(),
    "payload file deleted": lambda b: (b / "data" / "report.html").unlink(),
    "symlink added": _symlink_in_data,
    "file added, oxum and tag manifests rewritten": _add_payload_file_and_fix_oxum,
    "extra tag manifest added": _add_md5_tagmanifest,
    "fifo added": lambda b: os.mkfifo(b / "data" / "pipe"),
}


@pytest.mark.parametrize("tamper", TAMPERING.values(), ids=TAMPERING.keys())
def test_verify_rejects_tampering(bag, tamper):
    bundle.verify_bundle(bag)  # intact before
    tamper(bag)
    with pytest.raises(VerificationError) as err:
        bundle.verify_bundle(bag)
    message = str(err.value)
    assert message and "\n" not in message


def test_verify_rejects_a_tampered_zip_and_an_unsafe_one(built, tmp_path):
    zipped = built[2].path
    changed = tmp_path / "changed.zip"
    with zipfile.ZipFile(zipped) as src, zipfile.ZipFile(changed, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data/links.json"):
                data = data.replace(b"confirmed", b"rejected!")
            dst.writestr(info, data)
    with pytest.raises(VerificationError):
        bundle.verify_bundle(changed)
    climbing = tmp_path / "climbing.zip"
    shutil.copy(zipped, climbing)
    with zipfile.ZipFile(climbing, "a") as zf:
        zf.writestr("../escape.txt", "x")
    with pytest.raises(VerificationError, match="climbs out"):
        bundle.verify_bundle(climbing)
    assert not (tmp_path.parent / "escape.txt").exists()
    extra = tmp_path / "extra.zip"
    shutil.copy(zipped, extra)
    with zipfile.ZipFile(extra, "a") as zf:
        zf.writestr("boats/added.txt", "x")
    with pytest.raises(VerificationError, match="added"):
        bundle.verify_bundle(extra)


def test_verify_rejects_what_is_not_a_bundle(tmp_path):
    with pytest.raises(VerificationError, match="no bundle"):
        bundle.verify_bundle(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(VerificationError, match="bagit.txt"):
        bundle.verify_bundle(tmp_path / "empty")
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(VerificationError, match="neither"):
        bundle.verify_bundle(tmp_path / "x.zip")


def test_audit_chain_hashing_matches_the_case_log(built):
    """The excerpt is checked with the same hash rule the case uses, entry by entry."""
    case, result, _ = built
    lines = [json.loads(x) for x in (result.path / "tideline-audit.jsonl").read_text().splitlines()]
    for entry, logged in zip(lines, case.audit_entries(), strict=False):
        assert entry["hash"] == logged.hash
        body = {k: v for k, v in entry.items() if k not in ("hash", "prev_hash")}
        assert audit.entry_hash(entry["prev_hash"], body) == logged.hash


# -- derived results -------------------------------------------------------------------------


def _add_derived(case: Case, sha: str) -> None:
    """An older and a current OCR run and region set for ``sha``, as analysis writes them."""
    words = [{"text": "call", "conf": 91.5, "box": [2, 3, 20, 9], "block": 1, "par": 1,
              "line": 1, "word": 1},
             {"text": PHONE, "conf": 88.0, "box": [22, 3, 39, 9], "block": 1, "par": 1,
              "line": 1, "word": 2}]
    with case.transaction() as db:
        for current, text in ((0, "old run"), (1, f"call {PHONE}\nرحلة")):
            db.execute(
                "INSERT INTO ocr (media_sha256, engine, engine_version, settings, text, "
                "mean_confidence, script, words, current, created_at) VALUES (?, 'tesseract', "
                "'5.3.0', ?, ?, 89.75, 'Latin', ?, ?, ?)",
                [sha, json.dumps({"langs": "eng+ara", "psm": 11}), text,
                 json.dumps(words if current else []), current, now_utc()])
        for current in (0, 1):
            cur = db.execute(
                "INSERT INTO regions (media_sha256, engine, engine_version, settings, kind, x0, "
                "y0, x1, y1, score, current, created_at) VALUES (?, 'tideline-hash', ?, '{}', "
                "'photo', 4, 5, 36, 28, 1.0, ?, ?)", [sha, f"hash-{current}", current, now_utc()])
            db.execute("INSERT INTO hashes (region_id, algo, value, quality, variant) VALUES "
                       "(?, 'pdq', ?, 87, 'original'), (?, 'phash', ?, NULL, 'original'), "
                       "(?, 'phash', ?, NULL, 'mirror')",
                       [cur.lastrowid, "a" * 64, cur.lastrowid, "b" * 16, cur.lastrowid, "c" * 16])


@pytest.fixture(scope="module")
def own_case(tmp_path_factory):
    """A case of this module's own, for tests that change derived rows or the vault."""
    root = tmp_path_factory.mktemp("own")
    case = _build_case(root)
    yield case, root
    case.close()


def test_derived_ocr_and_hashes_are_exported_with_their_engine(own_case, tmp_path):
    case, _ = own_case
    items = store.items_json(case)
    analysed = items[0]["media"][0]["sha256"]
    _add_derived(case, analysed)
    result = bundle.export_bundle(case, tmp_path / "b", bundle.scope_all(case))
    derived = result.path / "data" / "derived"
    assert (derived / "ocr" / f"{analysed}.txt").read_bytes().decode() == f"call {PHONE}\nرحلة"
    ocr = json.loads((derived / "ocr" / f"{analysed}.json").read_text(encoding="utf-8"))
    assert ocr["derived"] is True and ocr["engine"] == "tesseract"
    assert ocr["engine_version"] == "5.3.0" and ocr["settings"] == {"langs": "eng+ara", "psm": 11}
    assert ocr["mean_confidence"] == 89.75
    assert [(w["text"], w["box"]) for w in ocr["words"]] == [("call", [2, 3, 20, 9]),
                                                              (PHONE, [22, 3, 39, 9])]
    assert (result.path / "data" / ocr["original"]).read_bytes() == \
        case.vault.path_for(analysed).read_bytes()
    hashes = json.loads((derived / "hashes" / f"{analysed}.json").read_text(encoding="utf-8"))
    (region,) = hashes["regions"]  # only the current region set
    assert region["engine_version"] == "hash-1" and region["kind"] == "photo"
    assert region["box"] == [4, 5, 36, 28]
    assert (region["pdq"], region["pdq_quality"], region["phash"]) == ("a" * 64, 87, "b" * 16)
    assert {h["variant"] for h in region["hashes"]} == {"original", "mirror"}
    # Only analysed media have derived files; the README marks the folder as derived.
    assert sorted(p.name for p in derived.rglob("*")) == sorted(
        ["ocr", "hashes", f"{analysed}.txt", f"{analysed}.json", f"{analysed}.json"])
    assert result.derived_files == 3
    assert "data/derived/       DERIVED" in (result.path / "data" / "README.txt").read_text()
    manifest = (result.path / "manifest-sha256.txt").read_text()
    assert f"data/derived/ocr/{analysed}.json" in manifest
    # items.json keeps its fields.
    assert [sorted(i) for i in json.loads((result.path / "data/items.json").read_text())] == \
        [sorted(i) for i in items]
    bundle.verify_bundle(result.path, case)


def test_a_case_without_analysis_exports_no_derived_folder(built):
    assert not (built[1].path / "data" / "derived").exists()
    assert built[1].derived_files == 0


# -- verify against the case -------------------------------------------------------------------


def test_verify_against_the_case_accepts_its_own_bundles(built):
    case, result, zipped = built
    checked = bundle.verify_bundle(result.path, case)
    assert checked.case_match is not None
    assert checked.case_match.originals_checked == result.files
    entry = next(e for e in case.audit_entries() if e.seq == checked.case_match.export_seq)
    assert entry.action == "export.created" and entry.details["bag"] == str(result.path)
    assert bundle.verify_bundle(zipped.path, case).case_match.originals_checked == zipped.files
    assert checked.tagmanifest_sha256 == result.tagmanifest_sha256


def _resign(bag_dir: Path) -> None:
    """What someone who knows BagIt does after editing the payload: recompute every manifest."""
    cwd = os.getcwd()
    try:
        bagit.Bag(str(bag_dir)).save(manifests=True)
    finally:
        os.chdir(cwd)


def test_a_bundle_re_signed_after_tampering_fails_only_against_the_case(built, bag):
    case = built[0]
    items = json.loads((bag / "data" / "items.json").read_text(encoding="utf-8"))
    items[0]["text"] = "a different advert"
    (bag / "data" / "items.json").write_text(json.dumps(items), encoding="utf-8")
    _resign(bag)
    bundle.verify_bundle(bag)  # the bag alone is consistent again
    with pytest.raises(VerificationError, match="records no export with this bundle's"):
        bundle.verify_bundle(bag, case)


def test_a_re_signed_original_fails_against_the_case(built, bag):
    """An original swapped and originals.csv rewritten to match: every hash agrees, yet the
    case never exported these bytes."""
    case = built[0]
    rows = _read_csv(bag / "data" / "originals.csv")
    target = bag / "data" / rows[0]["file"]
    target.write_bytes(target.read_bytes() + b"\0")
    rows[0]["sha256"] = hashlib.sha256(target.read_bytes()).hexdigest()
    with open(bag / "data" / "originals.csv", "w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    _resign(bag)
    bundle.verify_bundle(bag)
    with pytest.raises(VerificationError, match="records no export"):
        bundle.verify_bundle(bag, case)


def test_verify_against_the_case_checks_the_vault_bytes(own_case, tmp_path):
    case, _ = own_case
    result = bundle.export_bundle(case, tmp_path / "v", bundle.scope_all(case))
    sha = _read_csv(result.path / "data" / "originals.csv")[0]["sha256"]
    vault_file = case.vault.path_for(sha)
    original = vault_file.read_bytes()
    os.chmod(vault_file, 0o600)
    try:
        vault_file.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
        with pytest.raises(VerificationError, match="differs from the case's vault copy"):
            bundle.verify_bundle(result.path, case)
        vault_file.unlink()
        with pytest.raises(VerificationError, match="is not in the case's vault"):
            bundle.verify_bundle(result.path, case)
    finally:
        vault_file.write_bytes(original)
        os.chmod(vault_file, 0o444)
    assert bundle.verify_bundle(result.path, case).case_match is not None


def test_verify_against_another_case_fails(built, tmp_path):
    with Case.create(tmp_path / "other", title="Other (fictional)", actor="analyst-3") as other:
        with pytest.raises(VerificationError, match="exported from another case"):
            bundle.verify_bundle(built[1].path, other)


# -- working directory -------------------------------------------------------------------------


def test_export_does_not_depend_on_the_working_directory(own_case, tmp_path, monkeypatch):
    case, _ = own_case
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # a working directory deleted under the running program
    result = bundle.export_bundle(case, tmp_path / "b", bundle.scope_all(case))
    assert bundle.verify_bundle(result.path, case).case_match is not None
    monkeypatch.chdir(tmp_path)
    bundle.export_bundle(case, tmp_path / "c.zip", bundle.scope_all(case))
    assert Path.cwd() == tmp_path  # bagit's directory changes are undone


def test_concurrent_exports_on_threads_do_not_mix_their_manifests(tmp_path, monkeypatch):
    import threading

    start = threading.Barrier(2)

    cases = []
    for n in range(2):
        (tmp_path / f"case{n}").mkdir()
        cases.append(_build_case(tmp_path / f"case{n}"))
    results: dict[int, bundle.ExportResult] = {}
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait(timeout=10)
            results[n] = bundle.export_bundle(cases[n], tmp_path / f"out{n}",
                                              bundle.scope_all(cases[n]))
        except BaseException as e:  # reported to the test thread below
            errors.append(e)

    try:
        threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        for n in range(2):
            assert bundle.verify_bundle(results[n].path, cases[n]).case_match is not None
    finally:
        for c in cases:
            c.close()


# -- what the bagit validator lets through and verify must not ----------------------------------


def _tagmanifest_double_space(b: Path) -> None:
    p = b / "tagmanifest-sha256.txt"
    p.write_text(p.read_text().replace(" bag-info.txt", "  bag-info.txt", 1))


def _tagmanifest_trailing_space(b: Path) -> None:
    p = b / "tagmanifest-sha512.txt"
    p.write_text(p.read_text().replace("bagit.txt\n", "bagit.txt \n", 1))


def _tagmanifest_blank_line(b: Path) -> None:
    p = b / "tagmanifest-sha256.txt"
    p.write_text("\n" + p.read_text())


def _tagmanifest_crlf(b: Path) -> None:
    p = b / "tagmanifest-sha256.txt"
    p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n"))


def _tagmanifest_tab(b: Path) -> None:
    p = b / "tagmanifest-sha256.txt"
    p.write_text(p.read_text().replace(" audit.head", "\taudit.head", 1))


BAGIT_BLIND_SPOTS = {
    "tag manifest: two spaces": _tagmanifest_double_space,
    "tag manifest: trailing space": _tagmanifest_trailing_space,
    "tag manifest: blank line": _tagmanifest_blank_line,
    "tag manifest: CRLF line ends": _tagmanifest_crlf,
    "tag manifest: tab for space": _tagmanifest_tab,
    "file added at the bag's top level": lambda b: (b / "notes.txt").write_text("planted"),
}


@pytest.mark.parametrize("tamper", BAGIT_BLIND_SPOTS.values(), ids=BAGIT_BLIND_SPOTS.keys())
def test_verify_rejects_what_the_bagit_validator_accepts(bag, tamper):
    tamper(bag)
    bagit.Bag(str(bag)).validate()  # the library's validator lets this through...
    with pytest.raises(VerificationError) as err:  # ...and verify does not
        bundle.verify_bundle(bag)
    assert "\n" not in str(err.value)


def test_manifests_are_what_the_bagit_library_writes(built, tmp_path):
    """The manifests written while copying equal those bagit computes from the same payload."""
    ours = built[1].path
    shutil.copytree(ours / "data", tmp_path / "theirs")
    theirs = bagit.make_bag(str(tmp_path / "theirs"), checksums=["sha256", "sha512"])
    for alg in ("sha256", "sha512"):
        mine = (ours / f"manifest-{alg}.txt").read_text(encoding="utf-8").splitlines()
        other = (tmp_path / "theirs" / f"manifest-{alg}.txt").read_text(
            encoding="utf-8").splitlines()
        assert sorted(mine) == sorted(other)
    assert bagit.Bag(str(ours)).info["Payload-Oxum"] == theirs.info["Payload-Oxum"]


# -- clusters, referral and provenance ---------------------------------------------------------


def test_clusters_touching_the_scope_are_in_the_json_and_the_report(built):
    case, result, zipped = built
    items = {it["id"]: it for it in store.items_json(case)}
    posts = sorted(i for i, it in items.items() if it["kind"] == "post")
    data = result.path / "data"
    clusters = json.loads((data / "clusters.json").read_text())
    assert result.clusters == 2 == len(clusters)  # the one naming no case item is left out
    big = clusters[0]
    assert set(posts) <= set(big["items"]) and big["items_in_case"] == 3
    assert big["pages"] == ["=Blue Wave Trips (fictional)", "Sea Star Travel (fictional)"]
    assert big["phones"] == [PHONE]
    html = (data / "report.html").read_text()
    section = html.split('<h2 id="clusters">', 1)[1].split('<h2 id="pairs">', 1)[0]
    assert f'id="cluster-{big["id"]}"' in section
    assert "Sea Star Travel (fictional)" in section and PHONE in section
    for item_id in big["items"]:
        assert f'href="#item-{item_id}"' in section
    # A tag scope holds only the two posts: the cluster is cut down to them and says so.
    with zipfile.ZipFile(zipped.path) as zf:
        scoped = json.loads(zf.read("boats/data/clusters.json"))
        report = zf.read("boats/data/report.html").decode()
    assert [c["items"] for c in scoped] == [posts]
    assert scoped[0]["items_in_case"] == 3
    assert "2 of its 3 items are in this bundle" in report


def test_a_bundle_without_clusters_says_so(built, tmp_path):
    case = built[0]
    result = bundle.export_bundle(case, tmp_path / "b", bundle.scope_all(case))
    assert result.clusters == 0
    assert json.loads((result.path / "data" / "clusters.json").read_text()) == []
    assert "No clusters were computed" in (result.path / "data" / "report.html").read_text()


def test_malformed_clusters_are_a_clear_error(built, tmp_path):
    case = built[0]
    with pytest.raises(TidelineError, match="cluster"):
        bundle.export_bundle(case, tmp_path / "b", bundle.scope_all(case),
                             clusters=[{"items": [1, 2]}])
    assert not (tmp_path / "b").exists()


def test_referral_lists_each_page_and_post_with_its_evidence(built):
    case, result, _ = built
    items = {it["id"]: it for it in store.items_json(case)}
    seastar = next(i for i, it in items.items() if it["author"] == "Sea Star Travel (fictional)")
    big = json.loads((result.path / "data" / "clusters.json").read_text())[0]
    rows = _read_csv(result.path / "data" / "referral.csv")
    assert list(rows[0]) == ["record", "page", "url", "item_count", "item_ids", "phones",
                             "cluster_ids", "first_seen", "last_seen", "media_sha256"]
    page = next(r for r in rows if r["record"] == "page"
                and r["page"] == "Sea Star Travel (fictional)")
    post = next(r for r in rows if r["record"] == "post"
                and r["url"] == "https://example.org/seastar/1")
    for row in (page, post):
        assert row["item_ids"] == str(seastar) and row["phones"] == f"'{PHONE}"
        assert row["cluster_ids"] == str(big["id"])
        assert row["first_seen"] == row["last_seen"] == "2024-05-01T10:00:00Z"
        assert row["media_sha256"] == items[seastar]["media"][0]["sha256"]
    urls = {r["url"] for r in rows if r["record"] == "post"}
    assert urls == {"https://example.org/seastar/1", "https://example.org/bluewave/2"}
    assert {r["record"] for r in rows} == {"page", "post"}


def test_referral_page_row_spans_first_and_last_seen():
    rows = bundle._referral_rows([
        {"id": 1, "author": "Sea Star Travel (fictional)", "url": "https://example.org/a",
         "posted_at": "2024-05-03T09:00:00Z", "captured_at": None, "selectors": [], "media": []},
        {"id": 2, "author": "Sea Star Travel (fictional)", "url": None, "posted_at": None,
         "captured_at": "2024-04-28T08:00:00Z", "selectors": [], "media": []},
    ], {2: ["2"]})
    page = next(r for r in rows if r[0] == "page")
    assert page[3:9] == [2, "1 2", "", "2", "2024-04-28T08:00:00Z", "2024-05-03T09:00:00Z"]
    assert [r[0] for r in rows].count("post") == 1


def test_referral_names_every_cluster_of_a_screenshot_of_two_posts():
    # A feed screenshot showing two campaigns' posts is in both clusters.
    rows = bundle._referral_rows([
        {"id": 5, "author": "Sea Star Travel (fictional)", "url": None,
         "posted_at": None, "captured_at": "2024-04-28T08:00:00Z", "selectors": [], "media": []},
    ], {5: ["12", "5"]})
    assert rows[0][6] == "5 12"


def test_provenance_of_each_original(built):
    case, result, _ = built
    provenance = json.loads((result.path / "tideline-provenance.json").read_text())
    originals = {o["file"]: o for o in provenance["originals"]}
    rows = _read_csv(result.path / "data" / "originals.csv")
    assert set(originals) == {"data/" + r["file"] for r in rows}
    boat = next(o for o in originals.values() if any(
        s["original_name"] == "boat.jpg" for s in o["sightings"]))
    assert {s["source"]["kind"] for s in boat["sightings"]} == {"json"}  # the posts export
    for o in originals.values():
        assert o["sightings"], o["file"]
        for s in o["sightings"]:
            assert s["path_in_source"] and s["source"]["path"]
            assert s["source"]["importer_version"]
            assert re.match(r"\d{4}-\d\d-\d\dT", s["source"]["import_started_at"])
    shot = next(o for o in originals.values() if any(
        s["original_name"] == "صورة القارب.jpg" for s in o["sightings"]))
    assert shot["sightings"][0]["source"]["path"].endswith("shots")
    assert shot["sightings"][0]["source"]["kind"] == "folder"
    assert shot["sightings"][0]["path_in_source"] == "صورة القارب.jpg"
