"""Tests for evidence.capture_time: every file-name pattern, EXIF, and the fallbacks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from evidence.capture_time import capture_time

LOCAL_PATTERNS = [
    ("Screenshot_20260302-101500.png", "2026-03-02T10:15:00"),
    ("Screenshot_2026-03-02-10-15-00-123_com.facebook.katana.jpg", "2026-03-02T10:15:00.123"),
    ("Screenshot 2026-03-02 at 10.15.00.png", "2026-03-02T10:15:00"),
    ("Screenshot 2026-03-02 at 10.15.00\u202fPM.png", "2026-03-02T22:15:00"),
    ("Screenshot 2026-03-02 at 12.15.00 AM.png", "2026-03-02T00:15:00"),
    ("Screenshot 2026-03-02 at 12.15.00\u202fPM (2).png", "2026-03-02T12:15:00"),
    ("Screenshot from 2026-03-02 10-15-00.png", "2026-03-02T10:15:00"),
    ("Screen Shot 2026-03-02 at 10.15.00 AM.png", "2026-03-02T10:15:00"),
    ("Screen Shot 2026-03-02 at 1.05.09 PM.png", "2026-03-02T13:05:09"),
    ("IMG_20260302_101500.jpg", "2026-03-02T10:15:00"),
    ("WhatsApp Image 2026-03-02 at 10.15.00.jpeg", "2026-03-02T10:15:00"),
    ("WhatsApp Image 2026-03-02 at 10.15.00 PM (1).jpeg", "2026-03-02T22:15:00"),
    ("photo_2026-03-02_10-15-00.jpg", "2026-03-02T10:15:00"),
    ("Screenshot 2026-03-02 101500.png", "2026-03-02T10:15:00"),
    ("export/chats/photos/Screenshot_20260302-101500.png", "2026-03-02T10:15:00"),
]


@pytest.mark.parametrize(("name", "expected"), LOCAL_PATTERNS)
def test_filename_patterns_give_naive_local_time(name: str, expected: str):
    found = capture_time(name, {}, 1_700_000_000.0)
    assert found.source == "filename"
    assert found.when_local == expected
    assert found.when_utc is None and not found.zone_known
    assert "zone unknown" in found.original
    assert found.when == expected


def test_pixel_names_are_utc():
    found = capture_time("PXL_20260302_101500123.jpg", {}, None)
    assert found.source == "filename"
    assert found.when_utc == "2026-03-02T10:15:00.123Z"
    assert found.when_local is None


def test_exif_with_offset_gives_utc():
    exif = {"DateTimeOriginal": "2026:03:02 10:15:00", "OffsetTimeOriginal": "+03:00"}
    found = capture_time("Screenshot_20260101-000000.png", exif, None)
    assert (found.source, found.when_utc) == ("exif", "2026-03-02T07:15:00Z")


def test_exif_without_offset_stays_local():
    found = capture_time("x.jpg", {"DateTimeOriginal": "2026:03:02 10:15:00"}, None)
    assert found.source == "exif"
    assert found.when_local == "2026-03-02T10:15:00" and found.when_utc is None


def test_placeholder_exif_falls_through_to_filename():
    found = capture_time(
        "IMG_20260302_101500.jpg", {"DateTimeOriginal": "0000:00:00 00:00:00"}, None
    )
    assert found.source == "filename"


def test_impossible_date_in_name_falls_back_to_file_time():
    mtime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp()
    found = capture_time("Screenshot_20261340-101500.png", {}, mtime)
    assert found.source == "file_time"
    assert found.when_utc == "2026-03-02T09:00:00Z"


def test_nothing_found():
    found = capture_time("boat.png", {}, None)
    assert found.when is None and found.source is None


def test_facebook_app_download_name_is_epoch_milliseconds_utc():
    found = capture_time("FB_IMG_1772444042000.jpg", {}, 1.0)
    assert found.source == "filename" and found.zone_known
    assert found.when_utc == "2026-03-02T09:34:02Z"
