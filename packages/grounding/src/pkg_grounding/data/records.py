"""The one internal record both dataset readers produce."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Query:
    qid: str  # DiDeMo: annotation_id; Charades-STA: "<line number>"
    vid: str
    sentence: str
    duration: float  # seconds (DiDeMo: 5 * num_segments, the chunk grid)
    gt: tuple[tuple[float, float], ...]  # ground-truth windows in seconds (one per annotator)
    times: tuple[tuple[int, int], ...] = ()  # DiDeMo chunk pairs, duplicates kept
    num_segments: int = 0  # DiDeMo: 5 or 6
    # QVHighlights: ids of the 2-s clips inside the windows and their 3 annotators' saliency (0..4)
    clip_ids: tuple[int, ...] = ()
    saliency: tuple[tuple[int, ...], ...] = ()


@dataclasses.dataclass
class SplitReport:
    """What a reader saw: counts and every problem found, for ``grounding-data check``."""

    path: str
    queries: int = 0
    videos: int = 0
    clipped: int = 0
    dropped: int = 0
    missing_duration: int = 0
    missing_features: list[str] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["missing_features"] = len(self.missing_features)
        d["missing_feature_videos"] = self.missing_features[:20]
        return d
