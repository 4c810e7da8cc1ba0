"""The ``analyse`` pipeline: every stage not yet done, for every media and item, incrementally.

Stages: OCR and hashes per image (in worker processes, a batch of images per task), selectors
per item, the search index, then links (shared selectors, near-identical text, near-duplicate
images). A stage's work is keyed by its engine, version and settings in ``analysis_runs``:
finished work is not redone, and when the key changes the new result is added as a new
version and becomes current while the old one stays. Results are written in batches by this
process alone, so a killed run leaves a consistent case and the next run picks up where it
stopped.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import os
import shutil
import signal
import time
from collections import Counter
from collections.abc import Collection
from dataclasses import asdict, dataclass, field

from evidence import store
from evidence.case import Case
from evidence.clock import now_utc
from evidence.importer import mark_unreadable
from evidence.progress import Cancelled, CancelToken, ProgressCallback, check, report

from . import linking, posts
from .ocr import BATCH_FOLDER_PREFIX, DEFAULT_LANGS, RECIPE_VERSION, ocr_status
from .selectors import (
    DEFAULT_REGIONS,
    CasePhone,
    find_selectors,
    find_selectors_in_ocr,
    region_hints,
    resolve_case_regions,
    seen_in_international_form,
)
from .worker import analyse_media_batch, init_worker, spawn_context

HASH_ENGINE = ("tideline-hash 7 (pHash 64 + PDQ 256 on 64x64 area means of pixel-area copies, regions"
               " and stacked blocks, 23 photo windows as DCTs of area-weighted windows)")
SELECTOR_ENGINE = "tideline-selectors 22"
OCR_TIMEOUT = 90.0
WRITE_EVERY = 25
# Seconds between saves of the posts cache while images are analysed: a killed run loses at most
# this much of the separators its workers found (posts.py finds them again), and a long run does
# not rewrite a large file after every batch.
POSTS_SAVE_EVERY = 60.0
# Images per worker task: Tesseract reads a task's images with one process per pass, loading its
# models once (bench/RESULTS-ocr-speed.md). More images per task loads them less often; fewer
# keeps both cores busy to the end of a small run and a cancel quick.
BATCH_MAX = 8


@dataclass
class AnalysisReport:
    ocr_done: int = 0
    ocr_failed: int = 0
    hashed: int = 0
    hash_failed: int = 0
    unreadable: int = 0  # images that failed a full decode, now marked unreadable
    items_read: int = 0
    indexed: int = 0
    links: dict = field(default_factory=dict)
    ocr_available: bool = True
    ocr_message: str = ""
    errors: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return asdict(self)


def _key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _ocr_key(version: str | None, langs: str) -> str:
    return f"tesseract {version} langs={langs} recipe={RECIPE_VERSION}"


def _pending_media(case: Case, stage: str, engine_key: str) -> list[str]:
    return [
        r[0]
        for r in case.db.execute(
            """SELECT m.sha256 FROM media m WHERE m.readable = 1 AND m.mime LIKE 'image/%'
               AND NOT EXISTS (SELECT 1 FROM analysis_runs r WHERE r.stage = ?
                               AND r.target = m.sha256 AND r.engine_key = ?)
               ORDER BY m.sha256""",
            [stage, engine_key],
        )
    ]


def _mark(case: Case, stage: str, target: str, engine_key: str, error: str | None) -> None:
    case.db.execute(
        "INSERT INTO analysis_runs (stage, target, engine_key, status, error, at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (stage, target, engine_key) DO UPDATE SET"
        " status = excluded.status, error = excluded.error, at = excluded.at",
        [stage, target, engine_key, "failed" if error else "done", error, now_utc()],
    )


def _separator_inputs(case: Case, batch: list[dict]) -> None:
    """Give each task the half of the separators' inputs its worker will not find itself: the
    current photo regions when the hashes are up to date, the current OCR words when the OCR
    is. Read per batch, when it is sent, so that a large case's words are never all in memory.
    """
    for task in batch:
        task["separators"] = True
        sha = task["sha"]
        if not task["hash"]:
            task["photos"] = [list(r) for r in case.db.execute(
                "SELECT x0, y0, x1, y1 FROM regions WHERE media_sha256 = ? AND current = 1"
                " AND kind = 'photo'", [sha])]
        if not task["ocr_langs"]:
            row = case.db.execute("SELECT words FROM ocr WHERE media_sha256 = ? AND current = 1"
                                  " ORDER BY id DESC LIMIT 1", [sha]).fetchone()
            task["words"] = [list(b) for b in posts.word_boxes(
                posts.load_words(row[0] if row else None))]


def _separators_key(case: Case, sha: str) -> str | None:
    """The posts cache key of the OCR and photo regions now current for ``sha``: the ones its
    worker found the separators with, once that worker's results are stored."""
    row = case.db.execute("SELECT id FROM ocr WHERE media_sha256 = ? AND current = 1"
                          " ORDER BY id DESC LIMIT 1", [sha]).fetchone()
    if row is None:  # never read: posts.py cuts such an image by its photos alone
        return None
    region_ids = [r[0] for r in case.db.execute(
        "SELECT id FROM regions WHERE media_sha256 = ? AND current = 1 AND kind = 'photo'",
        [sha])]
    return posts.cache_key(row[0], region_ids)


