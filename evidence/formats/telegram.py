"""Telegram Desktop JSON exports: one chat or channel (``result.json`` with ``messages``) and the
full-account export (``result.json`` with ``chats.list`` and ``left_chats.list``).

Text is either a string or a list of strings and entity objects; it is flattened to plain text
and the non-plain entities (phone, link, text_link, mention, ...) are kept in
``extra["entities"]``. ``date`` carries no zone (it is the exporting computer's local time), so
``posted_at_utc`` comes from ``date_unixtime`` and ``date`` is kept as ``posted_at_original``.
Media placeholders such as "(File not included. Change data exporting settings to download.)"
become a ``MediaRef`` with ``missing_reason`` set.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evidence.formats.records import (
    FormatError,
    MediaRef,
    ParseError,
    PostRecord,
    iso_utc_from_epoch,
    load_json_file,
    relative_media,
)

_MEDIA_TYPE_ROLES = {
    "video_file": "video",
    "video_message": "video",
    "animation": "video",
    "voice_message": "voice",
    "audio_file": "voice",
    "sticker": "sticker",
}
_EXTRA_FIELDS = (
    "forwarded_from",
    "saved_from",
    "reply_to_message_id",
    "reply_to_peer_id",
    "via_bot",
    "edited",
    "edited_unixtime",
    "media_type",
    "mime_type",
    "duration_seconds",
    "width",
    "height",
    "sticker_emoji",
    "contact_information",
    "location_information",
    "poll",
    "action",
    "title",
    "members",
    "author",
)


def is_telegram_export(data: Any) -> bool:
    """Whether parsed JSON has the shape of a Telegram Desktop export."""
    if not isinstance(data, dict):
        return False
    if isinstance(data.get("messages"), list):
        return True
    chats = data.get("chats")
    return isinstance(chats, dict) and isinstance(chats.get("list"), list)


def find_result_json(path: Path) -> Path:
    """The ``result.json`` for ``path`` (the file itself or the export folder)."""
    if path.is_dir():
        candidate = path / "result.json"
        if not candidate.is_file():
            raise FormatError(f"{path.name} has no result.json, so it is not a Telegram export.")
        return candidate
    return path


def parse_telegram(path: str | Path) -> Iterator[PostRecord | ParseError]:
    """Read a Telegram Desktop JSON export (``result.json`` or its folder)."""
    result = find_result_json(Path(path))
    root = result.parent
    data = load_json_file(result)
    if not is_telegram_export(data):
        raise FormatError(
            f"{result.name} is JSON but not a Telegram Desktop export (no messages or chats list)."
        )
    name = result.name
    if isinstance(data.get("messages"), list):
        yield from _chat_messages(data, name, f"{name}#", root)
        return
    for section in ("chats", "left_chats"):
        block = data.get(section)
        chats = block.get("list") if isinstance(block, dict) else None
        if not isinstance(chats, list):
            continue
        for pos, chat in enumerate(chats):
            ref = f"{name}#{section}/{pos}"
            if not isinstance(chat, dict) or not isinstance(chat.get("messages", []), list):
                yield ParseError(
                    ref,
                    f"{section}.list[{pos}]",
                    "The chat entry is not an object with a messages list.",
                )
                continue
            chat_id = chat.get("id", pos)
            yield from _chat_messages(chat, name, f"{name}#chat/{chat_id}/", root)


def _chat_messages(
    chat: dict[str, Any], file_name: str, prefix: str, root: Path
) -> Iterator[PostRecord | ParseError]:
    chat_info = {
        "chat_name": chat.get("name"),
        "chat_type": chat.get("type"),
        "chat_id": chat.get("id"),
    }
    for pos, message in enumerate(chat.get("messages") or []):
        if not isinstance(message, dict) or "id" not in message:
            yield ParseError(
                f"{prefix}messages/{pos}",
                f"messages[{pos}]",
                "The message is not an object with an id.",
            )
            continue
        try:
            yield _message(message, f"{prefix}message/{message['id']}", root, chat_info)
        except (TypeError, ValueError, AttributeError) as exc:
            yield ParseError(
                f"{prefix}message/{message.get('id')}",
                f"messages[{pos}]",
                f"The message could not be read ({exc}).",
            )


def _message(msg: dict[str, Any], ref: str, root: Path, chat_info: dict[str, Any]) -> PostRecord:
    kind = "service" if msg.get("type") == "service" else "message"
    text, entities = flatten_text(msg.get("text", ""))
    author = msg.get("from") if kind == "message" else msg.get("actor")
    author_id = msg.get("from_id") if kind == "message" else msg.get("actor_id")
    if kind == "service" and not text and msg.get("action"):
        text = str(msg["action"]).replace("_", " ")
    extra: dict[str, Any] = {k: msg[k] for k in _EXTRA_FIELDS if k in msg}
    extra.update({k: v for k, v in chat_info.items() if v is not None})
    if entities:
        extra["entities"] = entities
    return PostRecord(
        source_ref=ref,
        kind=kind,
        author=_opt_str(author),
        author_id=_opt_str(author_id),
        url=None,
        posted_at_utc=iso_utc_from_epoch(msg.get("date_unixtime")),
        posted_at_original=_opt_str(msg.get("date")),
        text=text,
        media=list(_media(msg, root)),
        raw=msg,
        extra=extra,
    )


def flatten_text(value: Any) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's text (a string, or a list of strings and entity objects) as plain text."""
    if isinstance(value, str):
        return value, []
    if not isinstance(value, list):
        return ("" if value is None else str(value)), []
    pieces: list[str] = []
    entities: list[dict[str, Any]] = []
    for part in value:
        if isinstance(part, str):
            pieces.append(part)
        elif isinstance(part, dict):
            piece = str(part.get("text", ""))
            pieces.append(piece)
            if part.get("type") not in (None, "plain"):
                entity = {"type": part.get("type"), "text": piece}
                for key in ("href", "user_id", "language"):
                    if key in part:
                        entity[key] = part[key]
                entities.append(entity)
    return "".join(pieces), entities


def _media(msg: dict[str, Any], root: Path) -> Iterator[MediaRef]:
    if "photo" in msg:
        yield _ref(msg["photo"], "photo", None, root)
    if "file" in msg:
        role = _MEDIA_TYPE_ROLES.get(str(msg.get("media_type")), "file")
        yield _ref(msg["file"], role, msg.get("file_name"), root)
    if "thumbnail" in msg:
        ref = _ref(msg["thumbnail"], "photo", None, root)
        ref.is_thumbnail = True
        yield ref


def _ref(value: Any, role: str, file_name: Any, root: Path) -> MediaRef:
    text = "" if value is None else str(value)
    if is_placeholder(text):
        return MediaRef(None, role, _opt_str(file_name), text.strip("() "))
    rel, missing = relative_media(root, text)
    original = _opt_str(file_name) or rel.rsplit("/", 1)[-1]
    return MediaRef(rel, role, original, missing)


def is_placeholder(text: str) -> bool:
    """Whether a media field holds Telegram's "(File not included...)" style placeholder."""
    stripped = text.strip()
    return stripped.startswith("(") and stripped.endswith(")") and "file" in stripped.lower()


def _opt_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
