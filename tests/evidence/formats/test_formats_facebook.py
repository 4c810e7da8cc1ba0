"""Tests for the Facebook "Download Your Information" JSON parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence.formats import FormatError, PostRecord, detect, fix_mojibake, parse


def _mojibake(text: str) -> str:
    """Text as Facebook writes it: UTF-8 bytes shown as Latin-1 characters."""
    return text.encode("utf-8").decode("latin-1")


ARABIC = "رحلات بحرية كل أسبوع"
FRENCH = "Départ immédiat, réservez"


def _posts(media_uri: str, phone: str) -> list[dict]:
    return [
        {
            "timestamp": 1772446500,
            "title": _mojibake("Sea Star Travel (fictional) a publié une photo."),
            "data": [{"post": _mojibake(f"{ARABIC} {phone}")}, {"update_timestamp": 1772446600}],
            "attachments": [
                {
                    "data": [
                        {
                            "media": {
                                "uri": media_uri,
                                "creation_timestamp": 1772446400,
                                "title": "",
                                "description": _mojibake(FRENCH),
                            }
                        }
                    ]
                },
                {"data": [{"external_context": {"url": "https://example.org/fictional-offer"}}]},
            ],
        },
        {"timestamp": 1772450000, "data": [{"post": _mojibake(FRENCH)}]},
        {
            "timestamp": 1772460000,
            "attachments": [
                {
                    "data": [
                        {
                            "media": {
                                "uri": "photos_and_videos/gone.jpg",
                                "description": _mojibake(FRENCH),
                            }
                        }
                    ]
                }
            ],
        },
    ]


def test_fix_mojibake_only_when_it_round_trips():
    assert fix_mojibake(_mojibake(ARABIC)) == ARABIC
    assert fix_mojibake(_mojibake("é")) == "é"
    assert fix_mojibake("café") == "café"  # already right: é alone is not valid UTF-8
    assert fix_mojibake(ARABIC) == ARABIC
    assert fix_mojibake("plain") == "plain"


def test_older_layout(tmp_path: Path, phone: str, write_json, write_image):
    root = tmp_path / "facebook-seastar"
    uri = "photos_and_videos/TimelinePhotos_abc/boat_1.jpg"
    write_image(root / uri)
    write_json(root / "posts" / "your_posts_1.json", _posts(uri, phone))
    write_json(
        root / "profile_information" / "profile_information.json",
        {"profile_v2": {"name": {"full_name": _mojibake("Sea Star Trävel (fictional)")}}},
    )
    assert detect(root) == "facebook"
    assert detect(root / "posts" / "your_posts_1.json") == "facebook"
    records = list(parse(root))
    assert all(isinstance(r, PostRecord) for r in records)
    first, second, third = records
    assert first.source_ref == "posts/your_posts_1.json#0"
    assert first.text == f"{ARABIC} {phone}"
    assert first.author == "Sea Star Trävel (fictional)"
    assert first.posted_at_utc == "2026-03-02T10:15:00Z"
    assert first.extra["links"] == ["https://example.org/fictional-offer"]
    assert first.extra["title"] == "Sea Star Travel (fictional) a publié une photo."
    (media,) = first.media
    assert media.path_in_source == uri and media.missing_reason is None
    assert media.role == "photo" and media.original_name == "boat_1.jpg"
    assert first.raw["data"][0]["post"] == _mojibake(f"{ARABIC} {phone}")  # raw kept as exported
    assert second.text == FRENCH
    assert third.text == FRENCH  # the caption on the media when the post has no text
    assert third.media[0].missing_reason


def test_newer_layout(tmp_path: Path, phone: str, write_json, write_image):
    root = tmp_path / "facebook-export-2026"
    uri = "your_facebook_activity/posts/media/Mobileuploads_1/boat_2.jpg"
    write_image(root / uri)
    posts = root / "your_facebook_activity" / "posts"
    write_json(posts / "your_posts__check_ins__photos_and_videos_1.json", _posts(uri, phone))
    assert detect(root) == "facebook"
    records = list(parse(root))
    assert len(records) == 3
    assert records[0].source_ref == (
        "your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json#0"
    )
    assert records[0].media[0].missing_reason is None
    # A posts file given on its own resolves media against the same export root.
    single = list(parse(posts / "your_posts__check_ins__photos_and_videos_1.json", "facebook"))
    assert single[0].media[0].path_in_source == uri
    assert single[0].media[0].missing_reason is None


def test_facebook_html_export_refused(tmp_path: Path):
    (tmp_path / "fb" / "posts").mkdir(parents=True)
    (tmp_path / "fb" / "posts" / "your_posts_1.html").write_text("<html></html>", encoding="utf-8")
    with pytest.raises(FormatError, match="format set to JSON"):
        detect(tmp_path / "fb")


def test_media_path_escaping_root_is_not_followed(tmp_path: Path, phone: str, write_json):
    root = tmp_path / "fb"
    write_json(root / "posts" / "your_posts_1.json", _posts("../../etc/passwd", phone))
    first = next(iter(parse(root)))
    assert first.media[0].missing_reason == "The export refers to a path outside the export folder."
