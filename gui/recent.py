"""The "Open Recent" list: up to eight case folders kept in QSettings, newest first."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 8
_KEY = "cases/recent"


class RecentCases:
    """Reads and writes the recent-case list; folders that no longer exist are pruned."""

    def __init__(self, settings: QSettings) -> None:
        self._settings = settings

    def paths(self) -> list[Path]:
        """Existing case folders, newest first; missing ones are dropped from the stored list."""
        stored = self._stored()
        existing = [p for p in stored if p.is_dir()]
        if existing != stored:
            self._store(existing)
        return existing

    def add(self, path: Path) -> None:
        path = Path(path).resolve()
        paths = [path] + [p for p in self._stored() if p != path]
        self._store(paths[:MAX_RECENT])

    def remove(self, path: Path) -> None:
        path = Path(path).resolve()
        self._store([p for p in self._stored() if p != path])

    def clear(self) -> None:
        self._store([])

    def _stored(self) -> list[Path]:
        value = self._settings.value(_KEY, [])
        # QSettings returns a bare string for a one-element list in INI files, None when empty.
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        return [Path(str(v)) for v in value if str(v).strip()]

    def _store(self, paths: list[Path]) -> None:
        self._settings.setValue(_KEY, [str(p) for p in paths])
        self._settings.sync()
