"""Importing collections into a case: screenshot folders, zip files and exports of posts.

Every file received goes into the vault, including those that cannot be read and the
containers they came in; a sighting records every place a file was found; a rejected file is
kept, flagged and listed with a one-sentence reason, and the import goes on. Work is committed
in batches, so an import killed half way leaves a consistent case, and running it again
completes it without duplicates (sightings and items are keyed by their place in the source).

Speed: the files of a folder are received by a few threads (copy into the vault, SHA-256,
fsync, image check), which overlap one file's fsync wait with the next files' reading and
decoding (Pillow and hashlib release the GIL); this thread alone writes rows, in file order,
so ids and batches are the same as in a one-file-at-a-time import. What was already recorded
for the source is read once into sets instead of a query per file.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import safezip
from .capture_time import capture_time
from .case import Case
from .clock import now_utc
from .errors import TidelineError
from .formats import detect as detect_format
from .formats.crowdtangle import parse_crowdtangle
from .formats.facebook import find_posts_files, parse_facebook
from .formats.generic import parse_generic_csv, parse_generic_json, parse_jsonl, parse_mapping
from .formats.records import FormatError, MediaRef, ParseError, PostRecord
from .formats.telegram import find_result_json, parse_telegram
from .imagecheck import ImageInfo, inspect_image
from .language import guess_language
from .progress import Cancelled, CancelToken, ProgressCallback, check, report
from .vault import Vault, VaultEntry

IMPORTER_VERSION = "1"
BATCH = 200
RECEIVE_THREADS = 4
"""Threads receiving folder files: more than the cores, since most of a file's time is fsync."""
RECEIVE_AHEAD = 12
"""Files received ahead of the row writer; bounds memory and the work a cancel waits for."""
FORMATS = ("auto", "folder", "zip", "telegram", "facebook", "crowdtangle", "csv", "json", "jsonl")
_NOT_ANALYSED = {"video": "video", "voice": "voice message", "sticker": "sticker", "file": "file"}


class ImportFailed(TidelineError):
    """Nothing could be imported from a path (it does not exist, or is no known format)."""


@dataclass
class Rejection:
    path: str
    reason: str


@dataclass
class ImportReport:
    path: str
    kind: str
    source_id: int | None = None
    status: str = "finished"
    files_seen: int = 0
    files_added: int = 0
    already_present: int = 0
    new_in_vault: int = 0
    items_added: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def as_json(self) -> dict:
        return asdict(self)

    def counts(self) -> dict:
        d = self.as_json()
        d["rejected"] = len(self.rejected)
        d.pop("path")
        return d


