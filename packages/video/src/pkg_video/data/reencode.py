"""Re-encode videos for fast random access (the spec's optional pre-processing, done with PyAV).

Short side resized to ``short_side`` (aspect kept, even sizes for yuv420p), constant frame rate
(frames re-timed 0, 1, 2 ... at the stream's average rate), H.264 with a key frame every
``keyint`` frames and no scene-cut key frames, audio dropped. Why: a clip decoder can only seek to
key frames; with x264's default of one per 250 frames every 8x8 clip decodes from the start of a
10 s video (see benchmarks/bench_decode.py). The output is written to a temporary file and renamed.
"""

from __future__ import annotations

import os
import pathlib
from fractions import Fraction

from pkg_shared.errors import DataFormatError, require
from pkg_shared.fsutil import atomic_path

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".webm", ".mov")


def output_size(height: int, width: int, short_side: int) -> tuple[int, int]:
    """(h, w) with the short side at ``short_side`` (never upscaled), both even."""
    scale = min(1.0, short_side / min(height, width))
    h, w = int(height * scale + 0.5), int(width * scale + 0.5)
    return max(2, h - h % 2), max(2, w - w % 2)


def reencode(src: str | os.PathLike[str], dst: str | os.PathLike[str], *, short_side: int = 320, keyint: int = 8,
             crf: int = 23, preset: str = "veryfast") -> int:
    """Write ``dst`` (H.264 mp4) from ``src``; returns the number of frames written."""
    av = require("av", "pyav", "pkg-video")
    src, dst = pathlib.Path(src), pathlib.Path(dst)
    n = 0
    try:
        with atomic_path(dst) as tmp:
            with av.open(str(src)) as inp:
                if not inp.streams.video:
                    raise DataFormatError(src, "no video stream")
                ist = inp.streams.video[0]
                rate = ist.average_rate or ist.guessed_rate or Fraction(25)
                h, w = output_size(ist.codec_context.height, ist.codec_context.width, short_side)
                with av.open(str(tmp), "w", format="mp4") as out:
                    ost = out.add_stream("libx264", rate=rate)
                    ost.width, ost.height, ost.pix_fmt = w, h, "yuv420p"
                    ost.options = {"preset": preset, "crf": str(crf), "g": str(keyint), "keyint_min": str(keyint),
                                   "sc_threshold": "0"}
                    for frame in inp.decode(ist):
                        f = frame.reformat(width=w, height=h, format="yuv420p")
                        f.pts, f.time_base = n, Fraction(1) / rate
                        f.pict_type = av.video.frame.PictureType.NONE  # do not force the source's key frames
                        for pkt in ost.encode(f):
                            out.mux(pkt)
                        n += 1
                    for pkt in ost.encode():
                        out.mux(pkt)
            if n == 0:
                raise DataFormatError(src, "video has no decodable frames")
    except av.error.FFmpegError as exc:
        raise DataFormatError(src, f"cannot re-encode ({exc.__class__.__name__}: {str(exc)[:120]})") from None
    return n
