import dataclasses
import json

import pytest

from pkg_nas.bench.records import aggregate, build, parse_shard, read_records, recipe_hash, shard_of
from pkg_nas.config import BenchConfig, ModelConfig, RunConfig
from pkg_nas.space import LayerAssignment
from pkg_shared.errors import ConfigError, DataFormatError

CFG = RunConfig(model=ModelConfig(widths=(4, 8, 8)), bench=BenchConfig(depth_min=3, depth_max=5, seeds=2))


def fake_train(cfg):
    a = LayerAssignment.parse(cfg.assignment)
    acc = 10.0 * a[0] + a[1] + 0.5 * cfg.train.seed
    return {"params": 1, "macs": 2, "top1_test": acc, "top5_test": acc + 1, "top1_val": acc, "final_train_loss": 0.1,
            "wall_time_s": 0.0}


def test_build_resumes_and_records_schema(tmp_path):
    out = tmp_path / "b.jsonl"
    calls = []

    def train_fn(c):
        calls.append((c.assignment, c.train.seed))
        if len(calls) == 5:
            raise KeyboardInterrupt  # simulate a crash mid-build
        return fake_train(c)

    with pytest.raises(KeyboardInterrupt):
        build(CFG, out, train_fn=train_fn, log=lambda s: None)
    assert len(read_records(out)) == 4
    n = build(CFG, out, train_fn=fake_train, log=lambda s: None)
    recs = read_records(out)
    assert n == (1 + 3 + 6) * 2 - 4 and len(recs) == 20
    assert len({(tuple(r["assignment"]), r["seed"]) for r in recs}) == 20
    assert set(recs[0]) >= {"assignment", "depth", "family", "widths", "dataset", "seed", "params", "macs", "epochs",
                            "recipe_hash", "top1_test", "top5_test", "top1_val", "final_train_loss", "wall_time_s", "git_rev"}
    assert build(CFG, out, train_fn=fake_train, log=lambda s: None) == 0  # nothing left
    # a changed recipe is a different dataset
    other = dataclasses.replace(CFG, train=dataclasses.replace(CFG.train, epochs=7))
    assert recipe_hash(other) != recipe_hash(CFG)
    assert build(other, out, train_fn=fake_train, log=lambda s: None) == 20


def test_shards_partition_units(tmp_path):
    files = []
    for i in range(3):
        f = tmp_path / f"s{i}.jsonl"
        build(CFG, f, shard=(i, 3), train_fn=fake_train, log=lambda s: None)
        files.append({(tuple(r["assignment"]), r["seed"]) for r in read_records(f)} if f.exists() else set())
    assert sum(len(s) for s in files) == 20 and len(set().union(*files)) == 20
    assert shard_of(LayerAssignment((1, 2, 1)), 0, 3) == shard_of(LayerAssignment((1, 2, 1)), 0, 3)
    assert parse_shard("1/4") == (1, 4)
    with pytest.raises(ConfigError):
        parse_shard("4/4")


def test_aggregate_mean_std(tmp_path):
    out = tmp_path / "b.jsonl"
    build(CFG, out, train_fn=fake_train, log=lambda s: None)
    e = aggregate(read_records(out))[LayerAssignment((2, 1, 1))]
    assert e.mean == pytest.approx((21 + 21.5) / 2) and e.std == pytest.approx(0.3535534, rel=1e-5) and e.n == 2


def test_malformed_records_name_file_and_line(tmp_path):
    out = tmp_path / "b.jsonl"
    good = {"assignment": [1, 1, 1], "depth": 3, "seed": 0, "top1_test": 1.0, "recipe_hash": "x"}
    out.write_text(json.dumps(good) + "\n" + "{not json\n")
    with pytest.raises(DataFormatError, match=r"b.jsonl:2: invalid JSON"):
        read_records(out)
    out.write_text(json.dumps(good) + "\n" + json.dumps({**good, "depth": 4}) + "\n")
    with pytest.raises(DataFormatError, match=r"b.jsonl:2: depth 4"):
        read_records(out)
    out.write_text(json.dumps({"assignment": [1, 1, 1]}) + "\n")
    with pytest.raises(DataFormatError, match=r"b.jsonl:1: record lacks"):
        read_records(out)


