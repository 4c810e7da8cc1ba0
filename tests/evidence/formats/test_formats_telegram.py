"""Tests for the Telegram Desktop JSON parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence.formats import FormatError, ParseError, PostRecord, detect, parse

PLACEHOLDER = "(File not included. Change data exporting settings to download.)"


def _chat(phone: str) -> dict:
    return {
        "name": "Sea Star Travel (fictional)",
        "type": "public_channel",
        "id": 1000001,
        "messages": [
            {
                "id": 11,
                "type": "message",
                "date": "2026-03-02T13:15:00",
                "date_unixtime": "1772446500",
                "from": "Sea Star Travel (fictional)",
                "from_id": "channel1000001",
                "text": ["Boat every Friday, call ", {"type": "phone", "text": phone}, " now"],
                "text_entities": [],
                "photo": "photos/photo_1@02-03-2026_13-15-00.jpg",
                "width": 32,
                "height": 24,
            },
            {
                "id": 12,
                "type": "message",
                "date": "2026-03-02T13:20:00",
                "date_unixtime": "1772446800",
                "from": "Blue Wave Tours (fictional)",
                "from_id": "user2000002",
                "forwarded_from": "Blue Wave Tours (fictional)",
                "reply_to_message_id": 11,
                "file": PLACEHOLDER,
                "thumbnail": PLACEHOLDER,
                "media_type": "video_file",
                "mime_type": "video/mp4",
                "text": "see video",
            },
            {
                "id": 13,
                "type": "message",
                "date": "2026-03-02T13:25:00",
                "date_unixtime": "1772447100",
                "from": "Sea Star Travel (fictional)",
                "from_id": "channel1000001",
                "file": "voice_messages/audio_1@02-03-2026_13-25-00.ogg",
                "media_type": "voice_message",
                "text": "",
            },
            {
                "id": 14,
                "type": "service",
                "date": "2026-03-02T13:30:00",
                "date_unixtime": "1772447400",
                "actor": "Sea Star Travel (fictional)",
                "actor_id": "channel1000001",
                "action": "pin_message",
                "message_id": 11,
                "text": "",
            },
            "not a message",
        ],
    }


def test_single_chat_export(tmp_path: Path, phone: str, write_json, write_image):
    root = tmp_path / "ChatExport_2026-03-02"
    write_json(root / "result.json", _chat(phone))
    write_image(root / "photos" / "photo_1@02-03-2026_13-15-00.jpg")
    assert detect(root) == "telegram"
    assert detect(root / "result.json") == "telegram"
    items = list(parse(root))
    records = [i for i in items if isinstance(i, PostRecord)]
    errors = [i for i in items if isinstance(i, ParseError)]
    assert len(records) == 4 and len(errors) == 1
    first, second, third, service = records

    assert first.source_ref == "result.json#message/11"
    assert first.text == f"Boat every Friday, call {phone} now"
    assert first.extra["entities"] == [{"type": "phone", "text": phone}]
    assert first.posted_at_utc == "2026-03-02T10:15:00Z"
    assert first.posted_at_original == "2026-03-02T13:15:00"
    assert first.author == "Sea Star Travel (fictional)" and first.author_id == "channel1000001"
    assert first.kind == "message" and first.extra["chat_name"] == "Sea Star Travel (fictional)"
    (photo,) = first.media
    assert photo.role == "photo" and photo.missing_reason is None
    assert photo.path_in_source == "photos/photo_1@02-03-2026_13-15-00.jpg"

    assert second.extra["forwarded_from"] == "Blue Wave Tours (fictional)"
    assert second.extra["reply_to_message_id"] == 11
    video, thumb = second.media
    assert video.role == "video" and video.path_in_source is None
    assert video.missing_reason.startswith("File not included")
    assert thumb.is_thumbnail and thumb.missing_reason

    (voice,) = third.media
    assert voice.role == "voice"
    assert voice.missing_reason == "The export lists this file but it is not in the export folder."

    assert service.kind == "service" and service.author == "Sea Star Travel (fictional)"
    assert service.text == "pin message" and service.extra["action"] == "pin_message"
    assert errors[0].source_ref == "result.json#messages/4"
    assert first.raw["id"] == 11


def test_full_account_export(tmp_path: Path, phone: str, write_json, write_image):
    chat = _chat(phone)
    chat["messages"] = chat["messages"][:1]
    chat["messages"][0]["photo"] = "chats/chat_001/photos/photo_1.jpg"
    other = {
        "name": "Harbour Lines (fictional)",
        "type": "private_group",
        "id": 42,
        "messages": [
            {
                "id": 1,
                "type": "message",
                "date": "2026-03-01T08:00:00",
                "date_unixtime": "1772352000",
                "from": "Harbour Lines (fictional)",
                "from_id": "user42",
                "text": "hello",
            }
        ],
    }
    data = {
        "about": "Here is the data you requested.",
        "personal_information": {"first_name": "Analyst"},
        "chats": {"about": "This page lists all chats.", "list": [chat, other]},
        "left_chats": {"about": "left", "list": []},
    }
    write_json(tmp_path / "DataExport" / "result.json", data)
    write_image(tmp_path / "DataExport" / "chats" / "chat_001" / "photos" / "photo_1.jpg")
    records = list(parse(tmp_path / "DataExport", "telegram"))
    assert [r.source_ref for r in records] == [
        "result.json#chat/1000001/message/11",
        "result.json#chat/42/message/1",
    ]
    assert records[0].media[0].missing_reason is None
    assert records[1].extra["chat_type"] == "private_group"


def test_malformed_json_names_line(tmp_path: Path):
    path = tmp_path / "result.json"
    path.write_text('{\n "name": "x",\n "messages": [\n  {"id": 1,,}\n ]\n}', encoding="utf-8")
    with pytest.raises(FormatError, match=r"result\.json is not valid JSON: .* at line 4, column"):
        list(parse(path, "telegram"))


def test_telegram_html_export_refused_with_advice(tmp_path: Path):
    root = tmp_path / "ChatExport_2026-03-02"
    root.mkdir()
    (root / "messages.html").write_text("<!DOCTYPE html><html></html>", encoding="utf-8")
    with pytest.raises(FormatError, match="Machine-readable JSON"):
        detect(root)
    with pytest.raises(FormatError, match="Machine-readable JSON"):
        detect(root / "messages.html")
