import dataclasses

import pytest

from pkg_shared.cli import config_from_args, entrypoint, make_parser, resolve_device
from pkg_shared.errors import DataFormatError, PkgError


@dataclasses.dataclass(frozen=True)
class Cfg:
    lr: float = 0.1
    steps: int = 2


@entrypoint
def _main(argv=None):
    args = make_parser("demo-tool", "test tool").parse_args(argv)
    cfg = config_from_args(Cfg, args)
    if cfg.steps < 0:
        raise DataFormatError("/data/ann.txt", "negative steps", line=7)
    print(f"lr={cfg.lr} steps={cfg.steps}")
    return 0


def test_overrides_reach_the_config(capsys):
    assert _main(["--set", "lr=0.5", "--set", "steps=3"]) == 0
    assert "lr=0.5 steps=3" in capsys.readouterr().out


def test_user_error_becomes_one_line_exit_2(capsys):
    assert _main(["--set", "steps=-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "/data/ann.txt:7: negative steps" in err[0]
    assert "Traceback" not in err[0]


def test_config_error_and_missing_config(capsys, tmp_path):
    assert _main(["--set", "nope=1"]) == 2
    assert "unknown config key" in capsys.readouterr().err
    assert _main(["--config", str(tmp_path / "none.yaml")]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_print_config_exits_zero(capsys):
    with pytest.raises(SystemExit) as exc:
        _main(["--print-config", "--set", "lr=0.25"])
    assert exc.value.code == 0
    assert "lr: 0.25" in capsys.readouterr().out


def test_help_exits_zero(capsys):
    with pytest.raises(SystemExit) as exc:
        _main(["--help"])
    assert exc.value.code == 0
    assert "--set KEY=VALUE" in capsys.readouterr().out


def test_bugs_are_not_hidden():
    @entrypoint
    def broken(argv=None):
        raise ZeroDivisionError("bug")

    with pytest.raises(ZeroDivisionError):
        broken([])


def test_resolve_device():
    import torch

    assert resolve_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(PkgError, match="CUDA is not available"):
            resolve_device("cuda")
        assert resolve_device("auto").type == "cpu"


def test_entrypoint_with_prog_names_the_command(capsys):
    @entrypoint(prog="tool-x")
    def main(argv=None):
        raise DataFormatError("f.txt", "bad")

    assert main([]) == 2
    assert capsys.readouterr().err.strip() == "tool-x: error: f.txt: bad"


def test_existing_path_is_one_line(capsys):
    @entrypoint(prog="tool-y")
    def main(argv=None):
        raise FileExistsError(17, "File exists", "/runs/out")

    assert main([]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tool-y: error: ") and "/runs/out" in err[0]


def test_errors_survive_pickling_like_in_dataloader_workers():
    import pickle

    from pkg_shared.errors import MissingDependencyError

    e = pickle.loads(pickle.dumps(DataFormatError("/d/a.jpg", "corrupt image", line=3)))
    assert isinstance(e, DataFormatError) and str(e) == "/d/a.jpg:3: corrupt image"
    assert (e.path, e.problem, e.line) == ("/d/a.jpg", "corrupt image", 3)
    m = pickle.loads(pickle.dumps(MissingDependencyError("decord", "video")))
    assert str(m) == str(MissingDependencyError("decord", "video"))


def test_entrypoint_output_into_a_closed_pipe_is_quiet():
    """`some-cli ... | head -1`: the reader leaves early; no BrokenPipe traceback, status 141."""
    import subprocess
    import sys

    code = ("import sys\nfrom pkg_shared.cli import entrypoint\n"
            "@entrypoint(prog='tool-y')\n"
            "def main(argv):\n"
            "    for i in range(200000):\n"
            "        print('line', i)\n"
            "sys.exit(main([]))\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # like `head -1` exiting
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, err
    assert first == b"line 0\n"
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_missing_dependency_names_the_pip_distribution_and_the_checkout_extra():
    from pkg_shared.errors import MissingDependencyError

    msg = str(MissingDependencyError("cv2", "video"))
    assert "`pip install opencv-python`" in msg and "pip install './shared[video]'" in msg
    msg = str(MissingDependencyError("faiss", "faiss", "pkg-reid"))
    assert "`pip install faiss-cpu`" in msg and "pip install './packages/reid[faiss]'" in msg
    assert "`pip install av`" in str(MissingDependencyError("av", "pyav", "pkg-video"))