def safe_text(name: str) -> str:
    """A file name as text SQLite can hold: undecodable bytes become visible escapes."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _iso_from_epoch(value: float | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class _Importer:
    def __init__(self, case: Case, report: ImportReport, progress, cancel) -> None:
        self.case = case
        self.db = case.db
        self.report = report
        self.progress = progress
        self.cancel = cancel
        self.source_id = 0
        self._pending = 0
        self.commit: Callable[[], None] = lambda: None  # set while the batches run
        self._sighted: set[str] = set()  # paths in this source that have a sighting
        self._rejected: set[str] = set()  # paths in this source already listed as rejected
        self._media: dict[str, tuple[bool, str | None]] = {}  # sha -> (readable, reason)

    # -- the source and batches ------------------------------------------------------------

    def open_source(self, kind: str, path: Path, fingerprint: str, container: str | None) -> None:
        with self.case.transaction() as db:
            row = db.execute("SELECT id FROM sources WHERE fingerprint = ?", [fingerprint]).fetchone()
            if row:
                self.source_id = row[0]
                db.execute("UPDATE sources SET status = 'running', finished_at = NULL WHERE id = ?",
                           [self.source_id])
                resumed = True
            else:
                cur = db.execute(
                    "INSERT INTO sources (kind, path, fingerprint, container_sha256,"
                    " importer_version, started_at, status, actor)"
                    " VALUES (?, ?, ?, ?, ?, ?, 'running', ?)",
                    [kind, safe_text(str(path)), fingerprint, container, IMPORTER_VERSION,
                     now_utc(), self.case.actor],
                )
                self.source_id = cur.lastrowid
                resumed = False
            self.case.audit("import.started", {"source": self.source_id, "kind": kind,
                                               "path": safe_text(str(path)), "again": resumed})
        self.report.source_id = self.source_id
        self._sighted = {r[0] for r in self.db.execute(
            "SELECT path_in_source FROM sightings WHERE source_id = ?", [self.source_id])}
        self._rejected = {r[0] for r in self.db.execute(
            "SELECT path_in_source FROM import_errors WHERE source_id = ?", [self.source_id])}
        self._media = {r[0]: (bool(r[1]), r[2]) for r in self.db.execute(
            "SELECT sha256, readable, unreadable_reason FROM media")}

    def tick(self, total: int | None, label: str) -> None:
        """After each unit of work: commit every BATCH units, report, honour cancel."""
        self._pending += 1
        if self._pending >= BATCH:
            self.commit()
            self._pending = 0
        report(self.progress, self.report.files_seen, total, label)
        if self.cancel is not None and self.cancel.cancelled:
            self.commit()  # keep what was done: a later run goes on from here
            raise Cancelled()

    def close_source(self, status: str) -> None:
        self.report.status = status
        with self.case.transaction() as db:
            db.execute(
                "UPDATE sources SET status = ?, finished_at = ?, counts = ? WHERE id = ?",
                [status, now_utc(), json.dumps(self.report.counts()), self.source_id],
            )
            self.case.audit(f"import.{status}", {
                "source": self.source_id, **self.report.counts(),
                "rejected_files": [asdict(r) for r in self.report.rejected[:200]],
            })

    # -- recording --------------------------------------------------------------------------

    def sighting_exists(self, path_in_source: str, role: str, item_id: int | None) -> bool:
        return bool(self.db.execute(
            "SELECT 1 FROM sightings WHERE source_id = ? AND path_in_source = ? AND role = ?"
            " AND coalesce(item_id, 0) = ?",
            [self.source_id, path_in_source, role, item_id or 0],
        ).fetchone())

    def media_row(self, sha: str, size: int, check_image: bool, role: str,
                  info: ImageInfo | None = None) -> tuple[bool, str | None]:
        """Insert the media row if new; return (readable, reason). ``info``: the image check
        already done by a receiving thread."""
        if sha in self._media:
            return self._media[sha]
        path = self.case.vault.path_for(sha)
        if check_image:
            info = info or inspect_image(path)
        else:
            info = ImageInfo(False, f"A {_NOT_ANALYSED.get(role, role)} is kept but not analysed.")
        self.db.execute(
            "INSERT INTO media (sha256, size, mime, format, width, height, frames, readable,"
            " unreadable_reason, exif, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [sha, size, info.mime, info.format, info.width, info.height, info.frames,
             int(info.readable), info.reason, json.dumps(info.exif, ensure_ascii=False),
             now_utc()],
        )
        self._media[sha] = (info.readable, info.reason)
        return info.readable, info.reason

    def add_sighting(self, sha: str, path_in_source: str, name: str, role: str,
                     item_id: int | None, size: int | None, mtime: float | None,
                     ctime: float | None = None) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO sightings (media_sha256, source_id, item_id, path_in_source,"
            " original_name, role, size, file_mtime, file_ctime, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [sha, self.source_id, item_id, path_in_source, name, role, size,
             _iso_from_epoch(mtime), _iso_from_epoch(ctime), now_utc()],
        )
        self._sighted.add(path_in_source)

    def reject(self, path_in_source: str, reason: str, sha: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO import_errors (source_id, path_in_source, media_sha256, reason, at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (source_id, path_in_source) DO UPDATE SET"
            " reason = excluded.reason, media_sha256 = excluded.media_sha256",
            [self.source_id, path_in_source, sha, reason, now_utc()],
        )
        self._rejected.add(path_in_source)
        self.report.rejected.append(Rejection(path_in_source, reason))

    def add_item(self, source_ref: str, kind: str, **fields: Any) -> tuple[int, bool]:
        row = self.db.execute(
            "SELECT id FROM items WHERE source_id = ? AND source_ref = ?",
            [self.source_id, source_ref],
        ).fetchone()
        if row:
            return row[0], False
        cols = ["source_id", "source_ref", "kind", "created_at", *fields]
        cur = self.db.execute(
            f"INSERT INTO items ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [self.source_id, source_ref, kind, now_utc(), *fields.values()],
        )
        self.report.items_added += 1
        return cur.lastrowid, True

    # -- loose images (folders and zips) ---------------------------------------------------

    def loose_file(self, rel: str, name: str, opener, size: int | None, mtime: float | None,
                   ctime: float | None, max_bytes: int | None = None,
                   received: Future | None = None) -> None:
        """One file found loose in a folder or zip: a screenshot item if it is a readable image.

        ``received``: the file already copied into the vault and checked by a receiving
        thread (its result is ``_receive``'s); without it the work is done here."""
        self.report.files_seen += 1
        if rel in self._sighted:
            self.report.already_present += 1
            return
        info: ImageInfo | None = None
        try:
            if received is not None:
                entry, info = received.result()
            else:
                with opener() as stream:
                    entry = self.case.vault.add_stream(stream, max_bytes=max_bytes)
        except (OSError, ValueError, safezip.UnsafeMemberError) as e:
            self.reject(rel, _sentence(e))
            return
        self.report.new_in_vault += int(entry.new)
        readable, reason = self.media_row(entry.sha256, entry.size, True, "photo", info)
        item_id = None
        if readable:
            if info is not None and info.readable:
                exif = info.exif
            else:
                exif = json.loads(self.db.execute(
                    "SELECT exif FROM media WHERE sha256 = ?", [entry.sha256]
                ).fetchone()[0] or "{}")
            when = capture_time(name, exif, mtime)
            item_id, _ = self.add_item(
                rel, "screenshot", captured_at=when.when,
                captured_at_source=when.source + ("" if when.zone_known or not when.when
                                                  else " (local time, zone unknown)")
                if when.source else None,
                extra=json.dumps({"capture_time_original": when.original}, ensure_ascii=False),
            )
        else:
            self.reject(rel, reason or "The file cannot be read as an image.", entry.sha256)
        self.add_sighting(entry.sha256, rel, name, "screenshot" if readable else "file", item_id,
                          entry.size, mtime, ctime)
        self.report.files_added += 1

    def folder(self, root: Path) -> None:
        files = [(path, safe_text(rel), st) for path, rel, st in _walk(root)]
        total = len(files)
        # Loose files not yet recorded are received by threads, a few files ahead of here.
        ahead = deque(
            (n, path) for n, (path, rel, st) in enumerate(files)
            if st is not None and not stat.S_ISLNK(st.st_mode)
            and path.suffix.lower() != ".zip" and rel not in self._sighted
        )
        futures: dict[int, Future] = {}
        pool = ThreadPoolExecutor(RECEIVE_THREADS, thread_name_prefix="tideline-receive")
        try:
            for n, (path, rel_text, st) in enumerate(files):
                check(self.cancel)
                while ahead and ahead[0][0] < n + RECEIVE_AHEAD:
                    k, p = ahead.popleft()
                    futures[k] = pool.submit(_receive, self.case.vault, p, self._media)
                if st is None or stat.S_ISLNK(st.st_mode):
                    self.report.files_seen += 1
                    if rel_text not in self._rejected:
                        self.reject(rel_text, "A symbolic link is not followed; import its "
                                    "target itself if it belongs to the case.")
                elif path.suffix.lower() == ".zip":
                    self.zip(path, prefix=rel_text + "/")
                else:
                    self.loose_file(rel_text, safe_text(path.name), lambda p=path: open(p, "rb"),
                                    st.st_size, st.st_mtime, st.st_ctime,
                                    received=futures.pop(n, None))
                self.tick(total, "Importing files")
        finally:
            # A cancel or an error: files received ahead stay in the vault (rows come with the
            # next run); no thread may still write once the import returns.
            pool.shutdown(wait=True, cancel_futures=True)

    def _rejected_before(self, rel: str) -> bool:
        return rel in self._rejected

    def zip(self, path: Path, prefix: str = "") -> None:
        """A zip's members, streamed through the vault; the zip itself is kept as a container."""
        container = self.case.vault.add(path)
        self.media_row(container.sha256, container.size, False, "file")
        st = path.stat()
        self.add_sighting(container.sha256, prefix.rstrip("/") or safe_text(path.name),
                          safe_text(path.name), "container", None, st.st_size, st.st_mtime)
        try:
            members = safezip.iter_members(path)
            for m in members:
                check(self.cancel)
                rel = prefix + (m.name if isinstance(m, safezip.Rejected) else m.safe_path)
                if isinstance(m, safezip.Rejected):
                    self.report.files_seen += 1
                    if not self._rejected_before(rel):
                        self.reject(rel, m.reason)
                else:
                    mtime = _epoch(m.modified_utc)
                    self.loose_file(rel, m.base_name, m.open, m.size, mtime, None)
                self.tick(None, "Importing files from the archive")
        except safezip.ZipArchiveError as e:
            self.reject(prefix.rstrip("/") or safe_text(path.name), _sentence(e), container.sha256)

    # -- exports of posts ------------------------------------------------------------------

    def container(self, path: Path, rel: str) -> None:
        entry = self.case.vault.add(path)
        self.media_row(entry.sha256, entry.size, False, "file")
        st = path.stat()
        self.add_sighting(entry.sha256, rel, safe_text(path.name), "container", None,
                          st.st_size, st.st_mtime)

    def records(self, records: Iterator[PostRecord | ParseError], root: Path | None) -> None:
        for rec in records:
            check(self.cancel)
            self.report.files_seen += 1
            if isinstance(rec, ParseError):
                if not self._rejected_before(rec.source_ref):
                    self.reject(rec.source_ref, f"{rec.reason} ({rec.position})")
            else:
                self.record(rec, root)
            self.tick(None, "Importing posts")

    def record(self, rec: PostRecord, root: Path | None) -> None:
        extra = dict(rec.extra)
        if rec.kind == "service":
            extra["service"] = True
        missing = [
            {"path": m.path_in_source, "role": m.role, "reason": m.missing_reason}
            for m in rec.media if m.missing_reason
        ]
        if missing:
            extra["media_missing"] = missing
        item_id, new = self.add_item(
            rec.source_ref,
            "message" if rec.kind in ("message", "service") else "post",
            author=rec.author, author_id=rec.author_id, url=rec.url,
            posted_at=rec.posted_at_utc, posted_at_original=rec.posted_at_original,
            text=rec.text, text_in_image=rec.text_found_in_image,
            language=guess_language(" ".join(filter(None, [rec.text, rec.text_found_in_image]))),
            raw=json.dumps(rec.raw, ensure_ascii=False), extra=json.dumps(extra, ensure_ascii=False),
        )
        for ref in rec.media:
            if ref.missing_reason or not ref.path_in_source or root is None:
                continue
            self.media_file(ref, root, item_id)

    def media_file(self, ref: MediaRef, root: Path, item_id: int) -> None:
        rel = ref.path_in_source
        role = "thumbnail" if ref.is_thumbnail else ref.role
        if self.sighting_exists(rel, role, item_id):
            self.report.already_present += 1
            return
        path = root / rel
        try:
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                raise ValueError("the export holds a symbolic link here, which is not followed")
            entry = self.case.vault.add(path)
        except (OSError, ValueError) as e:
            self.reject(rel, _sentence(e))
            return
        self.report.new_in_vault += int(entry.new)
        readable, reason = self.media_row(entry.sha256, entry.size, role in ("photo", "thumbnail"),
                                          role)
        if role in ("photo", "thumbnail") and not readable:
            self.reject(rel, reason or "The image cannot be read.", entry.sha256)
        self.add_sighting(entry.sha256, rel, safe_text(ref.original_name or path.name), role,
                          item_id, entry.size, st.st_mtime, st.st_ctime)
        self.report.files_added += 1


def _receive(vault: Vault, path: Path,
             known: dict[str, tuple[bool, str | None]]) -> tuple[VaultEntry, ImageInfo | None]:
    """In a receiving thread: copy one file into the vault and check the image if it is new."""
    with open(path, "rb") as stream:
        entry = vault.add_stream(stream)
    if entry.sha256 in known:  # the row writer reuses what is recorded
        return entry, None
    return entry, inspect_image(vault.path_for(entry.sha256))


def mark_unreadable(case: Case, sha256: str, reason: str) -> list[str]:
    """Record that a media found readable at import failed a later full decode.

    The media row gets readable = 0 and ``reason``; every place it was sighted is listed in
    import_errors with the same one-sentence reason, so the rejected list stays complete.
    Returns those places. Call inside the caller's transaction.
    """
    db = case.db
    db.execute("UPDATE media SET readable = 0, unreadable_reason = ? WHERE sha256 = ?",
               [reason, sha256])
    places = db.execute(
        "SELECT DISTINCT source_id, path_in_source FROM sightings WHERE media_sha256 = ?"
        " ORDER BY source_id, path_in_source", [sha256]).fetchall()
    at = now_utc()
    db.conn.executemany(
        "INSERT INTO import_errors (source_id, path_in_source, media_sha256, reason, at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (source_id, path_in_source) DO UPDATE SET"
        " reason = excluded.reason, media_sha256 = excluded.media_sha256",
        [(source_id, path, sha256, reason, at) for source_id, path in places],
    )
    case.audit("media.unreadable", {"media": sha256, "reason": reason,
                                    "places": [p for _, p in places][:200]})
    return [p for _, p in places]


def _epoch(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _sentence(e: BaseException) -> str:
    text = getattr(e, "reason", None) or (e.strerror if isinstance(e, OSError) and e.strerror
                                          else str(e))
    text = str(text).strip() or type(e).__name__
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _walk(root: Path) -> Iterator[tuple[Path, str, os.stat_result | None]]:
    """Every entry below ``root``, sorted, without following symbolic links."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        here = Path(dirpath)
        linked_dirs = [d for d in dirnames if (here / d).is_symlink()]
        for name in sorted(filenames) + linked_dirs:
            path = here / name
            try:
                st = path.lstat()
            except OSError:
                st = None
            if st is not None and not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
                continue  # sockets, fifos, devices: not files anyone sent
            yield path, path.relative_to(root).as_posix(), st


def import_path(
    case: Case,
    path: Path,
    fmt: str = "auto",
    mapping: str | dict[str, str] | None = None,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ImportReport:
    """Import one folder, zip or export into the case; see the module docstring."""
    path = Path(path)
    if not path.exists():
        raise ImportFailed(f"{path} does not exist.")
    if fmt not in FORMATS:
        raise ImportFailed(f"'{fmt}' is not a format Tideline imports ({', '.join(FORMATS)}).")
    try:
        kind = detect_format(path) if fmt == "auto" else fmt
        plan = _plan(kind, path, mapping)
    except FormatError as e:
        raise ImportFailed(str(e)) from e
    report_ = ImportReport(path=safe_text(str(path)), kind=kind)
    imp = _Importer(case, report_, progress, cancel)
    imp.open_source(kind, path.resolve(), plan.fingerprint, plan.container_sha)
    status = "finished"
    try:
        with case.batches() as commit:
            imp.commit = commit
            try:
                plan.run(imp)
            except FormatError as e:
                # The records read before the error stay; the file is listed with the reason.
                imp.reject(safe_text(path.name), str(e))
                status = "failed"
    except Cancelled:
        imp.close_source("cancelled")
        raise
    imp.close_source(status)
    return report_


@dataclass
class _Plan:
    fingerprint: str
    container_sha: str | None
    run: Any


def _plan(kind: str, path: Path, mapping: str | dict[str, str] | None) -> _Plan:
    resolved = path.resolve()
    if isinstance(mapping, str) or mapping is None:
        mapping = parse_mapping(mapping) if mapping else None
    if kind == "folder":
        if path.is_file():  # one loose image: a folder of one
            def run_one(imp: _Importer) -> None:
                st = path.stat()
                imp.loose_file(safe_text(path.name), safe_text(path.name),
                               lambda: open(path, "rb"), st.st_size, st.st_mtime, st.st_ctime)
                imp.tick(1, "Importing files")

            return _Plan(f"file:{resolved}", None, run_one)
        return _Plan(f"folder:{resolved}", None, lambda imp: imp.folder(path))
    if kind == "zip":
        sha = _sha256_file(path)
        return _Plan(f"zip:{sha}", sha, lambda imp: imp.zip(path))
    if kind == "telegram":
        result = find_result_json(path)
        sha = _sha256_file(result)

        def run(imp: _Importer) -> None:
            imp.container(result, result.name)
            imp.records(parse_telegram(result), result.parent)

        return _Plan(f"telegram:{sha}", sha, run)
    if kind == "facebook":
        root, files = find_posts_files(path)
        digest = hashlib.sha256()
        for f in files:
            digest.update(_sha256_file(f).encode())
        sha = digest.hexdigest()

        def run(imp: _Importer) -> None:
            for f in files:
                imp.container(f, f.relative_to(root).as_posix())
            imp.records(parse_facebook(path), root)

        return _Plan(f"facebook:{sha}", sha, run)
    if kind in ("crowdtangle", "csv", "json", "jsonl"):
        if not path.is_file():
            raise FormatError(f"{path.name} is not a file, so it cannot be a {kind} export.")
        sha = _sha256_file(path)
        parser = {
            "crowdtangle": lambda: parse_crowdtangle(path),
            "csv": lambda: parse_generic_csv(path, mapping),
            "json": lambda: parse_generic_json(path, mapping),
            "jsonl": lambda: parse_jsonl(path, mapping),
        }[kind]

        def run(imp: _Importer) -> None:
            imp.container(path, path.name)
            imp.records(parser(), None if kind == "crowdtangle" else path.parent)

        return _Plan(f"{kind}:{sha}", sha, run)
    raise FormatError(f"'{kind}' is not a format Tideline imports.")


def import_errors(case: Case, source_id: int | None = None) -> list[dict]:
    sql = "SELECT e.*, s.path AS source_path FROM import_errors e JOIN sources s ON s.id = e.source_id"
    args: list[Any] = []
    if source_id is not None:
        sql += " WHERE e.source_id = ?"
        args.append(source_id)
    return [dict(r) for r in case.db.query(sql + " ORDER BY e.id", args)]
