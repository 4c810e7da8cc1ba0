"""The case database: connection settings and the append-only list of schema migrations.

Migrations are numbered by ``PRAGMA user_version``. They are append-only: a released migration
is never edited; a change to the schema is a new function at the end of ``MIGRATIONS``. A case
whose version is newer than ``SCHEMA_VERSION`` is refused, and the database is copied aside
(with SQLite's backup API, so the copy is consistent) before any migration runs on it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from .errors import CaseError


def connect(path: Path) -> sqlite_utils.Database:
    """Open ``case.db`` with the settings every connection to a case uses."""
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA busy_timeout=30000")
    return db


def _run_script(db: sqlite_utils.Database, script: str) -> None:
    """Run a DDL script statement by statement: ``executescript`` would commit the migration's
    transaction half way, and a crash there would leave a case between two versions."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError("incomplete SQL statement at the end of a migration script")


def _v1_core(db: sqlite_utils.Database) -> None:
    """What was received: sources, media, sightings, items, rejected files, the audit log."""
    _run_script(
        db,
        """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE audit (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            os_user TEXT NOT NULL,
            action TEXT NOT NULL,
            details TEXT NOT NULL,
            app_version TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            path TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            container_sha256 TEXT,
            importer_version TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            counts TEXT NOT NULL DEFAULT '{}',
            actor TEXT NOT NULL
        );
        CREATE UNIQUE INDEX sources_fingerprint ON sources(fingerprint);
        CREATE TABLE media (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            mime TEXT,
            format TEXT,
            width INTEGER,
            height INTEGER,
            frames INTEGER,
            readable INTEGER NOT NULL,
            unreadable_reason TEXT,
            exif TEXT,
            added_at TEXT NOT NULL
        );
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id),
            source_ref TEXT NOT NULL,
            kind TEXT NOT NULL,
            author TEXT,
            author_id TEXT,
            url TEXT,
            posted_at TEXT,
            posted_at_original TEXT,
            captured_at TEXT,
            captured_at_source TEXT,
            text TEXT,
            text_in_image TEXT,
            language TEXT,
            raw TEXT,
            extra TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (source_id, source_ref)
        );
        CREATE TABLE sightings (
            id INTEGER PRIMARY KEY,
            media_sha256 TEXT NOT NULL REFERENCES media(sha256),
            source_id INTEGER NOT NULL REFERENCES sources(id),
            item_id INTEGER REFERENCES items(id),
            path_in_source TEXT NOT NULL,
            original_name TEXT NOT NULL,
            role TEXT NOT NULL,
            size INTEGER,
            file_mtime TEXT,
            file_ctime TEXT,
            created_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX sightings_place
            ON sightings(source_id, path_in_source, role, coalesce(item_id, 0));
        CREATE INDEX sightings_media ON sightings(media_sha256);
        CREATE INDEX sightings_item ON sightings(item_id);
        CREATE TABLE import_errors (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id),
            path_in_source TEXT NOT NULL,
            media_sha256 TEXT REFERENCES media(sha256),
            reason TEXT NOT NULL,
            at TEXT NOT NULL,
            UNIQUE (source_id, path_in_source)
        );
        """
    )


