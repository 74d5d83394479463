import json
import subprocess
import sys

import pytest
import torch

from pkg_nas.cli import bench, data, demo, eval, export, infer, profile, report, search, space, train

torch.set_num_threads(1)
MAINS = [space, profile, data, train, eval, infer, export, bench, search, report, demo]


@pytest.mark.parametrize("mod", MAINS, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_help_exits_zero_with_example(mod, capsys):
    with pytest.raises(SystemExit) as exc:
        mod.main(["--help"])
    assert exc.value.code == 0
    assert "example" in capsys.readouterr().out


def run_err(mod, argv, capsys):
    rc = mod.main(argv)
    err = capsys.readouterr().err.strip()
    return rc, err


def test_bad_inputs_exit_two_with_one_line(tmp_path, capsys):
    cases = [
        (space, ["children", "--assignment", "2-x"]),
        (data, ["check", "--dataset", "cifar100", "--root", str(tmp_path / "missing")]),
        (train, ["--config", str(tmp_path / "nope.yaml")]),
        (train, ["--config", "cifar100_full", "--set", "train.epochz=3"]),
        (train, ["--config", "cifar100_full", "--set", "data.root=" + str(tmp_path)]),
        (train, ["--config", "cifar100_full", "--assignment", "2-2-2"]),
        (profile, ["--assignment", "2-2-2-2-2"]),
        (eval, ["--checkpoint", str(tmp_path / "none.pt")]),
        (bench, ["query", "--bench", str(tmp_path / "none.jsonl")]),
        (search, ["inherited", "--set", "search.target_depth=2", "--set", f"data.root={tmp_path}"]),
    ]
    (tmp_path / "bad.jsonl").write_text("{oops\n")
    cases.append((bench, ["query", "--bench", str(tmp_path / "bad.jsonl")]))
    cifar = tmp_path / "c100"
    data.main(["make-fake", "--dataset", "cifar100", "--out", str(cifar), "--per-class", "2", "--classes", "2"])
    ok = ["--set", f"data.root={cifar}", "--set", "model.widths=[4,4,4,4]"]
    cases += [  # valid data, impossible options: rejected before the output folder exists
        (search, ["inherited", *ok, "--set", "search.start_depth=6", "--set", "search.target_depth=5"]),
        (search, ["inherited", *ok, "--mix-parent", "1.5"]),
        (search, ["inherited", *ok, "--set", "data.val_per_class=0"]),
        (search, ["oracle", *ok, "--bench", str(tmp_path / "bad.jsonl")]),
        (train, ["--config", "cifar100_full", *ok, "--assignment", "1-1-1"]),
    ]
    capsys.readouterr()
    for k, (mod, argv) in enumerate(cases):
        out = tmp_path / f"out{k}"
        rc, err = run_err(mod, [*argv, "--out", str(out)] if mod in (train, search) else argv, capsys)
        assert rc == 2, (argv, err)
        assert len(err.splitlines()) == 1 and "error:" in err and "Traceback" not in err, err
        assert not out.exists(), (argv, sorted(out.iterdir()))  # nothing half-written
    _, err = run_err(bench, ["query", "--bench", str(tmp_path / "bad.jsonl")], capsys)
    assert "bad.jsonl:1" in err


def test_console_script_error_has_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-c", "from pkg_nas.cli.data import main; raise SystemExit(main())",
                           "check", "--dataset", "imagenet", "--root", str(tmp_path / "x")], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "error:" in proc.stderr


def test_space_and_profile_outputs(capsys):
    assert space.main(["count", "--stages", "4", "--depth", "8"]) == 0
    assert capsys.readouterr().out.strip() == "35"
    assert profile.main(["--preset", "imagenet", "--family", "bottleneck", "--assignment", "3-4-6-3"]) == 0
    assert "25,557,032" in capsys.readouterr().out


