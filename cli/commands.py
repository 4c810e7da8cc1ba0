"""The commands: each parses nothing itself, opens the case, calls the core and prints."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evidence import store
from evidence.case import Case

from .progressbar import ProgressBar


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("new", parents=[common], help="create a case",
                       description="Create a case folder NAME.tideline.")
    p.add_argument("case", type=Path, help="the case folder to create (.tideline is added)")
    p.add_argument("--title", help="the case title (defaults to the folder name)")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("audit", parents=[common], help="print or verify the audit log",
                       description="Print the case's audit log, or verify its hash chain.")
    p.add_argument("case", type=Path)
    p.add_argument("--verify", action="store_true",
                   help="check the chain and audit.head; exit 4 naming the first bad entry")
    p.add_argument("--json", action="store_true", help="print the entries as JSON")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("import", parents=[common], help="import folders, zips and exports",
                       description="Import screenshot folders, zip files and exports of posts.")
    p.add_argument("case", type=Path)
    p.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    p.add_argument("--format", default="auto",
                   choices=["auto", "folder", "zip", "telegram", "facebook", "crowdtangle", "csv",
                            "json", "jsonl"])
    p.add_argument("--map", dest="mapping", metavar="F=COL,...",
                   help="for csv/json: which column holds text, url, author, posted_at, media")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("items", parents=[common], help="list items",
                       description="List the case's items with their text, media and selectors.")
    p.add_argument("case", type=Path)
    p.add_argument("--json", action="store_true", help="print JSON (the stable shape)")
    p.set_defaults(func=cmd_items)

    p = sub.add_parser("search", parents=[common], help="full-text search",
                       description="Search post text and OCR text (Arabic and Persian too).")
    p.add_argument("case", type=Path)
    p.add_argument("query")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("analyse", aliases=["analyze"], parents=[common],
                       help="OCR, hash, find selectors and link (only what is not done yet)",
                       description="Run every analysis stage not yet done: OCR, perceptual "
                       "hashes and photo regions, phone numbers and other selectors, the search "
                       "index, and links. Finished work is not redone.")
    p.add_argument("case", type=Path)
    p.add_argument("--ocr-langs", default="eng+ara+fas+fra+tur",
                   help="Tesseract languages joined with + (default: eng+ara+fas+fra+tur)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: cores)")
    p.add_argument("--no-ocr", action="store_true", help="skip OCR")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_analyse)

    p = sub.add_parser("links", parents=[common], help="list links and why they exist")
    p.add_argument("case", type=Path)
    p.add_argument("--kind", default="all",
                   choices=["all", "image", "phone", "email", "handle", "url", "text", "manual"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_links)

    p = sub.add_parser("clusters", parents=[common], help="list clusters of linked items")
    p.add_argument("case", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_clusters)

    p = sub.add_parser("decide", parents=[common], help="confirm, reject or mark a link unsure")
    p.add_argument("case", type=Path)
    p.add_argument("link", type=int)
    p.add_argument("decision", choices=["confirm", "reject", "unsure"])
    p.add_argument("--note", help="why")
    p.set_defaults(func=cmd_decide)

    p = sub.add_parser("link", parents=[common], help="link two items by hand")
    p.add_argument("case", type=Path)
    p.add_argument("a", type=int, metavar="ITEM")
    p.add_argument("b", type=int, metavar="ITEM")
    p.add_argument("--note", required=True, help="why they belong together")
    p.set_defaults(func=cmd_link)

    p = sub.add_parser("watchlist", parents=[common],
                       help="numbers, handles, emails and hashes to watch for",
                       description="Manage watchlists from partners. add: watchlist CASE add "
                       "LIST KIND VALUE [--note N] or --csv FILE (columns kind,value[,note]); "
                       "list; remove LIST KIND VALUE; hits.")
    p.add_argument("case", type=Path)
    p.add_argument("action", choices=["add", "list", "remove", "hits"])
    p.add_argument("rest", nargs="*", metavar="LIST KIND VALUE")
    p.add_argument("--csv", type=Path, help="with add: a CSV of kind,value[,note] rows")
    p.add_argument("--note")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_watchlist)

    p = sub.add_parser("demo", parents=[common], help="build the demo case and open it",
                       description="Build the demo case (fictional material from the synthetic "
                       "generator, imported and analysed by the real pipeline) once, then open "
                       "it in the window.")
    p.add_argument("dir", type=Path, nargs="?", help="where to keep it (default: the user's "
                   "data folder)")
    p.add_argument("--files", type=int, default=None, help="how many files to generate")
    p.add_argument("--no-gui", action="store_true", help="build only; do not open the window")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("tag", parents=[common], help="tag an item (or remove a tag)")
    p.add_argument("case", type=Path)
    p.add_argument("item", type=int)
    p.add_argument("tag")
    p.add_argument("--remove", action="store_true")
    p.set_defaults(func=cmd_tag)

    p = sub.add_parser("note", parents=[common], help="add a note to an item")
    p.add_argument("case", type=Path)
    p.add_argument("item", type=int)
    p.add_argument("text")
    p.set_defaults(func=cmd_note)


def emit_json(value: object) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def cmd_new(args: argparse.Namespace) -> int:
    with Case.create(args.case, title=args.title, actor=args.actor) as case:
        print(f"Created case '{case.title}' at {case.path}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    with Case.open(args.case, actor=args.actor, readonly=True) as case:
        if args.verify:
            result = case.verify_audit()
            if not result.ok:
                print(f"Audit verification failed: {result.problem}", file=sys.stderr)
                return 4
            print(f"The audit log is intact: {result.entries} entries, audit.head agrees.")
            return 0
        entries = case.audit_entries()
        if args.json:
            emit_json([e.body() | {"prev_hash": e.prev_hash, "hash": e.hash} for e in entries])
            return 0
        for e in entries:
            details = json.dumps(e.details, ensure_ascii=False, sort_keys=True)
            print(f"{e.seq:>6}  {e.at}  {e.actor:<12}  {e.action:<24}  {details}")
    return 0


def _open(args: argparse.Namespace, readonly: bool = False) -> Case:
    return Case.open(args.case, actor=args.actor, readonly=readonly)


def cmd_import(args: argparse.Namespace) -> int:
    from evidence.importer import ImportFailed, import_path

    bar = ProgressBar()
    reports, failures = [], []
    with _open(args) as case:
        for path in args.paths:
            try:
                reports.append(import_path(case, path, args.format, args.mapping, progress=bar))
            except ImportFailed as e:
                failures.append({"path": str(path), "reason": str(e)})
            finally:
                bar.close()
    rejected = [r for rep in reports for r in rep.rejected]
    if args.json:
        emit_json({"imports": [r.as_json() for r in reports], "failed": failures})
    else:
        for rep in reports:
            print(f"{rep.path}: {rep.kind}, {rep.items_added} new items, {rep.files_added} new "
                  f"files ({rep.already_present} already in the case), {len(rep.rejected)} "
                  "rejected")
    for f in failures:
        print(f["reason"], file=sys.stderr)
    for r in rejected:
        print(f"rejected: {r.path}: {r.reason}", file=sys.stderr)
    if failures and not reports:
        return 1
    return 3 if (rejected or failures) else 0


def cmd_items(args: argparse.Namespace) -> int:
    with _open(args, readonly=True) as case:
        items = store.items_json(case)
    if args.json:
        emit_json(items)
        return 0
    for it in items:
        text = (it["text"] or it["ocr_text"] or "").replace("\n", " ")[:70]
        phones = ", ".join(s["value"] for s in it["selectors"] if s["kind"] == "phone")
        print(f"{it['id']:>6}  {it['kind']:<10}  {(it['author'] or '-')[:24]:<24}  {text}  {phones}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    with _open(args, readonly=True) as case:
        hits = store.search(case, args.query)
        items = {it["id"]: it for it in store.items_json(case, [h["id"] for h in hits])}
    if args.json:
        emit_json([items[h["id"]] | {"snippet": h["snippet"]} for h in hits if h["id"] in items])
        return 0
    for h in hits:
        print(f"{h['id']:>6}  {h['snippet']}")
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    with _open(args) as case:
        if args.remove:
            store.remove_tag(case, [args.item], args.tag)
        else:
            store.add_tag(case, [args.item], args.tag)
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    with _open(args) as case:
        note_id, _ = store.add_note(case, args.item, args.text)
    print(f"Note {note_id} added to item {args.item}.")
    return 0


def cmd_analyse(args: argparse.Namespace) -> int:
    from analysis.pipeline import analyse

    bar = ProgressBar()
    with _open(args) as case:
        try:
            rep = analyse(case, ocr_langs=None if args.no_ocr else args.ocr_langs,
                          workers=args.workers, progress=bar)
        finally:
            bar.close()
    if args.json:
        emit_json(rep.as_json())
    else:
        print(f"OCR: {rep.ocr_done} images read, {rep.ocr_failed} failed. Hashes: {rep.hashed} "
              f"images, {rep.hash_failed} failed. Selectors: {rep.items_read} items read. "
              f"Links: {', '.join(f'{k} {v}' for k, v in sorted(rep.links.items())) or 'none'}.")
    if not rep.ocr_available and not args.no_ocr:
        print(rep.ocr_message, file=sys.stderr)
    for e in rep.errors:
        print(f"{e['stage']} failed for {e['media'][:12]}: {e['reason']}", file=sys.stderr)
    # An image that failed its full decode is now listed with the rejected files.
    return 3 if rep.unreadable else 0


def cmd_links(args: argparse.Namespace) -> int:
    from analysis.linking import links_json

    with _open(args, readonly=True) as case:
        links = links_json(case, args.kind)
    if args.json:
        emit_json(links)
        return 0
    for link in links:
        print(f"{link['id']:>6}  {link['kind']:<6} {link['status']:<9} {link['band'] or '':<6} "
              f"{link['a'][:12]:>12} ~ {link['b'][:12]:<12}  {link['why']}")
    return 0


def cmd_clusters(args: argparse.Namespace) -> int:
    from analysis.linking import clusters

    with _open(args, readonly=True) as case:
        found = clusters(case)
    if args.json:
        emit_json(found)
        return 0
    for c in found:
        print(f"cluster {c['id']}: {c['size']} items, pages: {', '.join(c['pages']) or '-'}, "
              f"phones: {', '.join(c['phones']) or '-'}")
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    status = {"confirm": "confirmed", "reject": "rejected", "unsure": "unsure"}[args.decision]
    with _open(args) as case:
        store.decide(case, args.link, status, args.note)
    print(f"Link {args.link} is now {status}.")
    return 0


def cmd_link(args: argparse.Namespace) -> int:
    with _open(args) as case:
        link_id, _ = store.manual_link(case, args.a, args.b, args.note)
    print(f"Items {args.a} and {args.b} are linked (link {link_id}).")
    return 0


def _watch_value(kind: str, value: str) -> str:
    from analysis.watch import normalise_watch_value

    return normalise_watch_value(kind, value)


def cmd_watchlist(args: argparse.Namespace) -> int:
    import csv

    from evidence.errors import TidelineError

    with _open(args, readonly=args.action in ("list", "hits")) as case:
        if args.action == "add":
            if args.csv:
                if len(args.rest) != 1:
                    raise TidelineError("Give the list name: watchlist CASE add LIST --csv FILE.")
                with open(args.csv, newline="", encoding="utf-8-sig") as f:
                    rows = [r for r in csv.reader(f) if r and not r[0].startswith("#")]
                if rows and rows[0][0].strip().lower() == "kind":
                    rows = rows[1:]
                entries = [(r[0].strip().lower(), _watch_value(r[0].strip().lower(), r[1]),
                            r[2] if len(r) > 2 else None) for r in rows]
            else:
                if len(args.rest) != 3:
                    raise TidelineError("Give LIST KIND VALUE, e.g. watchlist CASE add partner-a "
                                        "phone '+90 501 234 56 78'.")
                name, kind, value = args.rest
                entries = [(kind, _watch_value(kind, value), args.note)]
                args.rest = [name]
            added = store.watchlist_add(case, args.rest[0], entries)
            print(f"{added} new entries on watchlist '{args.rest[0]}'.")
        elif args.action == "remove":
            if len(args.rest) != 3:
                raise TidelineError("Give LIST KIND VALUE to remove.")
            name, kind, value = args.rest
            if not store.watchlist_remove(case, name, kind, _watch_value(kind, value)):
                raise TidelineError(f"'{value}' is not on watchlist '{name}'.")
        elif args.action == "list":
            entries = store.watchlist(case)
            if args.json:
                emit_json(entries)
            for e in entries if not args.json else []:
                print(f"{e['list_name']:<16} {e['kind']:<7} {e['value']}  {e['note'] or ''}")
        else:
            from analysis.watch import hash_watch_hits

            hits = store.watchlist_hits(case) + hash_watch_hits(case)
            if args.json:
                emit_json(hits)
            for h in hits if not args.json else []:
                print(f"item {h['item_id']}: {h['value']} on '{h['list_name']}' "
                      f"(shown as {h['shown']!r} in {h['found_in']})")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import DEMO_FILES, build_demo

    bar = ProgressBar()

    def log(line: str) -> None:
        bar.close()
        print(line, file=sys.stderr)

    try:
        path = build_demo(args.dir, n_files=args.files or DEMO_FILES, progress=bar, log=log)
    finally:
        bar.close()
    print(f"The demo case is at {path}")
    if args.no_gui:
        return 0
    from . import display_problem

    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    from gui.app import run_gui

    return run_gui(path, actor=args.actor)
