"""Image loading in RGB, HWC uint8, with errors that name the file."""

from __future__ import annotations

import os
import pathlib

import numpy as np

from pkg_shared.errors import DataFormatError, MissingDependencyError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp")


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """HWC uint8 RGB array.

    Pillow decodes (OpenCV only when Pillow is missing): OpenCV's PNG decoder is known to fail
    with "libpng error: bad parameters to zlib" once decord has been imported into the process.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, "image file not found")
    if path.stat().st_size == 0:
        raise DataFormatError(path, "image file is empty")
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if Image is not None:
        try:
            with Image.open(path) as im:
                return np.asarray(im.convert("RGB")).copy()
        except Exception as exc:
            raise DataFormatError(path, f"cannot decode image ({type(exc).__name__}: {exc})") from exc
    try:
        import cv2
    except ImportError as exc:
        raise MissingDependencyError("PIL", "video") from exc
    arr = cv2.imdecode(np.fromfile(str(path), dtype=np.uint8), cv2.IMREAD_COLOR)
    if arr is None:
        raise DataFormatError(path, "cannot decode image (corrupt or unsupported format)")
    return np.ascontiguousarray(arr[:, :, ::-1])


def write_image(path: str | os.PathLike[str], rgb: np.ndarray) -> None:
    """Write an HWC uint8 RGB (or HW gray) array; the format follows the suffix; atomic."""
    path = pathlib.Path(path)
    arr = np.asarray(rgb)
    if arr.dtype != np.uint8:
        raise ValueError("write_image expects uint8 pixels")
    from pkg_shared.fsutil import atomic_write_bytes

    try:
        import io

        from PIL import Image

        fmt = (path.suffix.lstrip(".") or "png").upper().replace("JPG", "JPEG").replace("TIF", "TIFF")
        b = io.BytesIO()
        Image.fromarray(arr).save(b, format=fmt.replace("TIFFF", "TIFF"))
        atomic_write_bytes(path, b.getvalue())
    except ImportError:
        import cv2

        bgr = arr[:, :, ::-1] if arr.ndim == 3 else arr
        ok, buf = cv2.imencode(path.suffix or ".png", np.ascontiguousarray(bgr))
        if not ok:
            raise ValueError(f"cannot encode {path.suffix}") from None
        atomic_write_bytes(path, buf.tobytes())


def list_images(folder: str | os.PathLike[str]) -> list[pathlib.Path]:
    """Image files of a folder (recursive), sorted; an empty or missing folder is an error."""
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise DataFormatError(folder, "image folder not found")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise DataFormatError(folder, f"no image files ({', '.join(IMAGE_SUFFIXES)}) found")
    return files
