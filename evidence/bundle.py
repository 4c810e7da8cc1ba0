"""Evidence bundles: export a scope of a case as a BagIt bag (RFC 8493), and verify one.

``export_bundle`` writes the bag into a staging folder beside the destination, then moves it (or a zip of it) into place, so an interrupted export leaves
nothing under the final name; the export is then recorded in the case's audit log with the
tag manifest's digest. ``verify_bundle`` runs the ``bagit`` validator and, beyond it, rejects
any file that no manifest lists (payload or tag area), any tag file or manifest the tag
manifests do not account for, and an audit excerpt whose hash chain is broken or does not end
at the recorded head. Both work on a folder and on a ``.zip``. Given the case it came from,
``verify_bundle`` also checks the bundle against that case: the case's audit log must record an
export with this bundle's tag-manifest digest, and every original must be in the case's vault
with the same bytes, so a bundle re-signed after tampering (payload changed, every manifest
recomputed) is caught.

``data/derived/`` carries the current OCR and region hashes of each media in scope, each file
naming the engine, version and settings that produced it, so a cited result can be reproduced.

The bag's declaration, bag-info and manifests are written here in exactly the form the
``bagit`` library writes them, hashing each original with SHA-256 and SHA-512 while copying it
out of the vault, so the payload is read once; the ``bagit`` validator checks the result (in
``verify_bundle`` and in the tests). Nothing here changes the working directory, so exports
on several worker threads do not interfere.

Tag-manifest lines must be exactly ``<digest> <name>``: the ``bagit`` validator accepts extra
or trailing whitespace and blank lines there, and nothing else covers the tag manifests' own
bytes, so ``verify_bundle`` refuses any such change.

Scope is a list of item ids chosen by the caller (cluster scopes are resolved above this
layer, which never imports ``analysis``).
"""

from __future__ import annotations

import contextlib
import csv
import filecmp
import hashlib
import json
import logging
import os
import platform
import re
import shutil
import sqlite3
import tempfile
import uuid
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import bagit

from . import __version__, audit, store
from .bundle_names import NameAllocator, spreadsheet_cell
from .case import Case
from .errors import TidelineError, VerificationError
from .progress import CancelToken, ProgressCallback, check, report
from .report_html import ReportInput, render_report
from .safezip import Member, ZipArchiveError, iter_members

CHECKSUMS = ["sha256", "sha512"]
AUDIT_FILE = "tideline-audit.jsonl"
HEAD_FILE = "audit.head"
PROVENANCE_FILE = "tideline-provenance.json"
TAG_FILES = (AUDIT_FILE, HEAD_FILE, PROVENANCE_FILE)
REQUIRED_BAG_FILES = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt",
                      "tagmanifest-sha256.txt", "tagmanifest-sha512.txt", *TAG_FILES)
# Formats every current browser shows; anything else readable gets a PNG preview.
BROWSER_MIMES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/avif"}
PREVIEW_MAX_SIDE = 2400

logging.getLogger("bagit").setLevel(logging.ERROR)  # bagit logs every file it hashes


@dataclass
class ExportScope:
    """What is exported: ``kind`` is all, tag, cluster or items; ``value`` says which."""

    kind: str
    value: str | None
    item_ids: list[int]

    def describe(self) -> str:
        if self.kind == "all":
            return "all items in the case"
        return f"{self.kind} {self.value}"


@dataclass
class ExportResult:
    path: Path
    items: int
    files: int
    previews: int
    links: int
    payload_oxum: str
    tagmanifest_sha256: str
    audit_head: audit.Head
    derived_files: int = 0  # files under data/derived/
    clusters: int = 0  # clusters in data/clusters.json and the report


@dataclass
class CaseMatch:
    """What ``verify_bundle(..., case=...)`` confirmed against the case the bundle came from."""

    case_id: str
    export_seq: int  # the export.created audit entry recording this bundle's digest
    exported_at: str
    originals_checked: int


@dataclass
class VerifyResult:
    path: Path
    payload_files: int
    tag_files: int
    audit_entries: int
    audit_head: audit.Head
    bag_info: dict[str, str] = field(default_factory=dict)
    tagmanifest_sha256: str = ""
    case_match: CaseMatch | None = None


# -- scope -------------------------------------------------------------------------------------


def scope_all(case: Case) -> ExportScope:
    return ExportScope("all", None, store.item_ids(case))


def scope_tag(case: Case, tag: str) -> ExportScope:
    row = case.db.execute("SELECT id FROM tags WHERE name = ?", [tag.strip()]).fetchone()
    if row is None:
        raise TidelineError(f"There is no tag '{tag}' in this case.")
    ids = [r[0] for r in case.db.execute(
        "SELECT item_id FROM item_tags WHERE tag_id = ? ORDER BY item_id", [row[0]])]
    return ExportScope("tag", tag.strip(), ids)


def scope_items(case: Case, ids: Iterable[int]) -> ExportScope:
    ids = sorted(set(ids))
    for i in ids:
        store.require_item(case, i)
    return ExportScope("items", ",".join(map(str, ids)), ids)


# -- export ------------------------------------------------------------------------------------


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    # UTF-8 with a BOM so spreadsheets read Arabic and Persian correctly.
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for row in rows:
            w.writerow([spreadsheet_cell(v) for v in row])


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def _phones(item: dict) -> list[str]:
    return sorted({s["value"] for s in item["selectors"] if s["kind"] in ("phone", "whatsapp")})


def _make_preview(src: Path, dst: Path) -> bool:
    from PIL import Image, ImageOps

    with contextlib.suppress(ImportError):
        import pillow_heif

        pillow_heif.register_heif_opener()
    try:
        with Image.open(src) as im:
            im = ImageOps.exif_transpose(im)
            im.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE))
            if im.mode not in ("RGB", "RGBA", "L", "LA"):
                im = im.convert("RGBA" if "A" in im.getbands() else "RGB")
            im.save(dst, "PNG")
        return True
    except Exception:  # an unreadable original simply has no preview; it is still exported
        dst.unlink(missing_ok=True)
        return False


