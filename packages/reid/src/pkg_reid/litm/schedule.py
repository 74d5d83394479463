"""LITM margin schedule: which stage, which margin, and when to switch.

Modes (``litm.mode``):
- ``restart``: stages s = 1..S with margins m_1 < ... < m_S; stage s warm-starts from stage s-1's
  weights, the optimiser and LR schedule restart at each stage.
- ``residual_shift``: as ``restart`` but each stage s > 1 appends a zero-initialised residual
  map g_s on the embedding (``ReIDNet.add_shift``).
- ``ramp``: one stage; the margin grows linearly with the epoch from m_1 to m_S.
- ``single``: one stage with the fixed margin m_1 (the baseline of the margin sweep).
Automatic switching: advance when the epoch's fraction of active triplets stays below
``active_frac_switch`` for ``patience`` consecutive epochs.
"""

from __future__ import annotations

from pkg_reid.config import LitmConfig


class LitmSchedule:
    def __init__(self, cfg: LitmConfig) -> None:
        self.cfg = cfg
        self.margins = cfg.resolved_margins()
        self.stage_epochs = cfg.resolved_stage_epochs()
        if cfg.mode in ("restart", "residual_shift") and any(
            b <= a for a, b in zip(self.margins, self.margins[1:])
        ):
            raise ValueError(f"LITM margins must increase from stage to stage, got {list(self.margins)}")

    @property
    def num_stages(self) -> int:
        return len(self.stage_epochs)

    @property
    def total_epochs(self) -> int:
        return sum(self.stage_epochs)

    def margin(self, stage: int, stage_epoch: int) -> float:
        if self.cfg.mode == "ramp":
            m = self.cfg.margins
            e = self.stage_epochs[0]
            t = stage_epoch / max(e - 1, 1)
            return float(m[0] + (m[-1] - m[0]) * t)
        return float(self.margins[stage])

    def should_switch(self, low_count: int, active_frac: float) -> tuple[bool, int]:
        """Update the 'epochs below threshold' counter; True when the stage should end early."""
        if not self.cfg.auto_switch or self.cfg.mode in ("ramp", "single"):
            return False, 0
        low_count = low_count + 1 if active_frac < self.cfg.active_frac_switch else 0
        return low_count >= self.cfg.patience, low_count