def _v2_derived(db: sqlite_utils.Database) -> None:
    """Derived results (versioned, rebuildable) and the analysts' own work."""
    _run_script(
        db,
        """
        CREATE TABLE ocr (
            id INTEGER PRIMARY KEY,
            media_sha256 TEXT NOT NULL REFERENCES media(sha256),
            engine TEXT NOT NULL,
            engine_version TEXT NOT NULL,
            settings TEXT NOT NULL,
            text TEXT NOT NULL,
            mean_confidence REAL,
            script TEXT,
            words TEXT NOT NULL DEFAULT '[]',
            error TEXT,
            current INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE INDEX ocr_media ON ocr(media_sha256, current);
        CREATE TABLE regions (
            id INTEGER PRIMARY KEY,
            media_sha256 TEXT NOT NULL REFERENCES media(sha256),
            engine TEXT NOT NULL,
            engine_version TEXT NOT NULL,
            settings TEXT NOT NULL,
            kind TEXT NOT NULL,
            x0 INTEGER NOT NULL, y0 INTEGER NOT NULL, x1 INTEGER NOT NULL, y1 INTEGER NOT NULL,
            score REAL,
            current INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE INDEX regions_media ON regions(media_sha256, current);
        CREATE TABLE hashes (
            id INTEGER PRIMARY KEY,
            region_id INTEGER NOT NULL REFERENCES regions(id),
            algo TEXT NOT NULL,
            value TEXT NOT NULL,
            quality INTEGER,
            variant TEXT NOT NULL DEFAULT 'original'
        );
        CREATE INDEX hashes_region ON hashes(region_id);
        CREATE INDEX hashes_algo_value ON hashes(algo, value);
        CREATE TABLE selectors (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            media_sha256 TEXT REFERENCES media(sha256),
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            shown TEXT NOT NULL,
            found_in TEXT NOT NULL,
            span TEXT,
            boxes TEXT,
            engine_version TEXT NOT NULL,
            current INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE INDEX selectors_item ON selectors(item_id, current);
        CREATE INDEX selectors_value ON selectors(kind, value, current);
        CREATE TABLE links (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            a TEXT NOT NULL,
            b TEXT NOT NULL,
            score REAL,
            band TEXT,
            why TEXT NOT NULL,
            details TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL DEFAULT 'auto',
            decided_by TEXT,
            decided_at TEXT,
            decision_note TEXT,
            stale INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX links_a ON links(a);
        CREATE INDEX links_b ON links(b);
        CREATE TABLE tags (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            color TEXT NOT NULL DEFAULT '#5b8def',
            created_at TEXT NOT NULL
        );
        CREATE TABLE item_tags (
            item_id INTEGER NOT NULL REFERENCES items(id),
            tag_id INTEGER NOT NULL REFERENCES tags(id),
            actor TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (item_id, tag_id)
        );
        CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            text TEXT NOT NULL,
            actor TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE TABLE watchlist (
            id INTEGER PRIMARY KEY,
            list_name TEXT NOT NULL,
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            note TEXT,
            added_by TEXT NOT NULL,
            added_at TEXT NOT NULL,
            UNIQUE (list_name, kind, value)
        );
        CREATE TABLE item_edits (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            field TEXT NOT NULL,
            value TEXT,
            actor TEXT NOT NULL,
            at TEXT NOT NULL,
            current INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX item_edits_item ON item_edits(item_id, current);
        CREATE VIRTUAL TABLE search_index USING fts5(
            body,
            item_id UNINDEXED,
            tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
        );
        CREATE TABLE analysis_runs (
            id INTEGER PRIMARY KEY,
            stage TEXT NOT NULL,
            target TEXT NOT NULL,
            engine_key TEXT NOT NULL,
            status TEXT NOT NULL,
            error TEXT,
            at TEXT NOT NULL,
            UNIQUE (stage, target, engine_key)
        );
        """
    )


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1_core, _v2_derived]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def backup_copy(db: sqlite_utils.Database, target: Path) -> None:
    """A consistent copy of the live database (WAL included) at ``target``."""
    dest = sqlite3.connect(str(target))
    try:
        db.conn.backup(dest)
    finally:
        dest.close()


def migrate(db: sqlite_utils.Database, db_path: Path | None, upto: int = SCHEMA_VERSION) -> int:
    """Bring the schema to ``upto``; return the version the case had before.

    A non-empty case is copied aside first (``case.db.v<N>-<time>.bak``). Each migration runs in
    its own transaction together with its ``user_version`` bump, so a crash leaves the case at
    one version or the next, never between.
    """
    before = schema_version(db)
    if before > SCHEMA_VERSION:
        raise CaseError(
            f"This case was written by a newer version of Tideline (schema {before}; this "
            f"version knows up to {SCHEMA_VERSION}): update Tideline to open it."
        )
    if before >= upto:
        return before
    if before > 0 and db_path is not None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup_copy(db, db_path.with_name(f"{db_path.name}.v{before}-{stamp}.bak"))
    for version in range(before + 1, upto + 1):
        with db.atomic():
            MIGRATIONS[version - 1](db)
            db.execute(f"PRAGMA user_version={version}")
    return before
