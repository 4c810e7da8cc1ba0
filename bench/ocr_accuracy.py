"""OCR and phone-number accuracy on the synthetic generator's screenshots and reposts.

Generates a synthetic collection (or reuses one with ``--out``), reads every screenshot and
every repost or export image that carries text with ``analysis.ocr.ocr_image`` on a spawned
pool of worker processes (OMP_THREAD_LIMIT=1), finds phone selectors exactly as the
``analyse`` pipeline does (``analysis.pipeline._read_item`` on the stored form of the OCR
result, number-line re-reads included; the collection taken as one case, so each image is read
with what the whole collection shows in international form and ambiguous national numbers are
settled across it with ``selectors.resolve_case_regions``, as the selector stage stores them;
``--per-item`` scores each image alone) and scores them against truth.json:

* phone recall and precision: per file, the set of E.164 values of the ``phone`` and
  ``whatsapp`` selectors against the set of truth ``phones``; summed over files;
  numbers the screen's edge cuts (truth ``cut_phones``) count neither as hits nor as false
  numbers;
* character error rate of the content text: each truth ``text`` line (whitespace collapsed,
  bidi marks dropped) is aligned to the substring of the whole OCR text (lines joined by
  spaces, collapsed the same way) with the smallest edit distance (semi-global Levenshtein:
  free start and end in the OCR text), and CER = sum of those distances / sum of truth line
  lengths. App chrome (page names, likes, clock) is ignored because it is not in ``text``.

Figures are given per file kind, language, stratum and layout family; the held-out layout is
its own row. With ``--ocr-cache`` the OCR results are written (or, when the file exists, read)
so selector changes can be re-scored without reading the images again.

Run: ``.venv/bin/python bench/ocr_accuracy.py --n 180 --seed 11 --out /tmp/ocracc/ds``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analysis.pipeline import _read_item  # noqa: E402
from analysis.selectors import (  # noqa: E402
    DEFAULT_REGIONS,
    CasePhone,
    resolve_case_regions,
    seen_in_international_form,
)

_BIDI = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068"
                              "\u2069\u061c\ufeff\u200b"))


@dataclass
class FileScore:
    path: str
    kind: str
    language: str | None
    groups: list[str]
    truth_phones: list[str]
    found_phones: list[str]
    cer_errors: int
    cer_chars: int
    seconds: float
    error: str | None = None
    notes: list[str] = field(default_factory=list)


# -- alignment ---------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return " ".join(text.translate(_BIDI).split())


def substring_distance(needle: str, hay: str) -> int:
    """Smallest Levenshtein distance between ``needle`` and any substring of ``hay``.

    The usual dynamic programme with row 0 all zeros (a match may start anywhere) and the
    minimum taken over the last row (it may end anywhere); each row is computed with numpy,
    the insertion chain as a running minimum of ``E[k] - k``."""
    if not needle:
        return 0
    if not hay:
        return len(needle)
    h = np.frombuffer(hay.encode("utf-32-le"), dtype=np.uint32)
    idx = np.arange(len(h) + 1)
    prev = np.zeros(len(h) + 1, dtype=np.int64)
    for i, ch in enumerate(needle, start=1):
        cost = (h != ord(ch)).astype(np.int64)
        e = np.empty_like(prev)
        e[0] = i
        e[1:] = np.minimum(prev[1:] + 1, prev[:-1] + cost)
        prev = np.minimum.accumulate(e - idx) + idx
    return int(prev.min())


# -- OCR in workers ----------------------------------------------------------------------------


def _init_worker() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _ocr_one(path: str) -> dict:
    from analysis.ocr import OcrError, ocr_image

    t0 = time.perf_counter()
    try:
        res = asdict(ocr_image(Path(path), timeout=120))
        return {"path": path, "ocr": res, "seconds": time.perf_counter() - t0}
    except OcrError as exc:
        return {"path": path, "error": str(exc), "seconds": time.perf_counter() - t0}


def _run_ocr(paths: list[str], workers: int) -> dict[str, dict]:
    out: dict[str, dict] = {}
    with mp.get_context("spawn").Pool(workers, initializer=_init_worker) as pool:
        for i, res in enumerate(pool.imap_unordered(_ocr_one, paths), start=1):
            out[res["path"]] = res
            if i % 20 == 0 or i == len(paths):
                print(f"  read {i}/{len(paths)}", file=sys.stderr, flush=True)
    return out


# -- scoring -----------------------------------------------------------------------------------


def _groups(entry: dict) -> list[str]:
    g = [f"kind:{entry['kind']}"]
    if entry.get("language"):
        g.append(f"lang:{entry['language']}")
    strata = set(entry.get("strata") or [])
    if entry["kind"] == "screenshot":
        g.append("theme:dark" if entry.get("theme") == "dark" else "theme:light")
        g.append(f"layout:{entry['layout']}" + (" (held out)" if entry.get("held_out") else ""))
    for s in ("tiny_text", "wrapped_number", "rtl_number", "overlay_text", "two_post_feed",
              "recompress"):
        if s in strata:
            g.append(f"stratum:{s}")
    digits = {p.get("digits", "latin") for p in entry.get("phones", [])}
    for d in sorted(digits - {"latin"}):
        g.append(f"digits:{d}")
    return g


def _phones_read(ocr: dict, confirmed: Collection[str] = ()) -> list[CasePhone]:
    """The phone selectors ``analyse`` finds in one image (one item per image), given what
    the rest of the case shows in international form."""
    inp = {"text": "", "text_in_image": "", "ocr": [(
        "sha", 1, json.dumps(ocr["words"], ensure_ascii=False), ocr["text"],
        json.dumps(ocr["settings"], ensure_ascii=False), ocr["engine_version"])]}
    found = _read_item(1, inp, DEFAULT_REGIONS, confirmed)
    return [CasePhone(s.kind, s.value, s.shown) for s, _ in found
            if s.kind in ("phone", "whatsapp")]


def settle_case(ocrs: dict[str, dict | None], case_wide: bool = True,
                mend: bool = True) -> dict[str, list[str]]:
    """The numbers ``analyse`` stores for each image of the collection taken as one case
    (``ocrs``: the OCR result of each image, None when it failed), as the selector stage does:
    each image read with what the whole collection shows in international form, and the
    country of ambiguous national numbers settled across all of them
    (``selectors.resolve_case_regions``). ``case_wide=False`` scores each image on its own;
    ``mend=False`` leaves out the wrapped numbers that only the case confirms."""
    reads = {path: _phones_read(o) if o else [] for path, o in ocrs.items()}
    if not case_wide:
        return {path: sorted({p.value for p in phones}) for path, phones in reads.items()}
    seen = seen_in_international_form(p for phones in reads.values() for p in phones)
    if mend:
        reads = {path: _phones_read(o, seen) if o else [] for path, o in ocrs.items()}
    flat = [(path, p) for path, phones in reads.items() for p in phones]
    choices = resolve_case_regions([p for _, p in flat], DEFAULT_REGIONS, seen)
    out: dict[str, set[str]] = {path: set() for path in reads}
    for (path, _), choice in zip(flat, choices, strict=True):
        out[path].add(choice.value)
    return {path: sorted(values) for path, values in out.items()}


def score_file(entry: dict, read: dict, found: list[str]) -> FileScore:
    truth = sorted({p["e164"] for p in entry.get("phones", [])})
    # A number the screen's edge cuts through counts neither way.
    cut = {p["e164"] for p in entry.get("cut_phones", [])} - set(truth)
    found = [f for f in found if f not in cut]
    lines = [_clean(t) for t in entry.get("text", []) if _clean(t)]
    chars = sum(len(t) for t in lines)
    if "error" in read:
        return FileScore(entry["path"], entry["kind"], entry.get("language"), _groups(entry),
                         truth, [], chars, chars, read["seconds"], read["error"])
    ocr = read["ocr"]
    hay = _clean(ocr["text"].replace("\n", " "))
    errors = sum(substring_distance(t, hay) for t in lines)
    return FileScore(entry["path"], entry["kind"], entry.get("language"), _groups(entry),
                     truth, found, errors, chars, read["seconds"])


@dataclass
class Tally:
    files: int = 0
    truth: int = 0
    found: int = 0
    hits: int = 0
    errors: int = 0
    chars: int = 0
    seconds: float = 0.0

    def add(self, s: FileScore) -> None:
        t, f = set(s.truth_phones), set(s.found_phones)
        self.files += 1
        self.truth += len(t)
        self.found += len(f)
        self.hits += len(t & f)
        self.errors += s.cer_errors
        self.chars += s.cer_chars
        self.seconds += s.seconds

    def row(self, name: str) -> str:
        rec = f"{self.hits / self.truth:.3f}" if self.truth else "-"
        prec = f"{self.hits / self.found:.3f}" if self.found else "-"
        cer = f"{self.errors / self.chars:.3f}" if self.chars else "-"
        return (f"| {name:<34} | {self.files:>5} | {cer:>5} | {self.truth:>6} | {rec:>6} "
                f"| {prec:>9} | {self.seconds / max(1, self.files):>5.2f} |")


HEADER = ("| group                              | files |  CER  | phones | recall | precision "
          "| s/img |\n|------------------------------------|-------|-------|--------|--------"
          "|-----------|-------|")


def report(scores: list[FileScore]) -> str:
    tallies: dict[str, Tally] = defaultdict(Tally)
    for s in scores:
        for g in ["all"] + s.groups:
            tallies[g].add(s)
        if s.kind == "screenshot":
            held = any("held out" in g for g in s.groups)
            tallies["screenshots, held-out layout" if held else "screenshots, tuned layouts"].add(s)

    def order(name: str) -> tuple:
        prefixes = ("all", "kind:", "screenshots", "lang:", "theme:", "layout:", "stratum:",
                    "digits:")
        return (next(i for i, p in enumerate(prefixes) if name.startswith(p)), name)

    out = [HEADER]
    out += [tallies[k].row(k) for k in sorted(tallies, key=order)]
    return "\n".join(out)


def misses(scores: list[FileScore], truth_by_path: dict[str, dict],
           tuned_only: bool = False) -> list[str]:
    """Each file's missed and false numbers; ``tuned_only`` leaves out the held-out layouts,
    whose misses must stay unseen for them to measure anything."""
    out = []
    for s in scores:
        t, f = set(s.truth_phones), set(s.found_phones)
        if (t == f and not s.error) or (tuned_only and truth_by_path[s.path].get("held_out")):
            continue
        shown = {p["e164"]: f"{p['shown']} [{p['style']}/{p.get('digits')}]"
                 for p in truth_by_path[s.path].get("phones", [])}
        out.append(f"{s.path} ({', '.join(s.groups)}){' ERROR ' + s.error if s.error else ''}")
        for m in sorted(t - f):
            out.append(f"    missed {m}  shown {shown.get(m)}")
        for x in sorted(f - t):
            out.append(f"    false  {x}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/tideline-ocr-accuracy"),
                    help="collection folder; generated there unless truth.json exists")
    ap.add_argument("--n", type=int, default=180, help="files to generate")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="read only the first N images")
    ap.add_argument("--kinds", default="screenshot,repost,export_media")
    ap.add_argument("--ocr-cache", type=Path, help="JSON of OCR results to reuse or write")
    ap.add_argument("--misses", action="store_true", help="list every missed or false number")
    ap.add_argument("--misses-tuned", action="store_true",
                    help="list the missed and false numbers of the tuned layouts only (the "
                         "held-out layouts' stay unseen)")
    ap.add_argument("--per-item", action="store_true",
                    help="score each image's own choice of country, without the case-wide one")
    ap.add_argument("--no-case-mending", action="store_true",
                    help="no wrapped numbers without a trunk 0 mended on the case's word")
    ap.add_argument("--families", default=None,
                    help="screenshot layouts to generate, comma-separated (default: the three "
                         "standard ones; instagram_phone is a second held-out layout)")
    args = ap.parse_args(argv)

    truth_path = args.out / "truth.json"
    if not truth_path.exists():
        from synthetic import generate
        from synthetic.screenshots import FAMILIES

        print(f"generating {args.n} files in {args.out} (seed {args.seed})", file=sys.stderr)
        generate(args.out, args.n, args.seed,
                 families=args.families.split(",") if args.families else FAMILIES)
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    kinds = set(args.kinds.split(","))
    entries = [e for e in truth["files"] if e["kind"] in kinds and e.get("text")]
    if args.limit:
        entries = entries[: args.limit]
    by_path = {str(args.out / e["path"]): e for e in entries}

    reads: dict[str, dict] = {}
    if args.ocr_cache and args.ocr_cache.exists():
        reads = json.loads(args.ocr_cache.read_text(encoding="utf-8"))
    todo = [p for p in by_path if p not in reads]
    wall = 0.0
    if todo:
        t0 = time.perf_counter()
        reads.update(_run_ocr(todo, args.workers))
        wall = time.perf_counter() - t0
        if args.ocr_cache:
            args.ocr_cache.write_text(json.dumps(reads, ensure_ascii=False), encoding="utf-8")
    found = settle_case({p: reads[p].get("ocr") for p in by_path}, case_wide=not args.per_item,
                        mend=not args.no_case_mending)
    scores = [score_file(e, reads[p], found[p]) for p, e in by_path.items()]
    truth_rel = {e["path"]: e for e in entries}
    print(f"collection {args.out} seed {truth['seed']} files {truth['n_files']}; "
          f"read {len(entries)} images" + (f" in {wall:.0f} s wall on {args.workers} workers "
                                           f"({wall / len(todo):.2f} s/img)" if todo else
                                           " (OCR from cache)"))
    print(report(scores))
    if args.misses or args.misses_tuned:
        print("\n".join(misses(scores, truth_rel, tuned_only=not args.misses)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
