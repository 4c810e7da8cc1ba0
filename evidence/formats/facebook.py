"""Facebook "Download Your Information" JSON exports: the posts files.

Two layouts are read: the older ``posts/your_posts_1.json`` and the newer
``your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json``. Each holds a
list of posts with ``timestamp``, ``data[].post`` (the text), ``title`` and
``attachments[].data[]`` entries carrying ``media`` (``uri`` relative to the export root,
``creation_timestamp``, ``title``, ``description``) or ``external_context.url`` (a shared link).

Facebook writes UTF-8 text as if each byte were a Latin-1 character ("Ã©" for "é"); every string
is repaired with ``encode("latin-1").decode("utf-8")`` when that round-trips and left alone when
it does not. ``raw`` keeps the record exactly as exported. Shared links go to
``extra["links"]``; ``url`` stays empty because the export does not give the post's own address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evidence.formats.records import (
    FormatError,
    MediaRef,
    ParseError,
    PostRecord,
    display_name,
    iso_utc_from_epoch,
    load_json_file,
    media_role_for,
    relative_media,
)

_POSTS_GLOBS = (
    "posts/your_posts*.json",
    "your_facebook_activity/posts/your_posts*.json",
)
_PROFILE_FILES = (
    "profile_information/profile_information.json",
    "personal_information/profile_information/profile_information.json",
)
_NUMBER = re.compile(r"(\d+)(?=\.json$)")


def fix_mojibake(text: str) -> str:
    """Undo Facebook's UTF-8-read-as-Latin-1 encoding when the string round-trips."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def repair(value: Any) -> Any:
    """``value`` with every string in it passed through ``fix_mojibake``."""
    if isinstance(value, str):
        return fix_mojibake(value)
    if isinstance(value, list):
        return [repair(v) for v in value]
    if isinstance(value, dict):
        return {fix_mojibake(k): repair(v) for k, v in value.items()}
    return value


def export_root_of(posts_file: Path) -> Path:
    """The export root a posts file's media URIs are relative to."""
    parent = posts_file.parent
    if parent.name == "posts":
        root = parent.parent
        return root.parent if root.name == "your_facebook_activity" else root
    return parent


def find_posts_files(path: Path) -> tuple[Path, list[Path]]:
    """The export root and its posts files, for ``path`` (the root or one posts file)."""
    if path.is_file():
        return export_root_of(path), [path]
    files: list[Path] = []
    for pattern in _POSTS_GLOBS:
        files.extend(p for p in path.glob(pattern) if p.is_file())
    if not files:
        raise FormatError(
            f"{path.name} has no posts/your_posts_1.json or your_facebook_activity/posts/ JSON "
            "file, so it is not a Facebook JSON export."
        )
    return path, sorted(files, key=_file_order)


def _file_order(path: Path) -> tuple[str, int]:
    match = _NUMBER.search(path.name)
    return str(path.parent), int(match.group(1)) if match else 0


def parse_facebook(path: str | Path) -> Iterator[PostRecord | ParseError]:
    """Read the posts of a Facebook JSON export (its root folder or a posts file)."""
    root, files = find_posts_files(Path(path))
    owner = _owner_name(root)
    for posts_file in files:
        yield from _parse_posts_file(posts_file, root, owner)


def _parse_posts_file(
    posts_file: Path, root: Path, owner: str | None
) -> Iterator[PostRecord | ParseError]:
    data = load_json_file(posts_file)
    posts = _posts_list(data)
    name = display_name(posts_file, root)
    if posts is None:
        raise FormatError(f"{posts_file.name} is JSON but not a list of Facebook posts.")
    for pos, post in enumerate(posts):
        ref = f"{name}#{pos}"
        if not isinstance(post, dict):
            yield ParseError(ref, f"item {pos}", "The post is not a JSON object.")
            continue
        try:
            yield _post(post, ref, root, owner)
        except (TypeError, ValueError, AttributeError) as exc:
            yield ParseError(ref, f"item {pos}", f"The post could not be read ({exc}).")


def _posts_list(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        # Some exports wrap the list in one key (e.g. "status_updates_v2").
        for value in data.values():
            if isinstance(value, list) and all(isinstance(v, dict) for v in value[:5]):
                return value
    return None


def _post(post: dict[str, Any], ref: str, root: Path, owner: str | None) -> PostRecord:
    fixed = repair(post)
    texts = [d["post"] for d in fixed.get("data") or [] if isinstance(d, dict) and "post" in d]
    media: list[MediaRef] = []
    links: list[str] = []
    media_notes: list[dict[str, Any]] = []
    places: list[Any] = []
    for attachment in fixed.get("attachments") or []:
        if not isinstance(attachment, dict):
            continue
        for entry in attachment.get("data") or []:
            if not isinstance(entry, dict):
                continue
            if isinstance(entry.get("media"), dict):
                ref_, note = _media(entry["media"], root)
                if ref_ is not None:
                    media.append(ref_)
                    media_notes.append(note)
            context = entry.get("external_context")
            if isinstance(context, dict) and context.get("url"):
                links.append(str(context["url"]))
            if "place" in entry:
                places.append(entry["place"])
    text = "\n".join(str(t) for t in texts if t)
    if not text:
        # Photo posts often carry their caption only on the media item.
        text = "\n".join(
            dict.fromkeys(n["description"] for n in media_notes if n.get("description"))
        )
    extra: dict[str, Any] = {}
    if fixed.get("title"):
        extra["title"] = fixed["title"]
    if links:
        extra["links"] = links
    if places:
        extra["places"] = places
    if any(media_notes):
        extra["media_details"] = media_notes
    if fixed.get("tags"):
        extra["tags"] = fixed["tags"]
    timestamp = post.get("timestamp")
    return PostRecord(
        source_ref=ref,
        kind="post",
        author=owner,
        author_id=None,
        url=None,
        posted_at_utc=iso_utc_from_epoch(timestamp),
        posted_at_original=None if timestamp is None else str(timestamp),
        text=text,
        media=media,
        raw=post,
        extra=extra,
    )


def _media(media: dict[str, Any], root: Path) -> tuple[MediaRef | None, dict[str, Any]]:
    uri = media.get("uri")
    note = {k: media[k] for k in ("title", "description", "creation_timestamp") if media.get(k)}
    if not isinstance(uri, str) or not uri.strip():
        return None, note
    if uri.startswith(("http://", "https://")):
        return MediaRef(
            uri,
            media_role_for(uri, "photo"),
            uri.rsplit("/", 1)[-1],
            "Remote media is not downloaded; only its address is recorded.",
        ), note
    rel, missing = relative_media(root, uri)
    note["uri"] = rel
    return MediaRef(rel, media_role_for(rel, "photo"), rel.rsplit("/", 1)[-1], missing), note


def _owner_name(root: Path) -> str | None:
    for rel in _PROFILE_FILES:
        candidate = root / rel
        if not candidate.is_file():
            continue
        try:
            data = repair(load_json_file(candidate))
        except FormatError:
            return None
        profile = data.get("profile_v2") or data.get("profile") if isinstance(data, dict) else None
        name = profile.get("name") if isinstance(profile, dict) else None
        if isinstance(name, dict):
            name = name.get("full_name")
        return name if isinstance(name, str) and name else None
    return None
