"""Helpers shared by the console scripts."""

from __future__ import annotations

import logging

from pkg_shared.logging import setup


def init_logging(run_dir=None) -> None:
    setup(run_dir)
    logging.getLogger("pkg_reid").setLevel(logging.INFO)
