"""The ``export`` and ``verify`` commands: evidence bundles from the command line.

Cluster scopes are resolved here (clusters are an analysis result, and ``evidence`` never
imports ``analysis``); the bundle itself is written and checked by ``evidence.bundle``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evidence import bundle
from evidence.case import Case
from evidence.errors import TidelineError

from .progressbar import ProgressBar


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "export", parents=[common], help="export an evidence bundle (BagIt folder or .zip)",
        description="Export items, their original files, links, a report and the audit log "
        "as a BagIt bag that anyone can verify. OUT ending in .zip writes a zip.",
    )
    p.add_argument("case", type=Path)
    p.add_argument("out", type=Path, help="the bundle to create (a new folder, or NAME.zip)")
    scope = p.add_mutually_exclusive_group(required=True)
    scope.add_argument("--tag", help="the items carrying this tag")
    scope.add_argument("--cluster", type=int, metavar="ID",
                       help="the items of this cluster (see `clusters CASE --json`)")
    scope.add_argument("--items", metavar="ID,...", help="these items, by id")
    scope.add_argument("--all", action="store_true", help="every item in the case")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "verify", parents=[common], help="verify an evidence bundle",
        description="Check a bundle folder or zip: BagIt manifests, no added or changed file "
        "anywhere, and the audit chain up to its recorded head. With --case, also check it "
        "against the case it came from: the case's audit log must record this export and its "
        "vault must hold every original byte for byte. Exit 4 if anything is wrong.",
    )
    p.add_argument("bundle", type=Path)
    p.add_argument("--case", type=Path, metavar="CASE",
                   help="the case the bundle was exported from (opened read-only)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_verify)


def _parse_ids(text: str) -> list[int]:
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as e:
        raise TidelineError(f"'{text}' is not a comma-separated list of item ids.") from e
    if not ids:
        raise TidelineError("--items needs at least one item id.")
    return ids


def resolve_scope(case: Case, args: argparse.Namespace,
                  case_clusters: list[dict] | None = None) -> bundle.ExportScope:
    if args.tag is not None:
        return bundle.scope_tag(case, args.tag)
    if args.items is not None:
        return bundle.scope_items(case, _parse_ids(args.items))
    if args.cluster is not None:
        if case_clusters is None:
            from analysis.linking import clusters

            case_clusters = clusters(case)
        for cluster in case_clusters:
            if cluster["id"] == args.cluster:
                return bundle.ExportScope("cluster", str(args.cluster), list(cluster["items"]))
        raise TidelineError(f"There is no cluster {args.cluster} in this case.")
    return bundle.scope_all(case)


def cmd_export(args: argparse.Namespace) -> int:
    from .commands import emit_json

    bar = ProgressBar()
    with Case.open(args.case, actor=args.actor) as case:
        from analysis.linking import clusters

        # Computed once here, for the scope and for the report and referral list, because
        # the bundle writer (in ``evidence``) cannot reach analysis results itself.
        case_clusters = clusters(case)
        scope = resolve_scope(case, args, case_clusters)
        try:
            result = bundle.export_bundle(case, args.out, scope, progress=bar,
                                          clusters=case_clusters)
        finally:
            bar.close()
    summary = {
        "bundle": str(result.path), "scope": scope.describe(), "items": result.items,
        "files": result.files, "previews": result.previews, "links": result.links,
        "derived_files": result.derived_files, "clusters": result.clusters,
        "payload_oxum": result.payload_oxum, "tagmanifest_sha256": result.tagmanifest_sha256,
        "audit_head": {"seq": result.audit_head.seq, "hash": result.audit_head.hash},
    }
    if args.json:
        emit_json(summary)
    else:
        clusters = f"{result.clusters} cluster{'' if result.clusters == 1 else 's'}"
        print(f"Exported {result.items} items, {result.files} files and {clusters} "
              f"({scope.describe()}) to {result.path}; tag manifest sha256 "
              f"{result.tagmanifest_sha256}.")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .commands import emit_json

    # VerificationError -> exit 4 in cli.main; a case that cannot be opened -> exit 1.
    if args.case is not None:
        with Case.open(args.case, actor=args.actor, readonly=True) as case:
            result = bundle.verify_bundle(args.bundle, case)
    else:
        result = bundle.verify_bundle(args.bundle)
    match = result.case_match
    if args.json:
        summary = {
            "bundle": str(result.path), "valid": True, "payload_files": result.payload_files,
            "tag_files": result.tag_files, "audit_entries": result.audit_entries,
            "audit_head": {"seq": result.audit_head.seq, "hash": result.audit_head.hash},
            "case_title": result.bag_info.get("Tideline-Case-Title"),
            "scope": result.bag_info.get("Tideline-Scope"),
            "tagmanifest_sha256": result.tagmanifest_sha256,
        }
        if match is not None:
            summary["case"] = {"case_id": match.case_id, "export_audit_seq": match.export_seq,
                               "exported_at": match.exported_at,
                               "originals_in_vault": match.originals_checked}
        emit_json(summary)
    else:
        print(f"The bundle is intact: {result.payload_files} payload files and "
              f"{result.tag_files} tag files match their manifests, and the audit excerpt's "
              f"{result.audit_entries} entries chain to the recorded head.", file=sys.stdout)
        if match is not None:
            print(f"The case records this export (audit entry {match.export_seq}, "
                  f"{match.exported_at}) and its vault holds all {match.originals_checked} "
                  "originals byte for byte.", file=sys.stdout)
    return 0
