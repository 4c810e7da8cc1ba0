"""Features kept on disk: an area described once is read back by another cache given the same
folder (another worker, a later run) with the very same verification; a damaged or missing
file is described again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis import features
from synthetic.photos import render_scene


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("feat")
    photo = render_scene("harbour", 5, (1000, 700))
    photo.save(folder / "a.jpg", quality=90)
    photo.crop((100, 50, 900, 650)).save(folder / "b.jpg", quality=75)
    return folder / "a.jpg", folder / "b.jpg"


def test_saved_features_load_back_identical(pair, tmp_path: Path) -> None:
    first = features.FeatureCache(folder=tmp_path / "f")
    shown = first.features(pair[0], None)
    mirrored = first.features(pair[0], None, mirrored=True)
    assert first.described == 1
    back = features.load_features(first.file_for(str(pair[0]), None))
    assert back is not None
    for original, loaded in zip((shown, mirrored), back, strict=True):
        assert np.array_equal(original.points, loaded.points)
        assert np.array_equal(original.descriptors, loaded.descriptors)
        assert original.size == loaded.size
        assert np.array_equal(original.thumb, loaded.thumb)


def test_a_second_cache_reads_instead_of_describing(pair, tmp_path: Path) -> None:
    folder = tmp_path / "f"
    fresh = features.verify_features(features.FeatureCache(), pair[0], None, pair[1], None)
    writer = features.FeatureCache(folder=folder)
    features.verify_features(writer, pair[0], None, pair[1], None)
    assert writer.described == 2
    reader = features.FeatureCache(folder=folder)
    again = features.verify_features(reader, pair[0], None, pair[1], None)
    assert reader.described == 0
    assert again.confirmed and fresh.confirmed
    assert (again.inliers, again.correlation, again.coverage) == \
        (fresh.inliers, fresh.correlation, fresh.coverage)
    # Another box of the same image is another area.
    reader.features(pair[0], (0, 0, 500, 400))
    assert reader.described == 1


def test_a_damaged_file_is_described_again(pair, tmp_path: Path) -> None:
    folder = tmp_path / "f"
    features.FeatureCache(folder=folder).features(pair[0], None)
    file = features.FeatureCache(folder=folder).file_for(str(pair[0]), None)
    file.write_bytes(b"not an npz")
    assert features.load_features(file) is None
    assert features.load_features(tmp_path / "missing.npz") is None
    cache = features.FeatureCache(folder=folder)
    assert len(cache.features(pair[0], None).points) > 100
    assert cache.described == 1 and features.load_features(file) is not None


def test_stored_features_are_compact(pair, tmp_path: Path) -> None:
    cache = features.FeatureCache(folder=tmp_path / "f")
    shown = cache.features(pair[0], None)
    file = cache.file_for(str(pair[0]), None)
    with np.load(file) as z:
        assert z["shown_points"].dtype == np.uint16 and z["thumb"].dtype == np.uint8
        assert "mirrored_thumb" not in z.files
    n = len(shown.points)
    # Descriptors twice (32 bytes a keypoint), points twice in 2 x uint16, one uint8 thumbnail,
    # and the zip's headers: under what the thumbnail alone took in float32, twice.
    payload = 2 * n * (32 + 4) + shown.thumb.size
    assert file.stat().st_size < payload + 2048
    assert file.stat().st_size < 2 * n * (32 + 8) + 2 * 4 * shown.thumb.size
    # The mirror's thumbnail is the flip of the shown one, as when freshly described.
    mirrored = features.load_features(file)[1]
    assert np.array_equal(mirrored.thumb, shown.thumb[:, ::-1])


def test_bound_folder_drops_least_recently_used(pair, tmp_path: Path) -> None:
    import os

    folder = tmp_path / "f"
    cache = features.FeatureCache(folder=folder)
    boxes = [(0, 0, 600, 500), (100, 100, 900, 600), (300, 50, 1000, 700)]
    files = []
    for k, box in enumerate(boxes):
        cache.features(pair[0], box)
        files.append(cache.file_for(str(pair[0]), box))
        os.utime(files[-1], (1_000_000 + k, 1_000_000 + k))
    # Reading the oldest marks it used: the second oldest goes first.
    assert features.load_features(files[0]) is not None
    sizes = [f.stat().st_size for f in files]
    bound = features.bound_folder(folder, sizes[0] + sizes[2])
    assert (bound.files, bound.removed) == (3, 1) and bound.bytes == sum(sizes)
    assert [f.exists() for f in files] == [True, False, True]
    # An evicted area is described again when asked for, and kept again.
    again = features.FeatureCache(folder=folder)
    again.features(pair[0], boxes[1])
    assert again.described == 1 and files[1].exists()
    assert features.bound_folder(folder, 0).removed == 3
    assert not list(folder.glob("*/*.npz"))
    with pytest.raises(ValueError, match="zero or more bytes"):
        features.bound_folder(folder, -1)