def _store_ocr(case: Case, sha: str, ocr: dict) -> None:
    case.db.execute("UPDATE ocr SET current = 0 WHERE media_sha256 = ?", [sha])
    case.db.execute(
        "INSERT INTO ocr (media_sha256, engine, engine_version, settings, text, mean_confidence,"
        " script, words, current, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
        [sha, ocr["engine"], ocr["engine_version"] or "", json.dumps(ocr["settings"]),
         ocr["text"], ocr["mean_confidence"], ocr["script"],
         json.dumps(ocr["words"], ensure_ascii=False), now_utc()],
    )


def _store_hashes(case: Case, sha: str, hashes: dict) -> None:
    case.db.execute("UPDATE regions SET current = 0 WHERE media_sha256 = ?", [sha])
    for r in hashes["regions"]:
        x0, y0, x1, y1 = r["box"]
        cur = case.db.execute(
            "INSERT INTO regions (media_sha256, engine, engine_version, settings, kind, x0, y0,"
            " x1, y1, score, current, created_at) VALUES (?, ?, ?, '{}', ?, ?, ?, ?, ?, ?, 1, ?)",
            [sha, "tideline-hash", HASH_ENGINE, r["kind"], x0, y0, x1, y1,
             None if r["low_quality"] else 1.0, now_utc()],
        )
        rid = cur.lastrowid
        rows = [
            (rid, "phash", r["phash"], None, "original"),
            (rid, "phash", r["phash_mirror"], None, "mirror"),
            (rid, "pdq", r["pdq"], r["pdq_quality"], "original"),
        ]
        rows += [(rid, "pdq", h, r["pdq_quality"], f"dihedral{i}")
                 for i, h in enumerate(r.get("pdq_dihedral") or []) if i > 0]
        if r.get("windows"):
            # One row, not one per window: "pdq:phash" of each part, space-separated.
            rows.append((rid, "pdq+phash", " ".join(f"{p}:{h}" for p, h in r["windows"]),
                         None, "windows"))
        case.db.conn.executemany(
            "INSERT INTO hashes (region_id, algo, value, quality, variant) VALUES (?, ?, ?, ?, ?)",
            rows,
        )