def _hash_rows(case: Case, media: dict[str, str]) -> list[list[object]]:
    if not media:
        return []
    rows: list[list[object]] = []
    shas = sorted(media)
    for i in range(0, len(shas), 900):
        chunk = shas[i:i + 900]
        marks = ",".join("?" * len(chunk))
        try:
            found = case.db.execute(
                f"""SELECT r.media_sha256, r.id, r.kind, r.x0, r.y0, r.x1, r.y1, h.algo,
                           h.value, h.quality, h.variant, r.engine, r.engine_version
                    FROM regions r JOIN hashes h ON h.region_id = r.id
                    WHERE r.current = 1 AND r.media_sha256 IN ({marks})
                    ORDER BY r.media_sha256, r.id, h.algo, h.variant""",
                chunk,
            ).fetchall()
        except sqlite3.OperationalError:  # a case from before derived tables existed
            return []
        for r in found:
            rows.append([r[0], media[r[0]], *r[1:]])
    return rows


def _in_chunks(case: Case, sql: str, shas: Sequence[str]) -> list[sqlite3.Row | tuple]:
    """Rows of ``sql`` (with one ``{marks}`` placeholder list) for every sha in ``shas``."""
    rows: list = []
    for i in range(0, len(shas), 900):
        chunk = list(shas[i:i + 900])
        rows += case.db.execute(sql.format(marks=",".join("?" * len(chunk))), chunk).fetchall()
    return rows


def _json_or_text(value: str | None, default: object) -> object:
    if value is None or value == "":
        return default
    try:
        return json.loads(value)
    except ValueError:  # kept as written rather than dropped
        return value


def _derived_records(case: Case, media_paths: dict[str, str]
                     ) -> tuple[dict[str, dict], dict[str, dict]]:
    """The current OCR and the current regions with their hashes of each media, as the
    ``data/derived/ocr/<sha>.json`` and ``data/derived/hashes/<sha>.json`` records."""
    shas = sorted(media_paths)
    try:
        ocr_rows = _in_chunks(case, """
            SELECT media_sha256, id, engine, engine_version, settings, text, mean_confidence,
                   script, words, error, created_at
            FROM ocr WHERE current = 1 AND media_sha256 IN ({marks}) ORDER BY media_sha256, id""",
            shas)
        region_rows = _in_chunks(case, """
            SELECT media_sha256, id, kind, x0, y0, x1, y1, score, engine, engine_version,
                   settings, created_at
            FROM regions WHERE current = 1 AND media_sha256 IN ({marks})
            ORDER BY media_sha256, id""", shas)
        region_ids = [r[1] for r in region_rows]
        hash_rows: list = []
        for i in range(0, len(region_ids), 900):
            chunk = region_ids[i:i + 900]
            hash_rows += case.db.execute(
                f"""SELECT region_id, algo, value, quality, variant FROM hashes
                    WHERE region_id IN ({",".join("?" * len(chunk))})
                    ORDER BY region_id, algo, variant, id""", chunk).fetchall()
    except sqlite3.OperationalError:  # a case from before derived tables existed
        return {}, {}
    ocr: dict[str, dict] = {}
    for r in ocr_rows:
        # Only one row per media should be current; if several are, the newest is the one
        # the case shows, so it is the one exported.
        ocr[r[0]] = {
            "derived": True, "media_sha256": r[0], "original": media_paths[r[0]],
            "ocr_id": r[1], "engine": r[2], "engine_version": r[3],
            "settings": _json_or_text(r[4], {}), "created_at": r[10],
            "mean_confidence": r[6], "script": r[7], "error": r[9], "text": r[5],
            "words": _json_or_text(r[8], []),
        }
    by_region: dict[int, list[dict]] = {}
    for region_id, algo, value, quality, variant in hash_rows:
        by_region.setdefault(region_id, []).append(
            {"algo": algo, "value": value, "quality": quality, "variant": variant})
    hashes: dict[str, dict] = {}
    for r in region_rows:
        found = by_region.get(r[1], [])
        plain = {h["algo"]: h for h in found if h["variant"] == "original"}
        record = hashes.setdefault(r[0], {
            "derived": True, "media_sha256": r[0], "original": media_paths[r[0]], "regions": []})
        record["regions"].append({
            "region_id": r[1], "kind": r[2], "box": [r[3], r[4], r[5], r[6]], "score": r[7],
            "engine": r[8], "engine_version": r[9], "settings": _json_or_text(r[10], {}),
            "created_at": r[11],
            "phash": plain.get("phash", {}).get("value"),
            "pdq": plain.get("pdq", {}).get("value"),
            "pdq_quality": plain.get("pdq", {}).get("quality"),
            "hashes": found,
        })
    return ocr, hashes


def _write_derived(case: Case, bag_dir: Path, media_paths: dict[str, str]) -> int:
    """Write ``derived/ocr`` and ``derived/hashes``; the number of files written."""
    ocr, hashes = _derived_records(case, media_paths)
    written = 0
    if ocr:
        folder = bag_dir / "derived" / "ocr"
        folder.mkdir(parents=True)
        for sha, record in ocr.items():
            # newline="" keeps the recognised text exactly as stored, line ends included.
            with open(folder / f"{sha}.txt", "w", encoding="utf-8", newline="") as f:
                f.write(record["text"] or "")
            _write_json(folder / f"{sha}.json", record)
            written += 2
    if hashes:
        folder = bag_dir / "derived" / "hashes"
        folder.mkdir(parents=True)
        for sha, record in hashes.items():
            _write_json(folder / f"{sha}.json", record)
            written += 1
    return written


