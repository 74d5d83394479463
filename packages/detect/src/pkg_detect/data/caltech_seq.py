"""Norpix ``.seq`` video files as used by the Caltech Pedestrian dataset (no MATLAB needed).

Layout (as read by Dollar's ``seqIo``): a 1,024-byte header, little-endian --
  0   uint32  magic 0xFEED
  4   10 x uint16  "Norpix seq" (UTF-16), 4 more bytes
  28  int32   version (3)          32 uint32 header size (1024)
  36  256 x uint16 description
  548 9 x uint32: width, height, bit depth, real bit depth, image size bytes, image format
      (102/201 = JPEG, 001/002 = PNG, 100/200 = raw), number of frames, 0, true image size
  584 float64 fps
then, for compressed formats, one record per frame: uint32 n (record size including these 4
bytes), the n - 4 image bytes, and an 8-byte timestamp (uint32 s, uint16 ms, uint16 us).
Reading walks the records; if a file does not walk cleanly we fall back to splitting on JPEG
start/end-of-image markers.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import struct

import numpy as np

from pkg_shared.errors import DataFormatError
from pkg_shared.fsutil import atomic_open

MAGIC = 0xFEED
HEADER_SIZE = 1024
JPEG_FORMATS = (102, 201)
PNG_FORMATS = (1, 2)


@dataclasses.dataclass(frozen=True)
class SeqHeader:
    width: int
    height: int
    bit_depth: int
    bit_depth_real: int
    image_size_bytes: int
    image_format: int
    num_frames: int
    true_image_size: int
    fps: float
    version: int = 3
    description: str = ""


def read_header(path: str | os.PathLike[str]) -> SeqHeader:
    path = pathlib.Path(path)
    if not path.is_file():
        raise DataFormatError(path, ".seq file not found")
    with open(path, "rb") as fh:
        raw = fh.read(HEADER_SIZE)
    if len(raw) < HEADER_SIZE:
        raise DataFormatError(path, f"truncated .seq header ({len(raw)} of {HEADER_SIZE} bytes)")
    (magic,) = struct.unpack_from("<I", raw, 0)
    if magic != MAGIC:
        raise DataFormatError(path, f"not a Norpix .seq file (magic 0x{magic:X}, expected 0xFEED)")
    name = raw[4:24].decode("utf-16-le", errors="replace")
    if name != "Norpix seq":
        raise DataFormatError(path, f"not a Norpix .seq file (name {name!r})")
    version, hsize = struct.unpack_from("<iI", raw, 28)
    descr = raw[36:548].decode("utf-16-le", errors="replace").split("\x00")[0]
    info = struct.unpack_from("<9I", raw, 548)
    (fps,) = struct.unpack_from("<d", raw, 584)
    if hsize != HEADER_SIZE:
        raise DataFormatError(path, f"unexpected header size {hsize}")
    return SeqHeader(info[0], info[1], info[2], info[3], info[4], info[5], info[6], info[8], fps, version, descr)


def _header_bytes(h: SeqHeader) -> bytes:
    buf = bytearray(HEADER_SIZE)
    struct.pack_into("<I", buf, 0, MAGIC)
    buf[4:24] = "Norpix seq".encode("utf-16-le")
    struct.pack_into("<iI", buf, 28, h.version, HEADER_SIZE)
    d = h.description.encode("utf-16-le")[:510]
    buf[36:36 + len(d)] = d
    struct.pack_into("<9I", buf, 548, h.width, h.height, h.bit_depth, h.bit_depth_real, h.image_size_bytes,
                     h.image_format, h.num_frames, 0, h.true_image_size)
    struct.pack_into("<d", buf, 584, h.fps)
    return bytes(buf)


def write_seq(path: str | os.PathLike[str], frames: list[np.ndarray], fps: float = 30.0, quality: int = 90) -> None:
    """Write RGB uint8 frames as a JPEG Norpix .seq (image format 102), atomically."""
    import cv2

    if not frames:
        raise ValueError("write_seq needs at least one frame")
    hgt, wid = frames[0].shape[:2]
    encoded = []
    for f in frames:
        ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(f[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise ValueError("JPEG encoding failed")
        encoded.append(buf.tobytes())
    header = SeqHeader(wid, hgt, 24, 8, wid * hgt * 3, 102, len(frames), wid * hgt * 3 + 12, float(fps),
                       description="written by pkg-detect")
    with atomic_open(path, "wb") as fh:
        fh.write(_header_bytes(header))
        for k, data in enumerate(encoded):
            fh.write(struct.pack("<I", len(data) + 4))
            fh.write(data)
            t = k / fps
            fh.write(struct.pack("<IHH", int(t), int((t % 1) * 1000), 0))


class SeqReader:
    """Random access to the frames of a .seq file (JPEG or PNG frames), RGB uint8."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = pathlib.Path(path)
        self.header = read_header(self.path)
        if self.header.image_format not in JPEG_FORMATS + PNG_FORMATS:
            raise DataFormatError(self.path, f"unsupported image format {self.header.image_format} "
                                  "(only compressed JPEG/PNG sequences are supported)")
        self._data = self.path.read_bytes()
        self.offsets = self._seek_table()

    def _seek_table(self) -> list[tuple[int, int]]:
        """(start, length) of each image; walks the records, falls back to JPEG markers."""
        data, n = self._data, self.header.num_frames
        table, pos = [], HEADER_SIZE
        ok = True
        for _ in range(n):
            if pos + 4 > len(data):
                ok = False
                break
            (size,) = struct.unpack_from("<I", data, pos)
            start, length = pos + 4, size - 4
            if size < 8 or start + length > len(data) or data[start:start + 2] not in (b"\xff\xd8", b"\x89P"):
                ok = False
                break
            table.append((start, length))
            pos = start + length + 8
        if ok and len(table) == n:
            return table
        return self._scan_markers()

    def _scan_markers(self) -> list[tuple[int, int]]:
        data, table, pos = self._data, [], HEADER_SIZE
        while True:
            s = data.find(b"\xff\xd8\xff", pos)
            if s < 0:
                break
            e = data.find(b"\xff\xd9", s + 3)
            if e < 0:
                break
            table.append((s, e + 2 - s))
            pos = e + 2
        if not table:
            raise DataFormatError(self.path, "no decodable frames (frame records and JPEG markers both failed)")
        return table

    def __len__(self) -> int:
        return len(self.offsets)

    def frame_bytes(self, i: int) -> bytes:
        if not 0 <= i < len(self):
            raise DataFormatError(self.path, f"frame {i} out of range (file has {len(self)} frames)")
        s, n = self.offsets[i]
        return self._data[s:s + n]

    def __getitem__(self, i: int) -> np.ndarray:
        import cv2

        arr = cv2.imdecode(np.frombuffer(self.frame_bytes(i), np.uint8), cv2.IMREAD_COLOR)
        if arr is None:
            raise DataFormatError(self.path, f"frame {i} cannot be decoded (corrupt image data)")
        return np.ascontiguousarray(arr[:, :, ::-1])

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]
