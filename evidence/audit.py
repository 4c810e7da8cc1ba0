"""The audit log: append-only and hash-chained, with ``audit.head`` catching truncation.

Each entry's hash is SHA-256 over the previous entry's hash, a newline, and the canonical JSON
(UTF-8, sorted keys, no insignificant whitespace) of its sequence number, UTC time, actor, OS
user, action, details and app version. ``audit.head`` holds the latest sequence number and hash;
it is rewritten (atomically) after every commit that appended entries, so deleting entries off
the end of the table is caught as well as editing, deleting or reordering them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from . import __version__
from .atomic import write_atomic
from .clock import now_utc

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    os_user: str
    action: str
    details: dict
    app_version: str
    prev_hash: str
    hash: str

    def body(self) -> dict:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "actor_asserted": True,
            "os_user": self.os_user,
            "action": self.action,
            "details": self.details,
            "app_version": self.app_version,
        }


def entry_hash(prev_hash: str, body: dict) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical_json(body)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


def read_head(path: Path) -> Head | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Head(int(data["seq"]), str(data["hash"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return Head(-1, "unreadable")


def write_head(path: Path, head: Head) -> None:
    line = canonical_json({"seq": head.seq, "hash": head.hash}) + "\n"
    write_atomic(path, lambda out: out.write(line.encode("utf-8")))


def last_entry(db: sqlite_utils.Database) -> Head:
    row = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return Head(row[0], row[1]) if row else Head(0, GENESIS)


def append(
    db: sqlite_utils.Database, actor: str, os_user: str, action: str, details: dict | None = None
) -> Head:
    """Append one entry inside the caller's transaction; the caller writes the head after commit."""
    prev = last_entry(db)
    body = {
        "seq": prev.seq + 1,
        "at": now_utc(),
        "actor": actor,
        "actor_asserted": True,
        "os_user": os_user,
        "action": action,
        "details": details or {},
        "app_version": __version__,
    }
    digest = entry_hash(prev.hash, body)
    db.execute(
        "INSERT INTO audit (seq, at, actor, os_user, action, details, app_version, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            body["seq"],
            body["at"],
            actor,
            os_user,
            action,
            canonical_json(body["details"]),
            __version__,
            prev.hash,
            digest,
        ],
    )
    return Head(body["seq"], digest)


def entries(db: sqlite_utils.Database, since: int = 0) -> list[AuditEntry]:
    rows = db.execute(
        "SELECT seq, at, actor, os_user, action, details, app_version, prev_hash, hash"
        " FROM audit WHERE seq > ? ORDER BY seq",
        [since],
    ).fetchall()
    out = []
    for r in rows:
        try:
            details = json.loads(r[5])
        except (TypeError, ValueError):
            details = {"unparseable": r[5]}
        out.append(AuditEntry(r[0], r[1], r[2], r[3], r[4], details, r[6], r[7], r[8]))
    return out


@dataclass(frozen=True)
class AuditCheck:
    ok: bool
    entries: int
    problem: str | None = None
    bad_seq: int | None = None


def verify_chain(db: sqlite_utils.Database, head: Head | None) -> AuditCheck:
    """Walk the chain from the start; name the first entry that is wrong."""
    prev_hash = GENESIS
    expected_seq = 1
    count = 0
    for e in entries(db):
        if e.seq != expected_seq:
            return AuditCheck(
                False,
                count,
                f"Audit entry {expected_seq} is missing (the next entry is {e.seq}).",
                expected_seq,
            )
        if e.prev_hash != prev_hash:
            return AuditCheck(
                False,
                count,
                f"Audit entry {e.seq} does not follow entry {e.seq - 1} (the chain is broken).",
                e.seq,
            )
        if entry_hash(prev_hash, e.body()) != e.hash:
            return AuditCheck(
                False, count, f"Audit entry {e.seq} was changed after it was written.", e.seq
            )
        prev_hash = e.hash
        expected_seq += 1
        count += 1
    last = Head(expected_seq - 1, prev_hash)
    if head is None:
        return AuditCheck(False, count, "The case has no audit.head file.", None)
    if head.seq == -1:
        return AuditCheck(False, count, "The audit.head file is unreadable.", None)
    if head.seq > last.seq:
        return AuditCheck(
            False,
            count,
            f"The audit log ends at entry {last.seq} but audit.head records entry {head.seq}:"
            " entries were removed from the end.",
            last.seq + 1,
        )
    if head.seq < last.seq:
        return AuditCheck(
            False,
            count,
            f"The audit log runs to entry {last.seq} but audit.head records entry {head.seq}.",
            head.seq + 1,
        )
    if head.hash != last.hash:
        return AuditCheck(
            False,
            count,
            f"Audit entry {last.seq} does not match the hash recorded in audit.head.",
            last.seq,
        )
    return AuditCheck(True, count)
