"""The inherited-sampling search (spec §5.1): grow depth one step at a time; the candidates at
each step are the children of the previous winner(s); the same supernet keeps training.

Cost: ``1 + S*(L_T - L0)`` candidate scores for beam 1 and step 1 (vs ``|A_{L_T}|``). The state
after every step is checkpointed (``search_state.pt``) so an interrupted search resumes and ends
with the same result. The evaluator decides what a score is: inherited supernet weights after BN
recalibration (the method), or an oracle (tests, greedy-oracle bound).
"""

from __future__ import annotations

import json
import pathlib
import time
from collections.abc import Callable, Sequence

from pkg_nas.config import SearchConfig
from pkg_nas.search.evaluate import CountingEvaluator, Score
from pkg_nas.space import LayerAssignment, descendants, enumerate_depth
from pkg_shared.engine import capture_rng_state, load_checkpoint, restore_rng_state, save_checkpoint
from pkg_shared.errors import ConfigError
from pkg_shared.fsutil import atomic_write_json, atomic_write_text

STATE = "search_state.pt"


def rank(scored: Sequence[tuple[LayerAssignment, Score]]) -> list[tuple[LayerAssignment, Score]]:
    """Best first: higher accuracy, then lower loss, then the lexicographically smaller tuple."""
    return sorted(scored, key=lambda t: (-t[1].acc, t[1].loss, tuple(t[0])))


def check_depths(scfg: SearchConfig, stages: int) -> int:
    """Reject impossible search settings before any work; returns the start depth L0."""
    l0 = scfg.start_depth or stages
    if l0 < stages:
        raise ConfigError(f"search.start_depth={l0} is below the number of stages {stages}")
    if scfg.target_depth < l0:
        raise ConfigError(f"search.target_depth={scfg.target_depth} is below the start depth {l0}")
    if scfg.beam < 1 or scfg.step_size < 1:
        raise ConfigError("search.beam and search.step_size must be >= 1")
    if not 0.0 <= scfg.mix_parent <= 1.0:
        raise ConfigError(f"search.mix_parent={scfg.mix_parent} is not a probability in [0, 1]")
    if scfg.max_per_stage is not None and len(scfg.max_per_stage) != stages:
        raise ConfigError(f"search.max_per_stage has {len(scfg.max_per_stage)} entries for {stages} stages")
    return l0


def _cand_rows(step: int, depth: int, ranked) -> list[dict]:
    return [{"step": step, "depth": depth, "assignment": str(a), "rank": i + 1, **s.as_dict()}
            for i, (a, s) in enumerate(ranked)]


def inherited_search(scfg: SearchConfig, stages: int, evaluator: CountingEvaluator, *, trainer=None,
                     out_dir: str | pathlib.Path | None = None, allowed: Callable[[LayerAssignment], bool] | None = None,
                     stop_after_steps: int | None = None, log: Callable[[str], None] = print) -> dict:
    """Run (or resume) the search; returns the result dict also written to ``out_dir/result.json``."""
    l0 = check_depths(scfg, stages)
    caps = scfg.max_per_stage
    ok = allowed or (lambda a: True)
    out = pathlib.Path(out_dir) if out_dir is not None else None
    state = {"step": 0, "beam": [], "steps": [], "evaluations": 0, "supernet_epochs": 0, "elapsed_s": 0.0}
    if out is not None and (out / STATE).is_file():
        state = load_checkpoint(out / STATE)
        if trainer is not None:
            trainer.load_state_dict(state["trainer"])
        restore_rng_state(state["rng"])
        log(f"resumed search at step {state['step']} (depth {state['steps'][-1]['depth'] if state['steps'] else l0})")
    t_start = time.time() - float(state["elapsed_s"])
    while True:
        step = int(state["step"])
        if step == 0:
            depth = l0
            cands = [a for a in enumerate_depth(l0, stages, caps) if ok(a)]
            epochs = scfg.e0
            parent = None
        else:
            depth = l0 + step * scfg.step_size
            if depth > scfg.target_depth:
                break
            beam = [LayerAssignment(b) for b in state["beam"]]
            cands = sorted({c for b in beam for c in descendants(b, scfg.step_size, caps) if ok(c)})
            epochs = scfg.e_step
            parent = beam[0]
        if not cands:
            log(f"depth {depth}: no candidate fits the budget; stopping")
            break
        if trainer is not None:
            if step > 0 and scfg.restart_supernet:
                trainer.restart()
            trainer.train(cands, epochs, parent=parent, mix_parent=scfg.mix_parent, tag=f"L={depth}")
            state["supernet_epochs"] = int(state["supernet_epochs"]) + epochs
            evaluator.invalidate()
        ranked = rank([(a, evaluator(a)) for a in cands])
        state["evaluations"] = int(state["evaluations"]) + len(cands)
        best_a, best_s = ranked[0]
        log(f"depth {depth}: {len(cands)} candidate(s); best {best_a} (val top-1 {best_s.acc:.2f}%)")
        state["beam"] = [list(a) for a, _ in ranked[: scfg.beam]]
        state["steps"].append({"step": step, "depth": depth, "best": str(best_a), "best_acc": best_s.acc,
                               "candidates": _cand_rows(step, depth, ranked), "epochs": epochs})
        state["step"] = step + 1
        state["elapsed_s"] = time.time() - t_start
        if out is not None:
            state["rng"] = capture_rng_state()
            if trainer is not None:
                state["trainer"] = trainer.state_dict()
            save_checkpoint(state, out / STATE)
            write_log(out, state["steps"])
        if stop_after_steps is not None and step + 1 >= stop_after_steps:
            return {"interrupted_after_step": step + 1}
    result = make_result("inherited", state)
    if out is not None:
        atomic_write_json(out / "result.json", result)
    return result


def write_log(out: pathlib.Path, steps: list[dict]) -> None:
    """Rewrite ``search_log.jsonl`` (one line per scored candidate) from the checkpointed steps."""
    lines = [json.dumps(row) for s in steps for row in s["candidates"]]
    atomic_write_text(out / "search_log.jsonl", "".join(line + "\n" for line in lines))


def make_result(method: str, state: dict) -> dict:
    steps = state["steps"]
    return {
        "method": method,
        "best": steps[-1]["best"] if steps else None,
        "best_depth": steps[-1]["depth"] if steps else None,
        "path": [{"depth": s["depth"], "best": s["best"], "val_top1": s["best_acc"]} for s in steps],
        "evaluations": int(state["evaluations"]),
        "supernet_epochs": int(state["supernet_epochs"]),
        "wall_time_s": float(state["elapsed_s"]),
        "candidates": [row for s in steps for row in s["candidates"]],
    }
