"""OpenCV HOG + linear SVM people detector (Dalal-Triggs 64x128 or Daimler 48x96) as a CPU baseline.

The 64x128 window cannot see people shorter than about 100 px, so frames are upscaled first
(default 2x) and boxes mapped back. SVM margins are the scores.
"""

from __future__ import annotations

import numpy as np


class HogDetector:
    def __init__(self, upscale: float = 2.0, model: str = "default", hit_threshold: float = 0.0,
                 win_stride: int = 8, scale: float = 1.05, group_threshold: int = 2) -> None:
        import cv2

        if not hasattr(cv2, "HOGDescriptor"):
            from pkg_shared.errors import PkgError

            raise PkgError(f"OpenCV {cv2.__version__} has no HOGDescriptor (OpenCV 5 moved it out of the main "
                           "module); install opencv-python<5 or opencv-contrib-python for the HOG baseline")
        if model == "daimler":
            self.hog = cv2.HOGDescriptor((48, 96), (16, 16), (8, 8), (8, 8), 9)
            self.hog.setSVMDetector(cv2.HOGDescriptor_getDaimlerPeopleDetector())
        else:
            self.hog = cv2.HOGDescriptor()
            self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self.upscale, self.hit, self.stride, self.scale, self.group = upscale, hit_threshold, win_stride, scale, group_threshold

    def __call__(self, img: np.ndarray) -> np.ndarray:
        """(K, 5) [x, y, w, h, score] in original pixels."""
        import cv2

        gray = img
        if self.upscale != 1.0:
            gray = cv2.resize(img, None, fx=self.upscale, fy=self.upscale, interpolation=cv2.INTER_LINEAR)
        rects, weights = self.hog.detectMultiScale(np.ascontiguousarray(gray[:, :, ::-1]), hitThreshold=self.hit,
                                                   winStride=(self.stride, self.stride), padding=(8, 8),
                                                   scale=self.scale, groupThreshold=self.group)
        if len(rects) == 0:
            return np.zeros((0, 5))
        boxes = np.asarray(rects, dtype=np.float64) / self.upscale
        return np.column_stack([boxes, np.asarray(weights, dtype=np.float64).reshape(-1)])
