"""Undoable analyst actions: tagging, notes and analyst-entered screenshot details.

Each command calls the audited store functions (so an undo is itself an audited change, never
an erasure of the log) and reports the ``ChangeSet`` it produced through ``on_change`` so the
views refresh only what changed. A command is applied once with ``apply()`` before it is pushed
(a failure then shows an error and nothing is pushed); ``QUndoStack.push`` calls ``redo()``
straight away, which the first time does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtGui import QUndoCommand

from evidence import store
from evidence.case import Case
from evidence.changes import ChangeSet
from evidence.errors import TidelineError

ChangeHandler = Callable[[ChangeSet], None]
ErrorHandler = Callable[[str], None]


def push_command(stack, command: QUndoCommand, writes_enabled: bool,
                 on_error: ErrorHandler) -> bool:
    """Apply ``command`` now and put it on ``stack`` for undo; a refused write is one sentence."""
    if not writes_enabled:
        on_error("The case cannot be changed right now (it is read-only or busy).")
        return False
    try:
        command.apply()
    except TidelineError as exc:
        on_error(str(exc))
        return False
    stack.push(command)
    return True


class _Command(QUndoCommand):
    def __init__(self, case: Case, text: str, on_change: ChangeHandler,
                 on_error: ErrorHandler) -> None:
        super().__init__(text)
        self._case = case
        self._on_change = on_change
        self._on_error = on_error
        self._skip_next_redo = False

    def apply(self) -> ChangeSet:
        """Do it the first time; raises the store's error so the caller can say why."""
        changes = self._do()
        self._skip_next_redo = True  # the push that follows calls redo() at once
        self._on_change(changes)
        return changes

    def redo(self) -> None:
        if self._skip_next_redo:
            self._skip_next_redo = False
            return
        self._run(self._do)

    def undo(self) -> None:
        self._run(self._undo)

    def _run(self, step: Callable[[], ChangeSet]) -> None:
        # Qt calls these from C++; an exception must become a message, not vanish.
        try:
            self._on_change(step())
        except (TidelineError, OSError) as exc:
            self._on_error(str(exc))

    def _do(self) -> ChangeSet:
        raise NotImplementedError

    def _undo(self) -> ChangeSet:
        raise NotImplementedError


class TagCommand(_Command):
    """Put a tag on items (``add``) or take it off; undo touches only the items that changed."""

    def __init__(self, case: Case, item_ids: Sequence[int], name: str, add: bool,
                 on_change: ChangeHandler, on_error: ErrorHandler) -> None:
        count = len(item_ids)
        what = f"{count} items" if count != 1 else "item"
        text = f"Tag {what} '{name}'" if add else f"Untag {what} '{name}'"
        super().__init__(case, text, on_change, on_error)
        self.item_ids = list(item_ids)
        self.name = name
        self.add = add
        self.changed: list[int] = []

    def _do(self) -> ChangeSet:
        fn = store.add_tag if self.add else store.remove_tag
        changes = fn(self._case, self.item_ids if not self.changed else self.changed, self.name)
        if not self.changed:
            self.changed = sorted(changes.items)
        return changes

    def _undo(self) -> ChangeSet:
        if not self.changed:
            return ChangeSet(tags=True)
        fn = store.remove_tag if self.add else store.add_tag
        return fn(self._case, self.changed, self.name)


class AddNoteCommand(_Command):
    def __init__(self, case: Case, item_id: int, text: str, on_change: ChangeHandler,
                 on_error: ErrorHandler) -> None:
        super().__init__(case, "Add note", on_change, on_error)
        self.item_id = item_id
        self.text = text
        self.note_id: int | None = None

    def _do(self) -> ChangeSet:
        self.note_id, changes = store.add_note(self._case, self.item_id, self.text)
        return changes

    def _undo(self) -> ChangeSet:
        assert self.note_id is not None
        return store.remove_note(self._case, self.note_id)


class RemoveNoteCommand(_Command):
    def __init__(self, case: Case, note_id: int, item_id: int, text: str,
                 on_change: ChangeHandler, on_error: ErrorHandler) -> None:
        super().__init__(case, "Remove note", on_change, on_error)
        self.note_id = note_id
        self.item_id = item_id
        self.text = text

    def _do(self) -> ChangeSet:
        return store.remove_note(self._case, self.note_id)

    def _undo(self) -> ChangeSet:
        # The note comes back as a new note (a new id); the log shows the removal and return.
        self.note_id, changes = store.add_note(self._case, self.item_id, self.text)
        return changes


class ItemDetailCommand(_Command):
    """An analyst-entered page/account, URL or posted time; undo restores the previous value."""

    def __init__(self, case: Case, item_id: int, field_name: str, value: str | None,
                 previous: str | None, on_change: ChangeHandler, on_error: ErrorHandler) -> None:
        label = {"author": "page", "url": "URL", "posted_at": "posted time"}.get(field_name,
                                                                                  field_name)
        super().__init__(case, f"Enter {label}", on_change, on_error)
        self.item_id = item_id
        self.field_name = field_name
        self.value = value
        self.previous = previous

    def _do(self) -> ChangeSet:
        return store.set_item_detail(self._case, self.item_id, self.field_name, self.value)

    def _undo(self) -> ChangeSet:
        return store.set_item_detail(self._case, self.item_id, self.field_name, self.previous)