def media_batches(tasks: list[dict], workers: int) -> list[list[dict]]:
    """``tasks`` cut into the batches that worker tasks take, in order: up to ``BATCH_MAX``
    images each, and two batches per worker at least, so that at the end of a small run no
    worker sits idle while another reads a long batch."""
    size = max(1, min(BATCH_MAX, -(-len(tasks) // (2 * max(1, workers)))))
    return [tasks[k:k + size] for k in range(0, len(tasks), size)]


def _clear_batch_folders(case: Case) -> None:
    """Delete the folders of prepared images that OCR batches of a killed or cancelled run left
    in the cache; the case is held for writing, so no other run is using them."""
    if case.tmp_dir.is_dir():
        for folder in case.tmp_dir.glob(BATCH_FOLDER_PREFIX + "*"):
            shutil.rmtree(folder, ignore_errors=True)


def _kill_workers(pool: cf.ProcessPoolExecutor) -> None:
    """End every worker's process group (the worker and any Tesseract it started)."""
    for proc in list(getattr(pool, "_processes", {}).values()):
        try:
            if hasattr(os, "killpg"):
                os.killpg(proc.pid, signal.SIGKILL)
            else:  # pragma: no cover
                proc.kill()
        except (ProcessLookupError, PermissionError, OSError):
            pass


def _media_stage(case: Case, rep: AnalysisReport, ocr_langs: str | None, workers: int,
                 progress: ProgressCallback | None, cancel: CancelToken | None) -> None:
    hash_todo = set(_pending_media(case, "hash", HASH_ENGINE))
    ocr_key = None
    ocr_todo: set[str] = set()
    if ocr_langs:
        status = ocr_status(ocr_langs)
        rep.ocr_available, rep.ocr_message = status.available, status.message
        if status.available:
            usable = "+".join(c for c in ocr_langs.split("+") if c not in status.missing_langs)
            ocr_langs = usable
            ocr_key = _ocr_key(status.engine_version, usable)
            ocr_todo = set(_pending_media(case, "ocr", ocr_key))
        else:
            ocr_langs = None
    else:
        rep.ocr_available, rep.ocr_message = False, "OCR was not asked for (--no-ocr)."
    todo = sorted(hash_todo | ocr_todo)
    if not todo:
        return
    case.tmp_dir.mkdir(parents=True, exist_ok=True)
    _clear_batch_folders(case)
    tasks = [
        {"sha": sha, "path": str(case.vault.path_for(sha)), "hash": sha in hash_todo,
         "ocr_langs": ocr_langs if sha in ocr_todo else None, "tmp_dir": str(case.tmp_dir),
         "timeout": OCR_TIMEOUT}
        for sha in todo
    ]
    batches = media_batches(tasks, workers)
    pool = cf.ProcessPoolExecutor(
        max_workers=max(1, workers), mp_context=spawn_context(),
        initializer=init_worker, initargs=(str(case.tmp_dir),),
    )
    done = 0
    pending_writes: list[dict] = []
    last_write = last_posts_save = time.monotonic()
    posts_cache = posts.PostsCache(case)

    def submit(batch: list[dict]) -> cf.Future:
        _separator_inputs(case, batch)
        return pool.submit(analyse_media_batch, batch)

    def flush() -> None:
        nonlocal last_write
        if not pending_writes:
            return
        found: list[tuple[str, str, list]] = []
        with case.transaction():
            for res in pending_writes:
                sha = res["sha"]
                if "unreadable" in res:
                    # Import did not decode every pixel; list it with the rejected files now.
                    mark_unreadable(case, sha, res["unreadable"])
                    rep.unreadable += 1
                    rep.errors.append({"media": sha, "stage": "decode",
                                       "reason": res["unreadable"]})
                if "hashes" in res or "hash_error" in res:
                    if "hashes" in res:
                        _store_hashes(case, sha, res["hashes"])
                        rep.hashed += 1
                    else:
                        rep.hash_failed += 1
                        rep.errors.append({"media": sha, "stage": "hash",
                                           "reason": res["hash_error"]})
                    _mark(case, "hash", sha, HASH_ENGINE, res.get("hash_error"))
                if ocr_key and ("ocr" in res or "ocr_error" in res):
                    if "ocr" in res:
                        _store_ocr(case, sha, res["ocr"])
                        rep.ocr_done += 1
                    else:
                        rep.ocr_failed += 1
                        rep.errors.append({"media": sha, "stage": "ocr",
                                           "reason": res["ocr_error"]})
                    _mark(case, "ocr", sha, ocr_key, res.get("ocr_error"))
                if "separators" in res and ("hashes" in res or "ocr" in res):
                    key = _separators_key(case, sha)
                    if key:
                        found.append((sha, key, res["separators"]))
        # Only once committed: a rolled-back write must not leave keys naming its region ids.
        for sha, key, bands in found:
            posts_cache.put(sha, key, bands)
        pending_writes.clear()
        last_write = time.monotonic()

    def save_posts(force: bool) -> None:
        nonlocal last_posts_save
        if force or time.monotonic() - last_posts_save > POSTS_SAVE_EVERY:
            posts_cache.save()
            last_posts_save = time.monotonic()

    try:
        # Keep a bounded number of batches in flight so a cancel stops quickly.
        it = iter(batches)
        inflight: set[cf.Future] = set()
        for batch in it:
            inflight.add(submit(batch))
            if len(inflight) >= workers * 2:
                break
        while inflight:
            finished, inflight = cf.wait(inflight, timeout=0.5,
                                         return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                results = fut.result()
                pending_writes.extend(results)
                done += len(results)
                nxt = next(it, None)
                if nxt is not None:
                    inflight.add(submit(nxt))
            if len(pending_writes) >= WRITE_EVERY or time.monotonic() - last_write > 2:
                flush()
                save_posts(False)
            report(progress, done, len(tasks), "Reading and hashing images")
            check(cancel)
        flush()
        save_posts(True)
    except BaseException:
        # Cancel, Ctrl+C or an error: keep what finished, end the workers and their Tesseracts.
        try:
            flush()
            save_posts(True)
        finally:
            _kill_workers(pool)
            pool.shutdown(wait=False, cancel_futures=True)
            _clear_batch_folders(case)
        raise
    pool.shutdown(wait=True)


def _item_inputs(case: Case) -> dict[int, dict]:
    items: dict[int, dict] = {}
    for item_id, text, in_image, language in case.db.execute(
        "SELECT id, text, text_in_image, language FROM items"
    ):
        items[item_id] = {"text": text or "", "text_in_image": in_image or "", "ocr": [],
                          "language": language}
    for item_id, sha, ocr_id, words, text, settings, version in case.db.execute(
        """SELECT DISTINCT s.item_id, s.media_sha256, o.id, o.words, o.text, o.settings,
                  o.engine_version
           FROM sightings s JOIN ocr o ON o.media_sha256 = s.media_sha256 AND o.current = 1
           WHERE s.item_id IS NOT NULL ORDER BY s.item_id, o.id"""
    ):
        items[item_id]["ocr"].append((sha, ocr_id, words, text, settings, version))
    return items


def _read_item(item_id: int, inp: dict, regions: tuple[str, ...],
               confirmed: Collection[str] = ()) -> list[tuple]:
    from .ocr import OcrResult, OcrWord

    # Region hints per item: the same national digits are an Afghan number in a Persian advert
    # and a Moroccan one elsewhere, so the item's language and its other numbers order them.
    ocrs = [(sha, OcrResult(text, 0.0, [OcrWord(**w) for w in json.loads(words)], "tesseract",
                            version, json.loads(settings), None))
            for sha, _ocr_id, words, text, settings, version in inp["ocr"]]
    everything = "\n".join([inp["text"], inp["text_in_image"], *(o.text for _, o in ocrs)])
    hints = region_hints(everything, inp.get("language"), regions)
    found = []
    if inp["text"]:
        found += [(s, None) for s in find_selectors(inp["text"], "text", hints)]
    if inp["text_in_image"]:
        found += [(s, None) for s in find_selectors(inp["text_in_image"], "text_in_image",
                                                    hints)]
    for sha, ocr in ocrs:
        found += [(s, sha) for s in find_selectors_in_ocr(ocr, hints, confirmed)]
    return found


def _case_phones(case: Case) -> dict[int, list[CasePhone]]:
    """The current phone and WhatsApp selectors of every item, as stored."""
    out: dict[int, list[CasePhone]] = {}
    for item_id, kind, value, shown in case.db.execute(
        "SELECT item_id, kind, value, shown FROM selectors WHERE current = 1"
        " AND kind IN ('phone', 'whatsapp') ORDER BY id"
    ):
        out.setdefault(item_id, []).append(CasePhone(kind, value, shown))
    return out


class _Asked(Collection):
    """The case's numbers in international form, as ``find_selectors_in_ocr`` consults them
    (membership only), noting every number it asked about: an item's result depends on the
    case only through those."""

    def __init__(self, seen: set[str]) -> None:
        self.seen = seen
        self.asked: set[str] = set()

    def __contains__(self, value: object) -> bool:
        self.asked.add(str(value))
        return value in self.seen

    def __iter__(self):
        return iter(self.seen)

    def __len__(self) -> int:
        return len(self.seen)


def _settled_key(phones: list[CasePhone], regions: tuple[str, ...], seen: set[str],
                 confirmed: list[str]) -> str:
    """What the case settles of an item: the readings of each of its stored numbers that the
    case shows in international form (``seen``), and which of the numbers its reading asked
    about (a wrapped number without a trunk 0 that only the case can confirm) it was told the
    case shows (``confirmed``). Computed from the stored rows, so an item whose key still
    matches needs nothing done, and one a later import concerns is read again."""
    choices = resolve_case_regions(phones, regions, seen)
    return _key([c.evidence for c in choices], sorted(confirmed))


def _selector_stage(case: Case, rep: AnalysisReport, regions: tuple[str, ...],
                    progress: ProgressCallback | None, cancel: CancelToken | None) -> list[int]:
    """Selectors of every item whose inputs (text, OCR versions, settings) changed, then of
    every item whose ambiguous national numbers the case now settles differently.

    An item's stage key is "inputs/settled/asked": the key of its inputs, the key of what the
    case settles of it (``_settled_key``), and the numbers its reading asked the case about.
    Items are read and written 500 at a time (each batch committed, so a killed run resumes),
    each batch settled against what the case shows so far; a last pass reads again the items
    that what came later settles otherwise, and writes them as new versions."""
    # The latest key of each item: an item's key may come back to an earlier one (what the
    # case settled of it, then undid), and marking it again updates that row's time.
    done_keys = dict(case.db.execute(
        "SELECT target, engine_key FROM analysis_runs WHERE stage = 'selectors' ORDER BY at, id"
    ).fetchall())
    inputs = _item_inputs(case)
    base: dict[int, str] = {}
    todo = []
    for item_id, inp in sorted(inputs.items()):
        base[item_id] = _key(SELECTOR_ENGINE, regions, inp["text"], inp["text_in_image"],
                             [o[1] for o in inp["ocr"]], inp["language"])
        if (done_keys.get(str(item_id)) or "").split("/")[0] != base[item_id]:
            todo.append(item_id)
    stored = _case_phones(case)
    for item_id in todo:
        stored.pop(item_id, None)  # about to be read again: its old numbers are no evidence
    seen_by: dict[int, set[str]] = {i: seen_in_international_form(p) for i, p in stored.items()}
    seen_count: Counter[str] = Counter(v for values in seen_by.values() for v in values)
    changed: list[int] = []

    def write(item_ids: list[int]) -> None:
        # Read with what the case showed before this batch: the numbers an item shows in
        # international form do not depend on it, and the last pass reads again any item
        # that what came after would settle otherwise.
        before = {v for v, n in seen_count.items() if n > 0}
        read, asked = {}, {}
        for i in item_ids:
            confirmed = _Asked(before)
            read[i] = _read_item(i, inputs[i], regions, confirmed)
            asked[i] = sorted(confirmed.asked)
        for item_id, found in read.items():
            seen_count.subtract(seen_by.get(item_id, set()))
            seen_by[item_id] = seen_in_international_form(
                [CasePhone(s.kind, s.value, s.shown) for s, _ in found
                 if s.kind in ("phone", "whatsapp")])
            seen_count.update(seen_by[item_id])
        seen = {v for v, n in seen_count.items() if n > 0}
        with case.transaction() as db:
            for item_id, found in read.items():
                phones = [k for k, (s, _) in enumerate(found) if s.kind in ("phone", "whatsapp")]
                choices = resolve_case_regions(
                    [CasePhone(found[k][0].kind, found[k][0].value, found[k][0].shown)
                     for k in phones], regions, seen)
                for k, choice in zip(phones, choices, strict=True):
                    found[k][0].value = choice.value
                db.execute("UPDATE selectors SET current = 0 WHERE item_id = ?", [item_id])
                seen_rows = set()
                rows: list[CasePhone] = []
                for s, sha in found:
                    dedupe = (s.kind, s.value, s.found_in, sha, tuple(s.span))
                    if dedupe in seen_rows:
                        continue
                    seen_rows.add(dedupe)
                    db.execute(
                        "INSERT INTO selectors (item_id, media_sha256, kind, value, shown,"
                        " found_in, span, boxes, engine_version, current, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                        [item_id, sha, s.kind, s.value, s.shown, s.found_in,
                         json.dumps(s.span), json.dumps(s.boxes) if s.boxes else None,
                         SELECTOR_ENGINE, now_utc()],
                    )
                    if s.kind in ("phone", "whatsapp"):
                        rows.append(CasePhone(s.kind, s.value, s.shown))
                stored[item_id] = rows
                settled = _settled_key(rows, regions, seen,
                                       [v for v in asked[item_id] if v in before])
                key = f"{base[item_id]}/{settled}/{','.join(asked[item_id])}"
                _mark(case, "selectors", str(item_id), key, None)
                done_keys[str(item_id)] = key
                changed.append(item_id)

    for start in range(0, len(todo), 500):
        check(cancel)
        write(todo[start:start + 500])
        rep.items_read = len(changed)
        report(progress, len(changed), len(todo), "Finding phone numbers and other selectors")
    # What later batches and earlier runs showed may settle an item's numbers otherwise.
    seen = {v for v, n in seen_count.items() if n > 0}
    resettle = []
    for i in sorted(base):
        _, settled, asked_list = ((done_keys.get(str(i)) or "").split("/") + ["", ""])[:3]
        phones = stored.get(i, [])
        asked_now = [v for v in asked_list.split(",") if v]
        if (phones or asked_now) and settled != _settled_key(
                phones, regions, seen, [v for v in asked_now if v in seen]):
            resettle.append(i)
    for start in range(0, len(resettle), 500):
        check(cancel)
        write(resettle[start:start + 500])
        rep.items_read = len(changed)
    return sorted(set(changed))


def _index_stage(case: Case, rep: AnalysisReport, changed: list[int]) -> None:
    indexed = {r[0] for r in case.db.execute("SELECT item_id FROM search_index")}
    todo = sorted(set(changed) | (set(store.item_ids(case)) - {int(i) for i in indexed}))
    if todo:
        rep.indexed = store.index_items(case, todo)


def analyse(
    case: Case,
    *,
    ocr_langs: str | None = DEFAULT_LANGS,
    workers: int | None = None,
    regions: tuple[str, ...] = DEFAULT_REGIONS,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> AnalysisReport:
    """Run every stage not yet done; see the module docstring."""
    rep = AnalysisReport()
    workers = workers or max(1, min(os.cpu_count() or 1, 8))
    started = now_utc()
    case.audit("analysis.started", {"ocr_langs": ocr_langs, "workers": workers})
    try:
        _media_stage(case, rep, ocr_langs, workers, progress, cancel)
        check(cancel)
        changed = _selector_stage(case, rep, tuple(regions), progress, cancel)
        check(cancel)
        report(progress, 0, None, "Updating the search index")
        _index_stage(case, rep, changed)
        check(cancel)
        report(progress, 0, None, "Linking items")
        rep.links = linking.update_links(case)["links"]
        from . import imagelinks

        stats = imagelinks.LinkStats()
        rep.links.update(imagelinks.update_image_links(case, workers=workers, stats=stats,
                                                        progress=progress, cancel=cancel))
        rep.errors += [{"stage": "links", "reason": w} for w in stats.warnings]
    except Cancelled:
        case.audit("analysis.cancelled", {"started": started, **_summary(rep)})
        raise
    case.audit("analysis.finished", {"started": started, **_summary(rep)})
    return rep


def _summary(rep: AnalysisReport) -> dict:
    d = rep.as_json()
    d["errors"] = len(rep.errors)
    return d
