"""Official evaluation protocols: DiDeMo (MCN) and Charades-STA (2D-TAN, TALL/CTRL, moment_detr)."""
