"""A case on disk: ``NAME.tideline/`` with ``case.db``, ``vault/``, ``cache/`` and ``audit.head``.

``Case`` opens (and migrates) the database, holds the write lock, owns the vault and appends
to the audit log. Writes go through ``case.transaction()``: one SQLite transaction, and the
audit head is rewritten once it has committed.
"""

from __future__ import annotations

import contextlib
import getpass
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlite_utils

from . import __version__, audit
from . import db as dbmod
from .clock import now_utc
from .errors import CaseError
from .lock import CaseLock
from .vault import Vault

SUFFIX = ".tideline"
DB_NAME = "case.db"
HEAD_NAME = "audit.head"
LOCK_NAME = "case.lock"


def default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (some containers)
        return "unknown"


def case_path(path: Path) -> Path:
    """The folder a case lives in: the name given, with ``.tideline`` added if it lacks it."""
    path = Path(path)
    return path if path.name.endswith(SUFFIX) else path.with_name(path.name + SUFFIX)


class Case:
    def __init__(self, path: Path, db: sqlite_utils.Database, actor: str, lock: CaseLock | None):
        # Absolute, so nothing that changes the working directory (bagit does) moves the case.
        self.path = Path(path).absolute()
        self.db = db
        self.actor = actor
        self.os_user = default_actor()
        self._lock = lock
        self._depth = 0
        self._head_dirty = False
        self.vault = Vault(path / "vault", self.tmp_dir)

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, title: str | None = None, actor: str | None = None) -> Case:
        path = case_path(Path(path))
        if path.exists() and any(path.iterdir()):
            raise CaseError(f"{path} already exists and is not empty: choose another name.")
        try:
            for sub in ("vault", "cache"):
                (path / sub).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CaseError(f"Cannot create the case folder {path}: {e.strerror}.") from e
        lock = CaseLock(path / LOCK_NAME)
        lock.acquire()
        try:
            db = dbmod.connect(path / DB_NAME)
            dbmod.migrate(db, None)
        except BaseException:
            lock.release()
            raise
        case = cls(path, db, actor or default_actor(), lock)
        title = title or path.name.removesuffix(SUFFIX)
        with case.transaction():
            meta = {
                "title": title,
                "case_id": str(uuid.uuid4()),
                "created_at": now_utc(),
                "created_with": __version__,
            }
            for key, value in meta.items():
                db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", [key, value])
            case.audit("case.created", {"title": title, "case_id": meta["case_id"]})
        return case

    @classmethod
    def open(cls, path: Path, actor: str | None = None, readonly: bool = False) -> Case:
        path = Path(path)
        if not (path / DB_NAME).is_file():
            alt = case_path(path)
            if (alt / DB_NAME).is_file():
                path = alt
            elif not path.exists():
                raise CaseError(f"There is no case at {path}.")
            else:
                raise CaseError(f"{path} is not a Tideline case (it has no {DB_NAME}).")
        lock = None
        if not readonly:
            lock = CaseLock(path / LOCK_NAME)
            lock.acquire()
        try:
            db = dbmod.connect(path / DB_NAME)
            version = dbmod.schema_version(db)
            if version > dbmod.SCHEMA_VERSION or not readonly:
                dbmod.migrate(db, path / DB_NAME)
            elif version < dbmod.SCHEMA_VERSION:
                raise CaseError(
                    f"The case {path.name} needs upgrading: open it once for writing first."
                )
        except sqlite3.DatabaseError as e:
            if lock:
                lock.release()
            raise CaseError(f"The database of {path.name} cannot be read: {e}.") from e
        except BaseException:
            if lock:
                lock.release()
            raise
        case = cls(path, db, actor or default_actor(), lock)
        if not readonly:
            case._repair_stale_head()
        return case

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.db.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Case:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- places ------------------------------------------------------------------------------

    @property
    def cache_dir(self) -> Path:
        return self.path / "cache"

    @property
    def tmp_dir(self) -> Path:
        """Temporary files stay inside the case, never in the system temp folder."""
        return self.path / "cache" / "tmp"

    @property
    def head_path(self) -> Path:
        return self.path / HEAD_NAME

    @property
    def writable(self) -> bool:
        return self._lock is not None

    # -- facts -------------------------------------------------------------------------------

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    @property
    def title(self) -> str:
        return self.meta("title") or self.path.name.removesuffix(SUFFIX)

    def counts(self) -> dict[str, int]:
        q = {
            "items": "SELECT count(*) FROM items",
            "media": "SELECT count(*) FROM media",
            "sources": "SELECT count(*) FROM sources",
            "links": "SELECT count(*) FROM links WHERE status != 'rejected' AND stale = 0",
            "import_errors": "SELECT count(*) FROM import_errors",
        }
        return {k: self.db.execute(sql).fetchone()[0] for k, sql in q.items()}

    # -- writing -----------------------------------------------------------------------------

    def _require_writable(self) -> None:
        if self._lock is None:
            raise CaseError(f"The case {self.path.name} is open read-only.")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """One SQLite transaction (nested calls join it); the audit head follows the commit."""
        self._require_writable()
        self._depth += 1
        try:
            with self.db.atomic():
                yield self.db
        finally:
            self._depth -= 1
        if self._depth == 0 and self._head_dirty:
            self._write_head()

    @contextlib.contextmanager
    def batches(self) -> Iterator[Callable[[], None]]:
        """A long write committed in batches: yields ``commit``, which commits the work so far
        (and the audit head) and starts the next batch. An exception rolls back only the batch
        under way; everything committed before it stays."""
        self._require_writable()
        self._depth += 1
        self.db.execute("BEGIN")

        def commit() -> None:
            self.db.execute("COMMIT")
            if self._head_dirty:
                self._write_head()
            self.db.execute("BEGIN")

        try:
            yield commit
        except BaseException:
            if self.db.conn.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")
        finally:
            self._depth -= 1
        if self._head_dirty:
            self._write_head()

    def audit(self, action: str, details: dict | None = None) -> None:
        """Record an action; inside a transaction it commits (or rolls back) with it."""
        if self._depth == 0:
            with self.transaction():
                self.audit(action, details)
            return
        audit.append(self.db, self.actor, self.os_user, action, details)
        self._head_dirty = True

    def _write_head(self) -> None:
        audit.write_head(self.head_path, audit.last_entry(self.db))
        self._head_dirty = False

    def _repair_stale_head(self) -> None:
        """A process killed between a commit and the head write leaves the head one step behind.

        Only that case is repaired, and only when the head's hash is the one the log holds at
        the head's position; anything else is left for ``verify_audit`` to report.
        """
        head = audit.read_head(self.head_path)
        last = audit.last_entry(self.db)
        if head is None or head.seq <= 0 or head.seq >= last.seq:
            return
        row = self.db.execute("SELECT hash FROM audit WHERE seq = ?", [head.seq]).fetchone()
        if row is None or row[0] != head.hash:
            return
        if not audit.verify_chain(self.db, last).ok:
            return
        self._write_head()
        self.audit("audit.head.repaired", {"was_seq": head.seq, "now_seq": last.seq})

    # -- audit -------------------------------------------------------------------------------

    def audit_entries(self, since: int = 0) -> list[audit.AuditEntry]:
        return audit.entries(self.db, since)

    def verify_audit(self) -> audit.AuditCheck:
        return audit.verify_chain(self.db, audit.read_head(self.head_path))

    def clear_cache(self) -> None:
        """The cache holds only what can be rebuilt; removing it loses nothing."""
        shutil.rmtree(self.cache_dir, ignore_errors=True)
        self.cache_dir.mkdir(exist_ok=True)
