"""Time as the case records it: UTC, ISO 8601, second precision with a Z."""

from datetime import UTC, datetime


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