def _audit_lines(entries: Sequence[audit.AuditEntry]) -> str:
    return "".join(
        audit.canonical_json(e.body() | {"prev_hash": e.prev_hash, "hash": e.hash}) + "\n"
        for e in entries
    )


_README = """Tideline evidence bundle
========================

This folder is a BagIt bag (RFC 8493). Any BagIt tool can check it, for example
`bagit.py --validate BAG`; `python main.py verify BAG` also checks the audit chain and that no
file was added anywhere. manifest-sha256.txt and manifest-sha512.txt list every payload file
with its hash; tagmanifest-*.txt list the tag files (bag-info.txt, the manifests, the audit
excerpt, audit.head, provenance).

data/originals/     the files as received, byte-identical to the case vault. Names are the
                    original names made safe for every filesystem (no path separators,
                    control or bidi-override characters, Windows device names, trailing dots
                    or spaces; the extension kept) and unique; originals.csv maps each name to
                    its SHA-256 and the name it was received under.
data/previews/      DERIVED: PNG renderings of originals a browser cannot show (e.g. HEIC,
                    TIFF). For reading only; the original is the evidence.
data/derived/       DERIVED: results computed from the originals, rebuildable from them.
                    Each file names the engine, its version and the settings that made it.
  ocr/<sha256>.txt    the current OCR text of that original, exactly as the case holds it;
  ocr/<sha256>.json   the same with engine, version, settings, mean confidence, script and
                      every word with its confidence and box (x0, y0, x1, y1 in pixels);
  hashes/<sha256>.json  the current photo regions of that original: box, kind, score, the
                      engine and version that found them, and each region's pHash and PDQ
                      (with PDQ quality and the mirrored/rotated variants used for matching).
                    Media that were not analysed have no derived files.
data/items.json     every item in scope: text, OCR text (derived), selectors, tags, notes,
data/items.csv      sightings, times and the SHA-256 of its media.
data/links.json     links whose two ends are both in scope: kind, band, score, status, who
                    decided (self-asserted) and why.
data/clusters.json  the clusters touching the scope (items joined by strong or confirmed
                    links or by showing the same file): id, the items in scope, how many
                    items the cluster has in the case, pages, phone numbers, media SHA-256.
data/referral.csv   for a platform takedown or internet-referral request: one "page" row per
                    page or account and one "post" row per post URL, each with the items
                    that show it, their phone numbers, cluster ids, first and last seen
                    (posted time, or capture time when no posted time was received; UTC)
                    and media SHA-256.
data/hashes.csv     DERIVED: perceptual hashes (PDQ, pHash) of the media in scope, when
                    computed (the same values as data/derived/hashes/, one row per hash).
data/report.html    a readable report. It runs no script and loads nothing from the network.

CSV files are UTF-8 with a byte-order mark. A cell that begins with = + - @, a tab or a
carriage return is written with a leading apostrophe (') so that spreadsheets show it as
text instead of running it as a formula (OWASP guidance on CSV injection). Phone numbers in
E.164 form begin with + and therefore appear as '+...; remove the apostrophe to get the value.
Invisible bidirectional-text controls (U+202A-U+202E, U+2066-U+2069), which can make a name
or text display as something else, are shown as <U+202E> in CSV files and in the report.
JSON files carry every value exactly as received.

Tag files: tideline-audit.jsonl is the case's hash-chained audit log up to the export, one
JSON entry per line. To check it with any tool: drop "prev_hash" and "hash" from an entry,
write the rest as JSON with keys sorted, no spaces (separators "," and ":") and non-ASCII
characters as UTF-8; its hash is the hex SHA-256 of the previous entry's hash (64 zeros for
the first entry), a newline, and that JSON. audit.head records the last entry's seq and hash,
and bag-info.txt repeats them.
tideline-provenance.json says which case, who exported (self-asserted), with which versions
and what scope, and under "originals", for every file in data/originals/, each place it was
received: the import source (kind, path, container SHA-256), the path and name inside it, the
file times, the import time and the importer version. Names of people acting are as they asserted them, not authenticated.
`python main.py verify BAG --case CASE` also confirms, against the case itself, that its
audit log records this export (by the SHA-256 of tagmanifest-sha256.txt) and that every
original is byte-identical to the file in the case's vault.
"""


