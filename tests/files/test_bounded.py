"""The bounded-parsing helper other packages call before and while they read uploads."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from files.bounded import Limits, ParseRefused, check_image, check_zip, parse_bounded


def archive(path: Path, parts: int, size: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for n in range(parts):
            out.writestr(f"part{n}.xml", bytes(range(256)) * (size // 256))
    return path


def test_many_parts_each_harmless_are_refused_by_their_total(tmp_path: Path) -> None:
    path = archive(tmp_path / "many.zip", 12, 100_000)
    check_zip(path, Limits(max_inflated_bytes=2_000_000))
    with pytest.raises(ParseRefused) as caught:
        check_zip(path, Limits(max_inflated_bytes=1_000_000))
    assert caught.value.limit == "max_inflated_bytes"


def test_what_is_not_a_zip_is_left_to_its_parser(tmp_path: Path) -> None:
    (tmp_path / "x.docx").write_bytes(b"not a zip at all")
    check_zip(tmp_path / "x.docx")


async def test_a_parse_needing_too_much_memory_is_refused_and_the_worker_recovers() -> None:
    small = Limits(max_memory_bytes=256 * 1024 * 1024)
    with pytest.raises(ParseRefused) as caught:
        await parse_bounded(bytearray, 512 * 1024 * 1024, limits=small)
    assert caught.value.limit == "max_memory_bytes" and caught.value.status == 422
    assert len(await parse_bounded(bytearray, 1024, limits=small)) == 1024


def test_an_image_with_too_many_pixels_is_refused_from_its_header(tmp_path: Path) -> None:
    image = pytest.importorskip("PIL.Image")  # Pillow arrives with document previews
    path, huge = tmp_path / "wide.png", tmp_path / "huge.png"
    image.new("1", (9_000, 9_000)).save(path)
    check_image(path, Limits(max_pixels=100_000_000))
    with pytest.raises(ParseRefused) as caught:
        check_image(path, Limits(max_pixels=50_000_000))
    assert caught.value.limit == "max_pixels"
    image.new("1", (20_000, 20_000)).save(huge)  # past Pillow's own ceiling, whatever ours is
    with pytest.raises(ParseRefused) as caught:
        check_image(huge, Limits(max_pixels=500_000_000))
    assert caught.value.limit == "max_pixels"