def test_torn_last_line_is_dropped_and_build_resumes(tmp_path):
    out = tmp_path / "b.jsonl"
    build(CFG, out, train_fn=fake_train, log=lambda s: None)
    lines = out.read_text().splitlines(keepends=True)
    out.write_text("".join(lines[:5]) + lines[5][: len(lines[5]) // 2])  # writer killed mid-line
    with pytest.raises(DataFormatError, match=r"b.jsonl:6: invalid JSON"):
        read_records(out)  # strict by default: a torn line is reported with file and line
    assert len(read_records(out, allow_torn_tail=True)) == 5
    logs = []
    assert build(CFG, out, train_fn=fake_train, log=logs.append) == 15
    assert any("b.jsonl:6: dropped an incomplete last line" in m for m in logs)
    recs = read_records(out)  # the file is clean again: every line parses
    assert len(recs) == 20 and len({(tuple(r["assignment"]), r["seed"]) for r in recs}) == 20


def test_complete_last_line_without_newline_is_kept(tmp_path):
    out = tmp_path / "b.jsonl"
    build(CFG, out, train_fn=fake_train, log=lambda s: None)
    out.write_text(out.read_text().rstrip("\n"))
    assert build(CFG, out, train_fn=fake_train, log=lambda s: None) == 0
    assert len(read_records(out)) == 20


def _build_shard(args):
    path, i, n = args
    build(CFG, path, shard=(i, n), train_fn=fake_train, log=lambda s: None)


def test_parallel_shards_into_one_file(tmp_path):
    import multiprocessing as mp

    out = tmp_path / "b.jsonl"
    with mp.get_context("fork").Pool(3) as pool:
        pool.map(_build_shard, [(out, i, 3) for i in range(3)])
    recs = read_records(out)
    assert len(recs) == 20 and len({(tuple(r["assignment"]), r["seed"]) for r in recs}) == 20


def test_read_many_dedupes_and_aggregate_refuses_mixed_recipes(tmp_path):
    from pkg_nas.bench.records import read_many

    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    build(CFG, a, shard=(0, 2), train_fn=fake_train, log=lambda s: None)
    build(CFG, b, train_fn=fake_train, log=lambda s: None)  # overlaps a completely
    recs = read_many([a, b])
    assert len(recs) == 20
    assert aggregate(recs)[LayerAssignment((2, 1, 1))].n == 2  # not 3 or 4: duplicates count once
    other = dataclasses.replace(CFG, train=dataclasses.replace(CFG.train, epochs=7))
    build(other, b, train_fn=fake_train, log=lambda s: None)
    with pytest.raises(ConfigError, match="2 recipes"):
        aggregate(read_records(b))
    assert len(aggregate(read_records(b), recipe=recipe_hash(other))) == 10
    with pytest.raises(ConfigError, match="no field 'top1_nope'"):
        aggregate(read_records(a), "top1_nope")


def test_recipe_hash_ignores_result_neutral_keys():
    base = recipe_hash(CFG)
    same = dataclasses.replace(CFG, data=dataclasses.replace(CFG.data, root="/elsewhere", workers=8, eval_batch_size=64),
                               train=dataclasses.replace(CFG.train, checkpoint_every=5, log_every=3, amp_dtype="float16"))
    assert recipe_hash(same) == base
    for changed in (dataclasses.replace(CFG, train=dataclasses.replace(CFG.train, amp=True)),
                    dataclasses.replace(CFG, data=dataclasses.replace(CFG.data, batch_size=64)),
                    dataclasses.replace(CFG, model=dataclasses.replace(CFG.model, widths=(4, 8, 16)))):
        assert recipe_hash(changed) != base
