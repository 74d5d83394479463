import dataclasses
import itertools
import math
import random

import pytest
import torch

from pkg_nas.config import PRESETS, DataConfig, RunConfig, SearchConfig, TrainConfig
from pkg_nas.data.fake import write_cifar100
from pkg_nas.engine.search_run import run_search
from pkg_nas.search.baselines import (
    crossover,
    evolution,
    greedy_oracle_path,
    mutate,
    random_search,
    uniform_search,
)
from pkg_nas.search.evaluate import OracleEvaluator
from pkg_nas.search.inherited import inherited_search
from pkg_nas.space import LayerAssignment, enumerate_depth

torch.set_num_threads(1)


def separable_concave(seed, stages=4):
    rng = random.Random(seed)
    w = [rng.uniform(0.5, 2.0) for _ in range(stages)]
    r = [rng.uniform(0.1, 1.0) for _ in range(stages)]
    return lambda a: sum(w[s] * (1 - math.exp(-r[s] * n)) for s, n in enumerate(a))


def brute_best(f, depth, stages=4):
    return max(enumerate_depth(depth, stages), key=f)


@pytest.mark.parametrize("seed", range(5))
def test_inherited_finds_optimum_on_inheritance_oracle_with_linear_cost(seed):
    f = separable_concave(seed)
    ev = OracleEvaluator(f)
    res = inherited_search(SearchConfig(target_depth=12), 4, ev, log=lambda s: None)
    assert LayerAssignment.parse(res["best"]) == brute_best(f, 12)
    assert res["evaluations"] == ev.evaluations == 1 + 4 * (12 - 4)
    for p in res["path"]:  # optimal at every depth on the way
        a = LayerAssignment.parse(p["best"])
        assert f(a) == pytest.approx(f(brute_best(f, a.depth)))


def violating_oracle(a):
    # deep stage 1 pays off only at depth 7 via (4,1,1,1); every earlier step prefers stage 4
    table = {(4, 1, 1, 1): 100.0}
    return table.get(tuple(a), a[3] * 1.0 - 0.01 * a[0])


def test_inherited_follows_greedy_path_when_relation_fails():
    ev = OracleEvaluator(violating_oracle)
    res = inherited_search(SearchConfig(target_depth=7), 4, ev, log=lambda s: None)
    assert res["best"] == "1-1-1-4"  # the greedy path, not the global optimum 4-1-1-1
    assert brute_best(violating_oracle, 7) == (4, 1, 1, 1)
    assert ev.evaluations == 1 + 4 * 3 < 20  # no hidden exhaustive search (|A_7| = 20)


def test_beam_two_recovers_what_beam_one_misses():
    # at depth 5, 1-1-1-2 wins narrowly; only its runner-up 2-1-1-1 leads to the depth-6 optimum
    table = {(1, 1, 1, 2): 10.0, (2, 1, 1, 1): 9.9, (3, 1, 1, 1): 50.0}
    f = lambda a: table.get(tuple(a), 0.0)  # noqa: E731
    one = inherited_search(SearchConfig(target_depth=6, beam=1), 4, OracleEvaluator(f), log=lambda s: None)
    two = inherited_search(SearchConfig(target_depth=6, beam=2), 4, OracleEvaluator(f), log=lambda s: None)
    assert one["best"] != "3-1-1-1" and two["best"] == "3-1-1-1"


def test_step_size_caps_and_budget():
    f = separable_concave(1)
    res = inherited_search(SearchConfig(target_depth=8, step_size=2), 4, OracleEvaluator(f), log=lambda s: None)
    assert [p["depth"] for p in res["path"]] == [4, 6, 8]
    caps = (2, 2, 2, 2)
    res = inherited_search(SearchConfig(target_depth=8, max_per_stage=caps), 4, OracleEvaluator(f), log=lambda s: None)
    assert LayerAssignment.parse(res["best"]) == (2, 2, 2, 2)
    res = inherited_search(SearchConfig(target_depth=10), 4, OracleEvaluator(f), allowed=lambda a: a.depth <= 6,
                           log=lambda s: None)
    assert res["best_depth"] == 6  # stops when no child fits the budget


def test_oracle_search_resumes_to_same_result(tmp_path):
    f = separable_concave(3)
    full = inherited_search(SearchConfig(target_depth=8), 4, OracleEvaluator(f), log=lambda s: None)
    part = inherited_search(SearchConfig(target_depth=8), 4, OracleEvaluator(f), out_dir=tmp_path, stop_after_steps=2,
                            log=lambda s: None)
    assert part == {"interrupted_after_step": 2}
    resumed = inherited_search(SearchConfig(target_depth=8), 4, OracleEvaluator(f), out_dir=tmp_path, log=lambda s: None)
    assert resumed["path"] == full["path"] and resumed["evaluations"] == full["evaluations"]
    assert (tmp_path / "result.json").is_file()
    assert len((tmp_path / "search_log.jsonl").read_text().splitlines()) == full["evaluations"]