def test_cli_pipeline_on_fake_data(tmp_path, capsys):
    root = tmp_path / "data"
    assert data.main(["make-fake", "--dataset", "cifar100", "--out", str(root), "--per-class", "4", "--classes", "3"]) == 0
    assert data.main(["check", "--dataset", "cifar100", "--root", str(root)]) == 0
    run = tmp_path / "run"
    common = ["--config", "cifar100_full", "--set", f"data.root={root}", "--set", "model.widths=[4,8,8,8]",
              "--set", "train.epochs=1", "--set", "data.batch_size=8", "--set", "data.val_per_class=1"]
    assert train.main([*common, "--assignment", "1-1-2-1", "--out", str(run)]) == 0
    assert (run / "last.pt").is_file() and (run / "result.json").is_file() and (run / "config.yaml").is_file()
    capsys.readouterr()
    assert eval.main(["--checkpoint", str(run / "last.pt"), "--out", str(tmp_path / "ev.json")]) == 0
    ev = json.loads((tmp_path / "ev.json").read_text())
    assert ev["n"] == 6 and 0 <= ev["top1"] <= 100 and ev["split"] == "test"  # 3 classes x 2 test images
    from pkg_shared.io.image import write_image

    write_image(tmp_path / "img.png", (torch.rand(40, 50, 3) * 255).to(torch.uint8).numpy())
    assert infer.main(["--checkpoint", str(run / "last.pt"), "--image", str(tmp_path / "img.png"), "--topk", "3"]) == 0
    pred = json.loads(capsys.readouterr().out)
    assert len(pred[0]["top"]) == 3 and pred[0]["top"][0]["prob"] >= pred[0]["top"][1]["prob"]
    fmt = "both"
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        fmt = "torchscript"
    assert export.main(["--checkpoint", str(run / "last.pt"), "--format", fmt, "--out", str(tmp_path / "exp")]) == 0
    rep = json.loads((tmp_path / "exp" / "export.json").read_text())
    assert rep["torchscript"]["max_abs_diff"] < 1e-4
    (tmp_path / "sr.json").write_text(json.dumps({"method": "inherited", "best": "1-1-2-1", "evaluations": 9,
                                                  "supernet_epochs": 5, "path": []}))
    assert report.main(["table", "--runs", str(run), "--search-result", str(tmp_path / "sr.json")]) == 0
    text = capsys.readouterr().out
    assert "| cifar100 | basic | 5 | 1-1-2-1 |" in text and "9 evals" in text and "inherited search" in text
    assert "(n=1)" in text