def export_bundle(
    case: Case,
    out: Path,
    scope: ExportScope,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    clusters: Sequence[Mapping] | None = None,
) -> ExportResult:
    """Write the bundle for ``scope`` to ``out`` (a folder, or a zip when it ends in .zip).

    ``clusters`` are the case's clusters as plain data (``{"id", "items", ...}``, as
    ``analysis.linking.clusters`` returns them); those touching the scope are listed in the
    report, ``data/clusters.json`` and ``data/referral.csv``. Without them the bundle simply
    has no clusters.
    """
    out = Path(out).absolute()
    if not case.writable:
        raise TidelineError("Exporting is recorded in the case, so the case must be writable.")
    if out.exists():
        raise TidelineError(f"{out} already exists: choose a new name for the bundle.")
    try:
        if out.resolve().is_relative_to(case.path.resolve()):
            raise TidelineError("A bundle cannot be written inside the case folder.")
    except OSError as e:
        raise TidelineError(f"Cannot use {out} for the bundle: {e.strerror}.") from e
    if not scope.item_ids:
        raise TidelineError(f"There are no items to export in {scope.describe()}.")
    chain = case.verify_audit()
    if not chain.ok:
        raise VerificationError(f"The case's audit log is not intact, so no bundle was made: "
                                f"{chain.problem}")
    parent = out.parent
    if not parent.is_dir():
        raise TidelineError(f"The folder {parent} does not exist.")
    staging = parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    try:
        staging.mkdir()
    except OSError as e:
        raise TidelineError(f"Cannot write in {parent}: {e.strerror}.") from e
    try:
        bag_dir = staging / "bag"
        bag_dir.mkdir()
        result = _build_bag(case, bag_dir, scope, progress, cancel, clusters)
        check(cancel)
        if out.suffix.lower() == ".zip":
            tmp_zip = staging / "bundle.zip"
            _zip_bag(bag_dir, tmp_zip, out.stem)
            os.replace(tmp_zip, out)
        else:
            os.rename(bag_dir, out)
        result.path = out
        try:
            case.audit("export.created", {
                "scope": scope.kind, "value": scope.value, "items": result.items,
                "files": result.files, "previews": result.previews, "links": result.links,
                "derived_files": result.derived_files, "clusters": result.clusters,
                "bag": str(out), "payload_oxum": result.payload_oxum,
                "tagmanifest_sha256": result.tagmanifest_sha256,
                "audit_head": {"seq": result.audit_head.seq, "hash": result.audit_head.hash},
            })
        except BaseException:
            # An unaudited bundle must not stay behind under the final name.
            if out.is_dir():
                shutil.rmtree(out, ignore_errors=True)
            else:
                out.unlink(missing_ok=True)
            raise
        return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _referral_rows(items: Sequence[dict], cluster_of: Mapping[int, Sequence[str]]
                   ) -> list[list[object]]:
    """One row per page/account and one per post URL, each with the evidence behind it."""
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for it in items:
        page = _one_line(it.get("author") or "")
        if page:
            groups.setdefault(("page", page, ""), []).append(it)
        if it.get("url"):
            groups.setdefault(("post", page, str(it["url"])), []).append(it)
    rows: list[list[object]] = []
    for (kind, page, url), members in sorted(groups.items()):
        # "Seen" is when the advert was posted, or when it was captured if no post time
        # was received; ISO 8601 UTC strings sort in time order.
        seen = sorted(t for it in members if (t := it.get("posted_at") or it.get("captured_at")))
        phones = sorted(set().union(*(_phones(it) for it in members)))
        # A screenshot of a feed is in the cluster of every post it shows.
        clusters = sorted({c for it in members for c in cluster_of.get(it["id"], ())},
                          key=lambda c: int(c) if c.isdigit() else 0)
        rows.append([
            kind, page, url, len(members), " ".join(str(it["id"]) for it in members),
            " ".join(phones), " ".join(clusters), seen[0] if seen else "",
            seen[-1] if seen else "",
            " ".join(sorted({m["sha256"] for it in members for m in it["media"]})),
        ])
    return rows


def _clusters_in_scope(clusters: Sequence[Mapping] | None, items: Sequence[dict]
                       ) -> list[dict]:
    """The given clusters that touch the scope, cut down to the items in scope."""
    if not clusters:
        return []
    by_id = {it["id"]: it for it in items}
    out = []
    for c in clusters:
        try:
            members = [int(i) for i in c["items"]]
            cluster_id = str(c["id"])
        except (KeyError, TypeError, ValueError) as e:
            raise TidelineError("A cluster passed to the export has no id or no item list.") from e
        inside = [i for i in members if i in by_id]
        if not inside:
            continue
        out.append({
            "id": cluster_id, "items": inside, "items_in_case": len(members),
            "pages": sorted({p for i in inside if (p := by_id[i].get("author"))}),
            "phones": sorted(set().union(*(_phones(by_id[i]) for i in inside))),
            "media": sorted({m["sha256"] for i in inside for m in by_id[i]["media"]}),
        })
    out.sort(key=lambda c: (-len(c["items"]), c["id"]))
    return out


def _provenance_of_originals(case: Case, original_paths: Mapping[str, str]
                             ) -> list[dict]:
    """For each original: every place it was received (source, path inside it, name, file
    times), when it was imported and by which importer version."""
    rows = _in_chunks(case, """
        SELECT s.media_sha256, s.item_id, s.path_in_source, s.original_name, s.role, s.size,
               s.file_mtime, s.file_ctime, s.created_at, src.id, src.kind, src.path,
               src.container_sha256, src.importer_version, src.started_at, src.finished_at,
               src.actor
        FROM sightings s JOIN sources src ON src.id = s.source_id
        WHERE s.media_sha256 IN ({marks}) ORDER BY s.media_sha256, s.id""", sorted(original_paths))
    sightings: dict[str, list[dict]] = {}
    for r in rows:
        sightings.setdefault(r[0], []).append({
            "item_id": r[1], "path_in_source": r[2], "original_name": r[3], "role": r[4],
            "size": r[5], "file_mtime": r[6], "file_ctime": r[7], "recorded_at": r[8],
            "source": {"id": r[9], "kind": r[10], "path": r[11], "container_sha256": r[12],
                       "importer_version": r[13], "import_started_at": r[14],
                       "import_finished_at": r[15], "imported_by": r[16]},
        })
    return [{"file": f"data/{path}", "sha256": sha, "sightings": sightings.get(sha, [])}
            for sha, path in sorted(original_paths.items(), key=lambda kv: kv[1])]


def _copy_original(src: Path, dst: Path, sha256: str) -> tuple[str, str, int]:
    """Copy a vault file, checking its SHA-256 and computing its SHA-512 in the same pass
    (the manifests need both; reading the payload once is most of the export's cost)."""
    h256, h512, size = hashlib.sha256(), hashlib.sha512(), 0
    with open(src, "rb") as fin, open(dst, "xb") as fout:
        while chunk := fin.read(1 << 20):
            h256.update(chunk)
            h512.update(chunk)
            fout.write(chunk)
            size += len(chunk)
    if h256.hexdigest() != sha256:
        raise VerificationError(
            f"The vault file {sha256} no longer matches its hash: export refused.")
    return sha256, h512.hexdigest(), size


