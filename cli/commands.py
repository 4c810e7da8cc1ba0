"""The commands: each parses nothing itself, opens the case, calls the core and prints."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evidence.case import Case


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