@pytest.mark.slow
def test_demo_end_to_end(tmp_path):
    assert demo.main(["--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["metric"].startswith("top1=") and (tmp_path / summary["picture"]).is_file()


def _hand_bench(path):
    # S=2 toy dataset written by hand: acc = 10*n1 + n2 (+ seed noise), depth 2..4
    lines = []
    for a in [(1, 1), (1, 2), (2, 1), (1, 3), (2, 2), (3, 1)]:
        for seed in (0, 1):
            lines.append(json.dumps({"assignment": list(a), "depth": sum(a), "seed": seed, "recipe_hash": "r",
                                     "top1_test": 10.0 * a[0] + a[1] + 0.1 * seed, "params": 100 * sum(a),
                                     "macs": 1000 * a[0] + 10 * a[1]}))
    path.write_text("\n".join(lines) + "\n")


def test_bench_and_report_cli_on_hand_made_dataset(tmp_path, capsys):
    b = tmp_path / "b.jsonl"
    _hand_bench(b)
    assert bench.main(["query", "--bench", str(b), "--depth", "4"]) == 0
    q = json.loads(capsys.readouterr().out)
    assert [r["assignment"] for r in q["4"]] == ["3-1", "2-2", "1-3"] and q["4"][0]["mean"] == pytest.approx(31.05)
    assert bench.main(["best", "--bench", str(b), "--macs", "2015"]) == 0
    assert json.loads(capsys.readouterr().out)["best"]["assignment"] == "2-1"
    assert bench.main(["analyze", "--bench", str(b), "--plot", str(tmp_path / "b.png"), "--handcrafted", "2-2"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["strict_fraction"] == 1.0 and rep["handcrafted_ranks"]["2-2"] == {"rank": 2, "of": 3}
    assert (tmp_path / "b.png").stat().st_size > 1000
    assert bench.main(["correlate", "--bench", str(b), "--other", str(b)]) == 0
    assert json.loads(capsys.readouterr().out)["kendall_tau_b"] == pytest.approx(1.0)
    res = {"method": "inherited", "best": "2-2", "best_depth": 4, "evaluations": 5,
           "path": [{"depth": 2, "best": "1-1"}, {"depth": 3, "best": "2-1"}, {"depth": 4, "best": "2-2"}],
           "candidates": [{"depth": 4, "assignment": "3-1", "acc": 5.0}, {"depth": 4, "assignment": "2-2", "acc": 6.0}]}
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "result.json").write_text(json.dumps(res))
    out = tmp_path / "q.json"
    assert report.main(["quality", "--search", str(tmp_path / "s"), "--bench", str(b), "--plot",
                        str(tmp_path / "q.png"), "--out", str(out)]) == 0
    qual = json.loads(out.read_text())["inherited"]
    assert [r["hit1"] for r in qual["per_depth"]] == [True, True, False]
    assert qual["per_depth"][2]["regret"] == pytest.approx(10.0 * 3 + 1 - (10.0 * 2 + 2))
    assert (tmp_path / "q.png").is_file()
    o = tmp_path / "o"
    assert search.main(["oracle", "--bench", str(b), "--set", "model.widths=[4,8]", "--set", "search.target_depth=4",
                        "--out", str(o)]) == 0
    ores = json.loads((o / "result.json").read_text())
    assert [p["best"] for p in ores["path"]] == ["1-1", "2-1", "3-1"] and ores["evaluations"] == 1 + 2 + 2


def test_search_cli_tiny(tmp_path, capsys):
    root = tmp_path / "data"
    data.main(["make-fake", "--dataset", "cifar100", "--out", str(root), "--per-class", "4", "--classes", "3"])
    out = tmp_path / "s"
    argv = ["inherited", "--config", "cifar100_search", "--set", f"data.root={root}", "--set", "model.widths=[4,8,8,8]",
            "--set", "search.target_depth=5", "--set", "search.e0=1", "--set", "search.e_step=1",
            "--set", "search.recal_batches=1", "--set", "search.recal_batch_size=4", "--set", "data.batch_size=4",
            "--set", "data.val_per_class=1", "--set", "train.max_steps_per_epoch=1", "--out", str(out), "--beam", "2"]
    assert search.main(argv) == 0
    res = json.loads((out / "result.json").read_text())
    assert res["evaluations"] == 1 + 4 and len((out / "search_log.jsonl").read_text().splitlines()) == 5
    assert (out / "best_assignment.txt").read_text().strip() == res["best"]


def test_bench_build_cli_resumable(tmp_path, capsys):
    root = tmp_path / "data"
    data.main(["make-fake", "--dataset", "cifar100", "--out", str(root), "--per-class", "4", "--classes", "3"])
    b = tmp_path / "bench.jsonl"
    argv = ["build", "--config", "cifar100_bench_cpu", "--set", f"data.root={root}", "--set", "model.widths=[4,8,8,8]",
            "--set", "bench.depth_max=5", "--set", "train.epochs=1", "--set", "data.batch_size=4",
            "--set", "data.val_per_class=1", "--set", "data.max_per_class=4", "--bench", str(b)]
    assert bench.main([*argv, "--shard", "0/2"]) == 0
    n0 = len(b.read_text().splitlines())
    assert bench.main(argv) == 0  # the rest; shard 0's units are skipped
    recs = [json.loads(line) for line in b.read_text().splitlines()]
    assert len(recs) == 5 and 0 < n0 < 5 and len({tuple(r["assignment"]) for r in recs}) == 5
    assert all(0 <= r["top1_test"] <= 100 and r["epochs"] == 1 and r["cpu_time_s"] > 0 for r in recs)
    # shards built on two machines: separate files, queried together (duplicates count once)
    b1, b2 = tmp_path / "m1.jsonl", tmp_path / "m2.jsonl"
    lines = b.read_text().splitlines(keepends=True)
    b1.write_text("".join(lines[:3]))
    b2.write_text("".join(lines[2:]))
    capsys.readouterr()
    assert bench.main(["query", "--bench", str(b1), str(b2)]) == 0
    q = json.loads(capsys.readouterr().out)
    assert sum(len(v) for v in q.values()) == 5 and all(r["seeds"] == 1 for v in q.values() for r in v)
    with open(b, "a") as fh:  # a record of another recipe
        fh.write(json.dumps({**recs[0], "recipe_hash": "0123456789ab"}) + "\n")
    rc, err = run_err(bench, ["query", "--bench", str(b)], capsys)  # two recipes in one file
    assert rc == 2 and "choose one with --recipe" in err


def test_print_config_of_shipped_recipe(capsys):
    import yaml

    with pytest.raises(SystemExit) as exc:
        train.main(["--config", "imagenet_resnet", "--set", "train.epochs=120", "--print-config"])
    assert exc.value.code == 0
    cfg = yaml.safe_load(capsys.readouterr().out)
    assert cfg["train"]["epochs"] == 120 and cfg["model"]["stem"] == "imagenet" and cfg["train"]["milestones"] == [30, 60, 80]