def _digests(path: Path) -> tuple[str, str, int]:
    h256, h512, size = hashlib.sha256(), hashlib.sha512(), 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h256.update(chunk)
            h512.update(chunk)
            size += len(chunk)
    return h256.hexdigest(), h512.hexdigest(), size


def _write_bag_files(bag_dir: Path, known: Mapping[str, tuple[str, str, int]],
                     bag_info: dict[str, str], tag_files: Mapping[str, str]) -> str:
    """Write the BagIt declaration, bag-info, payload and tag manifests in the exact form
    the ``bagit`` library writes them (its validator checks every bundle in the tests), so
    that the payload is not read a second time; returns the Payload-Oxum."""
    data = bag_dir / "data"
    entries: dict[str, tuple[str, str, int]] = {}
    for dirpath, _, filenames in os.walk(data):
        for name in filenames:
            rel = (Path(dirpath) / name).relative_to(bag_dir).as_posix()
            entries[rel] = known.get(rel) or _digests(bag_dir / rel)
    total = sum(e[2] for e in entries.values())
    oxum = f"{total}.{len(entries)}"
    (bag_dir / "bagit.txt").write_text(
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8")
    info = bag_info | {"Payload-Oxum": oxum}
    with open(bag_dir / "bag-info.txt", "w", encoding="utf-8", newline="\n") as f:
        for key in sorted(info):
            value = re.sub(r"[\r\n]", "", str(info[key]))  # a tag value is one line
            f.write(f"{key}: {value}\n")
    for n, alg in enumerate(CHECKSUMS):
        with open(bag_dir / f"manifest-{alg}.txt", "w", encoding="utf-8", newline="\n") as f:
            for rel in sorted(entries):
                f.write(f"{entries[rel][n]}  {bagit._encode_filename(rel)}\n")
    for name, text in tag_files.items():
        (bag_dir / name).write_text(text, encoding="utf-8")
    tags = sorted(["bagit.txt", "bag-info.txt", *(f"manifest-{a}.txt" for a in CHECKSUMS),
                   *tag_files])
    for alg in CHECKSUMS:
        lines = "".join(f"{_file_digest(bag_dir / t, alg)} {t}\n" for t in tags)
        (bag_dir / f"tagmanifest-{alg}.txt").write_text(lines, encoding="utf-8")
    return oxum


def _build_bag(case: Case, bag_dir: Path, scope: ExportScope, progress: ProgressCallback | None,
               cancel: CancelToken | None, clusters: Sequence[Mapping] | None = None
               ) -> ExportResult:
    entries = case.audit_entries()
    head = audit.Head(entries[-1].seq, entries[-1].hash) if entries else audit.Head(
        0, audit.GENESIS)
    exported_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    items = store.items_json(case, scope.item_ids)
    in_scope = {it["id"] for it in items}
    data = bag_dir / "data"
    data.mkdir()

    # Originals: one file per distinct media, under a safe unique name.
    originals = data / "originals"
    previews = data / "previews"
    originals.mkdir()
    names = NameAllocator()
    preview_names = NameAllocator()
    media: dict[str, dict] = {}
    for it in items:
        for m in it["media"]:
            media.setdefault(m["sha256"], m)
    media_paths: dict[str, str] = {}
    derived: set[str] = set()
    originals_rows = []
    known: dict[str, tuple[str, str, int]] = {}  # bag path -> (sha256, sha512, size)
    total = len(media)
    for n, (sha, m) in enumerate(media.items()):
        check(cancel)
        name = names.allocate(m.get("original_name"), m.get("mime"), sha[:8])
        known[f"data/originals/{name}"] = _copy_original(
            case.vault.path_for(sha), originals / name, sha)
        media_paths[sha] = f"originals/{name}"
        preview = ""
        if m.get("readable") and m.get("mime") not in BROWSER_MIMES:
            previews.mkdir(exist_ok=True)
            pname = preview_names.allocate(name.rsplit(".", 1)[0] + ".png", "image/png", sha[:8])
            if _make_preview(originals / name, previews / pname):
                preview = f"previews/{pname}"
                media_paths[sha] = preview
                derived.add(sha)
        originals_rows.append([f"originals/{name}", sha, m.get("original_name"), m.get("mime"),
                               m.get("size"), preview])
        report(progress, n + 1, total, "Copying originals")
    original_paths = {row[1]: row[0] for row in originals_rows}
    derived_files = _write_derived(case, data, original_paths)

    _write_csv(data / "originals.csv",
               ["file", "sha256", "original_name", "mime", "size", "preview_derived"],
               originals_rows)
    _write_json(data / "items.json", items)
    _write_csv(
        data / "items.csv",
        ["id", "kind", "author", "url", "posted_at", "captured_at", "text", "ocr_text",
         "language", "phones", "selectors", "tags", "notes", "media_sha256", "original_names"],
        ([it["id"], it["kind"], it["author"], it["url"], it["posted_at"], it["captured_at"],
          it["text"], it["ocr_text"], it["language"], " ".join(_phones(it)),
          "; ".join(f"{s['kind']}:{s['value']}" for s in it["selectors"]),
          "; ".join(it["tags"]),
          " | ".join(f"{n['actor']} {n['at']}: {n['text']}" for n in it["notes"]),
          " ".join(m["sha256"] for m in it["media"]),
          " | ".join(m["original_name"] or "" for m in it["media"])] for it in items),
    )
    links = []
    for link in store.links(case):
        if link.kind == "image":
            inside = link.a in media and link.b in media
        else:
            inside = (link.a.isdigit() and link.b.isdigit()
                      and int(link.a) in in_scope and int(link.b) in in_scope)
        if inside:
            links.append(link.as_json())
    _write_json(data / "links.json", links)
    scoped_clusters = _clusters_in_scope(clusters, items)
    _write_json(data / "clusters.json", scoped_clusters)
    cluster_of: dict[int, list[str]] = {}
    for c in scoped_clusters:
        for i in c["items"]:
            cluster_of.setdefault(i, []).append(c["id"])
    _write_csv(
        data / "referral.csv",
        ["record", "page", "url", "item_count", "item_ids", "phones", "cluster_ids",
         "first_seen", "last_seen", "media_sha256"],
        _referral_rows(items, cluster_of),
    )
    _write_csv(
        data / "hashes.csv",
        ["media_sha256", "original_name", "region_id", "region_kind", "x0", "y0", "x1", "y1",
         "algo", "value", "quality", "variant", "engine", "engine_version"],
        _hash_rows(case, {sha: m.get("original_name") or "" for sha, m in media.items()}),
    )
    exporter = case.actor
    (data / "report.html").write_text(render_report(ReportInput(
        title=case.title, scope=scope.describe(), exported_at=exported_at, exporter=exporter,
        tideline_version=__version__, audit_head=(head.seq, head.hash), items=items,
        links=links, audit=[e.body() | {"hash": e.hash} for e in entries],
        media_paths=media_paths, derived_media=frozenset(derived), clusters=scoped_clusters,
    )), encoding="utf-8")
    (data / "README.txt").write_text(_README, encoding="utf-8")
    check(cancel)

    report(progress, total, total, "Writing manifests")
    bag_info = {
        "Source-Organization": "Tideline case export",
        "External-Description": "Evidence bundle exported from a Tideline case; see "
                                "data/README.txt.",
        "Bag-Software-Agent": f"Tideline {__version__} (bagit.py {bagit.VERSION} format)",
        "Bagging-Date": exported_at[:10],
        "Tideline-Case-Title": _one_line(case.title),
        "Tideline-Case-Id": case.meta("case_id") or "",
        "Tideline-Exporter": f"{_one_line(exporter)} (self-asserted)",
        "Tideline-Exporter-OS-User": _one_line(case.os_user),
        "Tideline-Version": __version__,
        "Tideline-Export-Time": exported_at,
        "Tideline-Scope": _one_line(scope.describe()),
        "Tideline-Item-Count": str(len(items)),
        "Tideline-File-Count": str(len(media)),
        "Tideline-Audit-Head-Seq": str(head.seq),
        "Tideline-Audit-Head-Hash": head.hash,
    }
    provenance = {
        "case_id": case.meta("case_id"), "case_title": case.title,
        "exporter": exporter, "exporter_asserted": True, "os_user": case.os_user,
        "exported_at": exported_at,
        "versions": {"tideline": __version__, "bagit": bagit.VERSION,
                     "python": platform.python_version(), "sqlite": sqlite3.sqlite_version},
        "scope": {"kind": scope.kind, "value": scope.value, "items": sorted(in_scope)},
        "query": {scope.kind: scope.value} if scope.kind != "all" else {"all": True},
        "counts": {"items": len(items), "files": len(media), "previews": len(derived),
                   "links": len(links), "clusters": len(scoped_clusters),
                   "derived_files": derived_files},
        "audit_head": {"seq": head.seq, "hash": head.hash},
        "originals": _provenance_of_originals(case, original_paths),
    }
    oxum = _write_bag_files(bag_dir, known, bag_info, {
        AUDIT_FILE: _audit_lines(entries),
        HEAD_FILE: audit.canonical_json({"seq": head.seq, "hash": head.hash}) + "\n",
        PROVENANCE_FILE: json.dumps(provenance, ensure_ascii=False, indent=2) + "\n",
    })
    tagmanifest = (bag_dir / "tagmanifest-sha256.txt").read_bytes()
    return ExportResult(
        path=bag_dir, items=len(items), files=len(media), previews=len(derived),
        links=len(links), payload_oxum=oxum,
        tagmanifest_sha256=hashlib.sha256(tagmanifest).hexdigest(), audit_head=head,
        derived_files=derived_files, clusters=len(scoped_clusters),
    )


def _zip_bag(bag_dir: Path, target: Path, top: str) -> None:
    with zipfile.ZipFile(target, "x", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(bag_dir.rglob("*")):
            if path.is_file():
                rel = path.relative_to(bag_dir).as_posix()
                # Photos and previews are compressed already; deflating them only costs time.
                media = rel.startswith(("data/originals/", "data/previews/"))
                zf.write(path, f"{top}/{rel}",
                         compress_type=zipfile.ZIP_STORED if media else zipfile.ZIP_DEFLATED)


# -- verify ------------------------------------------------------------------------------------


def _read_manifest(path: Path) -> dict[str, str]:
    """``{relative path: digest}``; a line that is not ``digest path`` is tampering."""
    out: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        digest, sep, name = line.partition(" ")
        name = name.strip()
        if not sep or not name:
            raise VerificationError(f"Line {n} of {path.name} is not a manifest line.")
        out[bagit._decode_filename(name)] = digest.lower()
    return out


def _check_tagmanifest_form(path: Path, algo: str) -> None:
    """Each line exactly ``<lower-case hex digest> <name>`` ending in LF, no blank lines:
    a whitespace change here would pass the ``bagit`` validator and no digest covers it."""
    raw = path.read_bytes()
    width = hashlib.new(algo).digest_size * 2
    line_form = re.compile(rf"[0-9a-f]{{{width}}} [^\s](?:[^\r\n]*[^\s])?")
    lines = raw.split(b"\n")
    if lines[-1] != b"":
        raise VerificationError(f"{path.name} was changed after export (its last line does not "
                                "end with a line feed).")
    seen: set[bytes] = set()
    for n, line in enumerate(lines[:-1], 1):
        try:
            ok = line_form.fullmatch(line.decode("utf-8")) is not None
        except UnicodeDecodeError:
            ok = False
        if not ok:
            raise VerificationError(f"{path.name} was changed after export (line {n} is not "
                                    "exactly a digest, one space and a file name).")
        name = line[width + 1:]
        if name in seen:
            raise VerificationError(f"{path.name} was changed after export (it lists a file "
                                    "twice).")
        seen.add(name)


def _file_digest(path: Path, algo: str) -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _files_on_disk(root: Path) -> set[str]:
    """Every file under ``root``; a symlink or special file (a FIFO, a device) is refused before
    anything reads it, since hashing one could read outside the bundle or never end."""
    on_disk: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                raise VerificationError(f"The bundle contains a symbolic link, {rel}.")
            if name in filenames:
                if not p.is_file():
                    raise VerificationError(f"The bundle contains a special file, {rel}.")
                on_disk.add(rel)
    return on_disk


def _check_files(root: Path, on_disk: set[str]) -> tuple[int, int]:
    """Every file on disk is listed in both manifests of its area, and tag files match."""
    payload = {alg: _read_manifest(root / f"manifest-{alg}.txt") for alg in CHECKSUMS}
    for alg in CHECKSUMS:
        _check_tagmanifest_form(root / f"tagmanifest-{alg}.txt", alg)
    tags = {alg: _read_manifest(root / f"tagmanifest-{alg}.txt") for alg in CHECKSUMS}
    if set(payload["sha256"]) != set(payload["sha512"]):
        raise VerificationError("The sha256 and sha512 payload manifests list different files.")
    if set(tags["sha256"]) != set(tags["sha512"]):
        raise VerificationError("The sha256 and sha512 tag manifests list different files.")
    payload_on_disk = {p for p in on_disk if p.startswith("data/")}
    tag_on_disk = on_disk - payload_on_disk - {f"tagmanifest-{a}.txt" for a in CHECKSUMS}
    extra = sorted(payload_on_disk - set(payload["sha256"]))
    if extra:
        raise VerificationError(f"The file {extra[0]} was added to the bundle's payload: no "
                                "manifest lists it.")
    extra = sorted(tag_on_disk - set(tags["sha256"]))
    if extra:
        raise VerificationError(f"The file {extra[0]} was added to the bundle: no tag manifest "
                                "lists it.")
    missing = sorted(set(tags["sha256"]) - tag_on_disk)
    if missing:
        raise VerificationError(f"The tag file {missing[0]} listed in the tag manifest is missing.")
    for alg in CHECKSUMS:
        for name, digest in tags[alg].items():
            if _file_digest(root / name, alg) != digest:
                raise VerificationError(
                    f"The tag file {name} was changed after export (its {alg} does not match).")
    return len(payload_on_disk), len(tag_on_disk)


def _check_audit(root: Path, info: dict[str, str]) -> tuple[int, audit.Head]:
    head = audit.read_head(root / HEAD_FILE)
    if head is None or head.seq < 0:
        raise VerificationError("The bundle's audit.head is missing or unreadable.")
    prev_hash, expected = audit.GENESIS, 1
    try:
        lines = (root / AUDIT_FILE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise VerificationError(f"The audit excerpt cannot be read ({e}).") from e
    for n, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
            stored_prev, stored_hash = entry.pop("prev_hash"), entry.pop("hash")
        except (ValueError, KeyError, AttributeError) as e:
            raise VerificationError(f"Line {n} of the audit excerpt is not an entry.") from e
        if entry.get("seq") != expected:
            raise VerificationError(f"Audit entry {expected} is missing from the excerpt.")
        if stored_prev != prev_hash:
            raise VerificationError(f"Audit entry {expected} does not follow the entry before "
                                    "it (the chain is broken).")
        if audit.entry_hash(prev_hash, entry) != stored_hash:
            raise VerificationError(f"Audit entry {expected} was changed after it was written.")
        prev_hash, expected = stored_hash, expected + 1
    last = audit.Head(expected - 1, prev_hash)
    if last != head:
        raise VerificationError(f"The audit excerpt ends at entry {last.seq} but audit.head "
                                f"records entry {head.seq}.")
    if (info.get("Tideline-Audit-Head-Seq") != str(head.seq)
            or info.get("Tideline-Audit-Head-Hash") != head.hash):
        raise VerificationError("bag-info.txt records a different audit head from audit.head.")
    return len(lines), head


def _check_originals(root: Path) -> None:
    """originals.csv must agree with the manifest: each original is the file it names."""
    manifest = _read_manifest(root / "manifest-sha256.txt")
    path = root / "data" / "originals.csv"
    if not path.is_file():
        raise VerificationError("The bundle has no data/originals.csv.")
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            name = "data/" + (row.get("file") or "")
            if manifest.get(name) != row.get("sha256"):
                raise VerificationError(f"{name} does not have the SHA-256 that originals.csv "
                                        "records for it.")


def _validation_sentence(error: bagit.BagValidationError) -> str:
    details = list(error.details or [])
    first = details[0] if details else None
    if isinstance(first, bagit.ChecksumMismatch):
        what = (f"{first.path} was changed after export (its {first.algorithm} does not match "
                "the manifest)")
    elif isinstance(first, bagit.UnexpectedFile):
        what = f"{first.path} was added to the payload (no manifest lists it)"
    elif isinstance(first, bagit.FileMissing):
        what = f"{first.path}, listed in a manifest, is missing"
    elif first is not None:
        what = str(first).rstrip(".")
    else:
        what = str(error.message).rstrip(".")
    problems = {getattr(d, "path", id(d)) for d in details}
    n = len(problems) - 1
    more = f", and {n} more file{'s are' if n > 1 else ' is'} wrong" if n > 0 else ""
    return f"The BagIt validator rejects the bundle: {what}{more}."


def _check_against_case(root: Path, info: dict[str, str], digest: str, case: Case) -> CaseMatch:
    """The case's audit log records this very bundle, and its vault holds each original."""
    case_id = case.meta("case_id") or ""
    bundle_case = info.get("Tideline-Case-Id", "")
    if bundle_case != case_id:
        raise VerificationError(f"The bundle was exported from another case (case id "
                                f"{bundle_case or 'none'}, not {case_id or 'none'}).")
    chain = case.verify_audit()
    if not chain.ok:
        raise VerificationError(f"The case's own audit log is not intact, so the bundle cannot be "
                                f"checked against it: {chain.problem}")
    entry = next((e for e in case.audit_entries() if e.action == "export.created"
                  and (e.details or {}).get("tagmanifest_sha256") == digest), None)
    if entry is None:
        raise VerificationError(f"The case's audit log records no export with this bundle's "
                                f"tag-manifest digest {digest}, so the bundle is not the one "
                                "exported.")
    checked = 0
    with open(root / "data" / "originals.csv", encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            sha, name = row.get("sha256") or "", "data/" + (row.get("file") or "")
            vault_file = case.vault.path_for(sha) if len(sha) == 64 else None
            if vault_file is None or not vault_file.is_file():
                raise VerificationError(f"{name} (SHA-256 {sha}) is not in the case's vault.")
            if not filecmp.cmp(root / name, vault_file, shallow=False):
                raise VerificationError(f"{name} differs from the case's vault copy of {sha}.")
            checked += 1
    return CaseMatch(case_id, entry.seq, entry.at, checked)


def verify_folder(root: Path, case: Case | None = None) -> VerifyResult:
    # Absolute, so that another thread's bagit call changing the working directory cannot
    # redirect this check to another folder.
    root = Path(root).absolute()
    if not root.is_dir():
        raise VerificationError(f"{root} is not a bundle folder.")
    for name in REQUIRED_BAG_FILES:
        if not (root / name).is_file():
            raise VerificationError(f"The bundle has no {name}, so it cannot be verified.")
    # Our own checks first: they name the changed tag file or manifest exactly, and refuse
    # links and special files before the validator would open them.
    payload, tagfiles = _check_files(root, _files_on_disk(root))
    try:
        bag = bagit.Bag(str(root))
        bag.validate()
    except bagit.BagValidationError as e:
        raise VerificationError(_validation_sentence(e)) from e
    except (bagit.BagError, OSError, UnicodeDecodeError, ValueError) as e:
        raise VerificationError(f"The BagIt validator rejects the bundle: {e}.") from e
    info = {k: v if isinstance(v, str) else str(v) for k, v in bag.info.items()}
    entries, head = _check_audit(root, info)
    _check_originals(root)
    digest = _file_digest(root / "tagmanifest-sha256.txt", "sha256")
    match = _check_against_case(root, info, digest, case) if case is not None else None
    return VerifyResult(root, payload, tagfiles, entries, head, info, digest, match)


def _extract_zip(zip_path: Path, into: Path) -> None:
    try:
        for member in iter_members(zip_path):
            if not isinstance(member, Member):
                raise VerificationError(f"The zip member {member.name!r} is unsafe: "
                                        f"{member.reason}")
            target = into / member.safe_path
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as f:
                member.copy_to(f)
    except FileExistsError as e:
        raise VerificationError("The zip holds the same file name twice.") from e
    except ZipArchiveError as e:
        raise VerificationError(str(e)) from e
    except Exception as e:
        if isinstance(e, VerificationError):
            raise
        raise VerificationError(f"The zip cannot be read safely: {e}.") from e


@contextlib.contextmanager
def _scratch_dir(near: Path) -> Iterator[Path]:
    """A folder to unpack a zip into: beside it when that folder is writable, so copies of
    evidence do not land in the system temp folder, else the system temp folder."""
    try:
        tmp = tempfile.TemporaryDirectory(prefix=".tideline-verify-", dir=near)
    except OSError:
        tmp = tempfile.TemporaryDirectory(prefix="tideline-verify-")
    with tmp as name:
        yield Path(name)


def verify_bundle(path: Path, case: Case | None = None) -> VerifyResult:
    """Check a bundle folder or zip; raise ``VerificationError`` (one sentence) if it is not
    exactly what was exported. With ``case`` (the case it was exported from, open read-only is
    enough), also require that case's audit log to record this bundle's export and its vault
    to hold every original byte for byte."""
    path = Path(path).absolute()
    if not path.exists():
        raise VerificationError(f"There is no bundle at {path}.")
    if path.is_dir():
        return verify_folder(path, case)
    if not zipfile.is_zipfile(path):
        raise VerificationError(f"{path.name} is neither a bundle folder nor a zip file.")
    with _scratch_dir(path.parent) as root:
        _extract_zip(path, root)
        if not (root / "bagit.txt").exists():
            top = list(root.iterdir())
            if len(top) != 1 or not top[0].is_dir():
                raise VerificationError("The zip does not hold exactly one bundle folder.")
            root = top[0]
        result = verify_folder(root, case)
        result.path = path
        return result


def bundle_digest(path: Path) -> str:
    """SHA-256 of the bundle's tagmanifest-sha256.txt, as the case's export entry records."""
    path = Path(path)
    if path.is_dir():
        return _file_digest(path / "tagmanifest-sha256.txt", "sha256")
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.rsplit("/", 1)[-1] == "tagmanifest-sha256.txt" and name.count("/") <= 1:
                return hashlib.sha256(zf.read(name)).hexdigest()
    raise VerificationError(f"{path.name} has no tagmanifest-sha256.txt.")


__all__ = [
    "CaseMatch", "ExportResult", "ExportScope", "VerifyResult", "bundle_digest", "export_bundle",
    "scope_all", "scope_items", "scope_tag", "verify_bundle", "verify_folder",
]
