"""Pictures: boxes drawn on frames, and a matplotlib (Agg) sheet of the T/B/L maps with decoded lines."""

from __future__ import annotations

import numpy as np


def draw_boxes(img: np.ndarray, boxes: np.ndarray, color=(0, 255, 0), thresh: float = 0.0, gt: np.ndarray | None = None
               ) -> np.ndarray:
    """RGB copy of ``img`` with detections (score >= thresh) and optional GT boxes (red) drawn."""
    import cv2

    out = np.ascontiguousarray(img.copy())
    for b in (gt if gt is not None else np.zeros((0, 4))):
        x, y, w, h = (int(round(v)) for v in b[:4])
        cv2.rectangle(out, (x, y), (x + w, y + h), (255, 0, 0), 1)
    for b in np.asarray(boxes).reshape(-1, 5):
        if b[4] < thresh:
            continue
        x, y, w, h = (int(round(v)) for v in b[:4])
        cv2.rectangle(out, (x, y), (x + w, y + h), color, 2)
        cv2.putText(out, f"{b[4]:.2f}", (x, max(y - 3, 8)), cv2.FONT_HERSHEY_SIMPLEX, 0.35, color, 1, cv2.LINE_AA)
    return out


def draw_lines(img: np.ndarray, boxes: np.ndarray, thresh: float = 0.2) -> np.ndarray:
    """Boxes (green) and their body lines, top to bottom vertex (yellow), for scores >= thresh."""
    import cv2

    out = draw_boxes(img, boxes, thresh=thresh)
    for x, y, w, h, s in np.asarray(boxes).reshape(-1, 5):
        if s >= thresh:
            cx = int(round(x + w / 2))
            cv2.line(out, (cx, int(round(y))), (cx, int(round(y + h))), (255, 255, 0), 1, cv2.LINE_AA)
    return out


def map_sheet(path, img: np.ndarray, maps: dict[str, np.ndarray], boxes: np.ndarray, scale: float = 1.0,
              thresh: float = 0.2, title: str = "") -> None:
    """PNG with the image + boxes + body lines, and the top, bottom and line-magnitude maps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pkg_shared.fsutil import atomic_open

    line = maps["line"]
    mag = np.linalg.norm(line, axis=0) if line.shape[0] == 2 else line[0]
    fig, ax = plt.subplots(2, 2, figsize=(10, 7.5))
    ax[0, 0].imshow(img)
    for b in np.asarray(boxes).reshape(-1, 5):
        if b[4] < thresh:
            continue
        x, y, w, h = b[:4]
        ax[0, 0].add_patch(plt.Rectangle((x, y), w, h, fill=False, color="lime", lw=1.5))
        ax[0, 0].plot([x + w / 2, x + w / 2], [y, y + h], color="yellow", lw=1)
    ax[0, 0].set_title(f"detections (score >= {thresh})")
    for a, (name, m) in zip([ax[0, 1], ax[1, 0], ax[1, 1]], [("top-vertex map", maps["top"][0]),
                                                          ("bottom-vertex map", maps["bottom"][0]),
                                                          ("link field magnitude", mag)]):
        im = a.imshow(m, cmap="magma")
        a.set_title(name)
        fig.colorbar(im, ax=a, fraction=0.035)
    for a in ax.ravel():
        a.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=80)
    plt.close(fig)
