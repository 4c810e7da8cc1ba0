"""Tests for evidence.imagecheck: readable formats, EXIF facts and every kind of bad image."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from evidence.imagecheck import MAX_PIXELS, heif_supported, inspect_image


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Fictional Optics"
    exif[ExifTags.Base.Model] = "FO-1"
    exif[ExifTags.Base.Orientation] = 6
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = "2026:03:02 10:15:00"
    sub[ExifTags.Base.OffsetTimeOriginal] = "+03:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (35.0, 30.0, 36.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (5.0, 15.0, 0.0)
    return exif


@pytest.fixture
def photo() -> Image.Image:
    return Image.effect_noise((320, 240), 40).convert("RGB")


@pytest.mark.parametrize(
    ("suffix", "fmt", "mime"),
    [
        (".jpg", "JPEG", "image/jpeg"),
        (".png", "PNG", "image/png"),
        (".webp", "WEBP", "image/webp"),
        (".bmp", "BMP", "image/bmp"),
        (".tif", "TIFF", "image/tiff"),
    ],
)
def test_readable_formats(tmp_path: Path, photo: Image.Image, suffix: str, fmt: str, mime: str):
    path = tmp_path / f"boat{suffix}"
    photo.save(path)
    info = inspect_image(path)
    assert info.readable, info.reason
    assert (info.format, info.mime, info.width, info.height, info.frames) == (
        fmt,
        mime,
        320,
        240,
        1,
    )


def test_jpeg_exif_facts_are_plain(tmp_path: Path, photo: Image.Image):
    path = tmp_path / "IMG_20260302_101500.jpg"
    photo.save(path, exif=_exif())
    info = inspect_image(path)
    assert info.readable
    assert info.exif["Make"] == "Fictional Optics"
    assert info.exif["Model"] == "FO-1"
    assert info.exif["Orientation"] == 6
    assert info.exif["DateTimeOriginal"] == "2026:03:02 10:15:00"
    assert info.exif["OffsetTimeOriginal"] == "+03:00"
    assert info.exif["GPSLatitude"] == pytest.approx(35.51)
    assert info.exif["GPSLongitude"] == pytest.approx(-5.25)
    assert all(isinstance(v, str | int | float) for v in info.exif.values())


def test_animated_gif_counts_frames(tmp_path: Path):
    frames = [Image.new("RGB", (40, 30), color) for color in ("red", "green", "blue")]
    path = tmp_path / "wave.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    info = inspect_image(path)
    assert info.readable and info.format == "GIF" and info.frames == 3


@pytest.mark.skipif(not heif_supported(), reason="pillow-heif is not installed")
def test_heic_is_read(tmp_path: Path, photo: Image.Image):
    path = tmp_path / "IMG_0001.HEIC"
    photo.save(path, format="HEIF", exif=_exif())
    info = inspect_image(path)
    assert info.readable, info.reason
    assert info.format == "HEIF" and info.mime == "image/heic"
    assert info.exif["Model"] == "FO-1"


def test_truncated_jpeg_is_rejected(tmp_path: Path, photo: Image.Image):
    whole = tmp_path / "whole.jpg"
    photo.save(whole, quality=92)
    data = whole.read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: len(data) * 2 // 3])
    info = inspect_image(cut)
    assert not info.readable
    assert info.reason and "truncated" in info.reason
    assert info.format == "JPEG" and info.width == 320


def test_jpeg_missing_only_its_end_marker_is_rejected(tmp_path: Path, photo: Image.Image):
    whole = tmp_path / "whole.jpg"
    photo.save(whole)
    cut = tmp_path / "no_eoi.jpg"
    cut.write_bytes(whole.read_bytes()[:-2])
    assert not inspect_image(cut).readable


def test_corrupt_png_is_rejected(tmp_path: Path, photo: Image.Image):
    path = tmp_path / "broken.png"
    photo.save(path)
    data = bytearray(path.read_bytes())
    idat = data.index(b"IDAT")
    for pos in range(idat + 40, idat + 240):
        data[pos] ^= 0x5A
    path.write_bytes(bytes(data))
    info = inspect_image(path)
    assert not info.readable
    assert info.reason and info.reason.endswith(".")


def test_truncated_png_is_rejected(tmp_path: Path, photo: Image.Image):
    path = tmp_path / "cut.png"
    photo.save(path)
    path.write_bytes(path.read_bytes()[:5000])
    info = inspect_image(path)
    assert not info.readable and "truncated or corrupt" in (info.reason or "")


def test_text_file_named_jpg(tmp_path: Path):
    path = tmp_path / "advert.jpg"
    path.write_text("Sea Star Travel (fictional): crossings every week\n", encoding="utf-8")
    info = inspect_image(path)
    assert not info.readable
    assert info.reason == "The file contains text, not an image, despite its name."


def test_html_named_png(tmp_path: Path):
    path = tmp_path / "page.png"
    path.write_text("<!DOCTYPE html><html><body>login</body></html>", encoding="utf-8")
    assert "HTML" in (inspect_image(path).reason or "")


def test_zero_byte_file(tmp_path: Path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    info = inspect_image(path)
    assert not info.readable and info.reason == "The file is empty (zero bytes)."


def test_missing_file_does_not_raise(tmp_path: Path):
    info = inspect_image(tmp_path / "nope.png")
    assert not info.readable and info.reason and "cannot be opened" in info.reason


def _png_claiming(tmp_path: Path, width: int, height: int) -> Path:
    """A real 1x1 PNG whose IHDR is patched (CRC fixed) to claim ``width`` x ``height``."""
    path = tmp_path / f"claim_{width}x{height}.png"
    Image.new("1", (1, 1)).save(path)
    data = bytearray(path.read_bytes())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 17]))
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))
    return path


def test_decompression_bomb_rejected_before_decoding(tmp_path: Path):
    info = inspect_image(_png_claiming(tmp_path, 50_000, 50_000))
    assert not info.readable
    assert info.reason and "pixels" in info.reason


def test_pillow_bomb_warning_is_a_refusal(tmp_path: Path):
    # 90 MP: above Pillow's warning threshold, below its hard error and below our own cap.
    path = _png_claiming(tmp_path, 10_000, 9_000)
    assert 10_000 * 9_000 < MAX_PIXELS
    info = inspect_image(path)
    assert not info.readable and "pixels" in (info.reason or "")


def test_own_pixel_cap_reports_size(tmp_path: Path, photo: Image.Image):
    path = tmp_path / "big.png"
    photo.save(path)
    info = inspect_image(path, max_pixels=10_000)
    assert not info.readable
    assert info.reason and "320 x 240" in info.reason and info.width == 320


@pytest.mark.parametrize("name", ["قارب_رحلة.png", "boat\u202egnp.exe.png", "cafe\u0301.png"])
def test_unusual_file_names_are_read(tmp_path: Path, photo: Image.Image, name: str):
    path = tmp_path / name
    photo.save(path, format="PNG")
    assert inspect_image(path).readable


def _chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    out, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        out.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return out


def _rebuild(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"".join(_chunk(t, d) for t, d in chunks)


def test_png_exif_after_the_pixels_is_read(tmp_path: Path, photo: Image.Image):
    path = tmp_path / "late_exif.png"
    photo.save(path)
    exif = _exif().tobytes()[6:]  # eXIf holds the TIFF data without the "Exif\0\0" prefix
    chunks = _chunks(path.read_bytes())
    chunks.insert(len(chunks) - 1, (b"eXIf", exif))  # after IDAT, before IEND
    path.write_bytes(_rebuild(chunks))
    info = inspect_image(path)
    assert info.readable, info.reason
    assert info.exif["Model"] == "FO-1" and info.exif["GPSLongitude"] == pytest.approx(-5.25)


def test_png_exif_before_the_pixels_is_read(tmp_path: Path, photo: Image.Image):
    path = tmp_path / "early_exif.png"
    photo.save(path, exif=_exif())
    assert inspect_image(path).exif["Make"] == "Fictional Optics"


def test_png_without_iend_is_rejected(tmp_path: Path, photo: Image.Image):
    path = tmp_path / "no_iend.png"
    photo.save(path)
    path.write_bytes(path.read_bytes()[:-12])
    info = inspect_image(path)
    assert not info.readable and "IEND" in (info.reason or "")


def test_png_with_broken_deflate_under_good_crcs_passes_the_structure_check(tmp_path: Path):
    # Import checks structure only; the analysis stage's full decode catches this file
    # (tests/evidence/test_importer.py::test_image_broken_below_the_import_checks...).
    path = tmp_path / "inflate_fails.png"
    _png_with_cut_deflate(path)
    assert inspect_image(path).readable
    with Image.open(path) as im, pytest.raises(OSError):
        im.load()


def _png_with_cut_deflate(path: Path) -> None:
    Image.effect_noise((160, 120), 40).convert("RGB").save(path)
    chunks = _chunks(path.read_bytes())
    idat = b"".join(d for t, d in chunks if t == b"IDAT")
    head = [(t, d) for t, d in chunks if t not in (b"IDAT", b"IEND")]
    path.write_bytes(_rebuild([*head, (b"IDAT", idat[: len(idat) // 2]), (b"IEND", b"")]))


def test_bomb_refusal_does_not_rely_on_the_warnings_filter(tmp_path: Path, photo: Image.Image):
    import warnings
    from concurrent.futures import ThreadPoolExecutor

    bomb = _png_claiming(tmp_path, 10_000, 9_000)  # Pillow only warns about this one
    good = tmp_path / "good.png"
    photo.save(good)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(inspect_image, [bomb, good] * 8))
    assert [r.readable for r in results] == [False, True] * 8
    assert all("pixels" in (r.reason or "") for r in results[::2])