def test_mutation_and_crossover_keep_depth():
    rng = random.Random(0)
    for a, b in itertools.product(list(enumerate_depth(8, 4))[:8], repeat=2):
        assert mutate(LayerAssignment(a), 0.5, rng).depth == 8
        c = crossover(LayerAssignment(a), LayerAssignment(b), rng)
        assert c is not None and c.depth == 8 and min(c) >= 1


def test_baselines_on_oracle():
    f = separable_concave(2)
    cfg = SearchConfig(target_depth=9, evo_population=10, evo_generations=5, evo_parents=3, random_samples=7)
    uni = uniform_search(cfg, 4, OracleEvaluator(f))
    assert uni["evaluations"] == 56 and LayerAssignment.parse(uni["best"]) == brute_best(f, 9)
    evo = uniform_search(cfg, 4, OracleEvaluator(f), force_evolution=True)
    assert evo["method"] == "evolution" and all(LayerAssignment.parse(c["assignment"]).depth == 9 for c in evo["candidates"])
    assert evo["evaluations"] == len(evo["candidates"]) <= 10 + 5 * 10
    rnd = random_search(cfg, 4, OracleEvaluator(f))
    assert rnd["evaluations"] == 7
    ranked, n = evolution(OracleEvaluator(f), 9, 4, dataclasses.replace(cfg, evo_population=100))
    assert n == 56 and ranked[0][0] == brute_best(f, 9)  # population covers the space


def test_greedy_oracle_path():
    acc = {a: separable_concave(4)(a) for d in range(4, 9) for a in enumerate_depth(d, 4)}
    path = greedy_oracle_path(acc, LayerAssignment((1, 1, 1, 1)), 8)
    assert [p.depth for p in path] == [4, 5, 6, 7, 8]
    assert path[-1] == max((a for a in acc if a.depth == 8), key=acc.get)


def tiny_cfg(root, **search):
    return RunConfig(
        model=dataclasses.replace(PRESETS["tiny"], widths=(4, 8, 8, 8)),
        data=DataConfig(root=str(root), batch_size=16, eval_batch_size=64, val_per_class=2),
        train=TrainConfig(lr=0.05, max_steps_per_epoch=2),
        search=SearchConfig(target_depth=6, e0=1, e_step=1, recal_batches=2, recal_batch_size=8, **search),
    )


def test_supernet_search_resumes_identically(tmp_path):
    write_cifar100(tmp_path / "data", per_class=6, test_per_class=1, classes=4)
    cfg = tiny_cfg(tmp_path / "data")
    full = run_search(cfg, "inherited", tmp_path / "full", log=lambda s: None)
    assert run_search(cfg, "inherited", tmp_path / "part", log=lambda s: None, stop_after_steps=2) == {"interrupted_after_step": 2}
    resumed = run_search(cfg, "inherited", tmp_path / "part", log=lambda s: None)
    assert resumed["path"] == full["path"]
    assert [c["acc"] for c in resumed["candidates"]] == [c["acc"] for c in full["candidates"]]
    assert resumed["evaluations"] == 1 + 4 + 4
    assert {"search_state.pt", "search_log.jsonl", "result.json", "best_assignment.txt"} <= {p.name for p in (tmp_path / "full").iterdir()}
    c = full["candidates"][0]
    assert c["acc_norecal"] is not None  # diagnostic score without BN recalibration is kept


def test_supernet_training_reduces_loss_for_sampled_paths(tmp_path):
    from pkg_nas.data.datasets import build_splits
    from pkg_nas.models import Supernet
    from pkg_nas.search.supernet_train import SupernetTrainer

    write_cifar100(tmp_path, per_class=6, test_per_class=1, classes=3)
    cfg = dataclasses.replace(tiny_cfg(tmp_path), train=TrainConfig(lr=0.8, weight_decay=0.0),
                              data=DataConfig(root=str(tmp_path), batch_size=6, val_per_class=1, augment=False))
    cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, num_classes=3))
    torch.manual_seed(0)
    splits = build_splits(cfg.data)
    sn = Supernet(cfg.model, (2, 2, 2, 2))
    losses = []
    tr = SupernetTrainer(cfg, sn, splits.train, log=lambda s: losses.append(float(s.split("loss ")[1].split()[0])))
    cands = [LayerAssignment(a) for a in ((1, 1, 1, 1), (2, 1, 2, 1), (2, 2, 2, 2))]
    tr.train(cands, 20, tag="t")
    assert losses[-1] < 0.5 * losses[0], losses
    for a in cands:  # every sampled path fits the training images
        sn.eval()
        x = torch.stack([splits.train_eval[i][0] for i in range(len(splits.train_eval))])
        y = torch.stack([splits.train_eval[i][1] for i in range(len(splits.train_eval))])
        from pkg_nas.search.bn_recal import recalibrate_bn

        recalibrate_bn(sn, [x], a)
        sn.eval()
        assert (sn(x, a).argmax(1) == y).float().mean() >= 0.8
