import dataclasses
import pathlib
from typing import Literal

import pytest

from pkg_shared.config import apply_overrides, dump_yaml, from_dict, load_config, read_yaml, to_dict
from pkg_shared.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Optim:
    lr: float = 0.1
    milestones: tuple[int, ...] = (30, 60)
    name: Literal["sgd", "adam"] = "sgd"


@dataclasses.dataclass(frozen=True)
class Train:
    epochs: int = 10
    optim: Optim = dataclasses.field(default_factory=Optim)
    root: pathlib.Path | None = None
    tags: list[str] = dataclasses.field(default_factory=list)
    amp: bool = False


def test_defaults_and_nested_mapping():
    cfg = from_dict(Train, {"epochs": 3, "optim": {"lr": 1, "milestones": [5]}})
    assert cfg.epochs == 3
    assert cfg.optim.lr == 1.0 and isinstance(cfg.optim.lr, float)
    assert cfg.optim.milestones == (5,)
    assert cfg.optim.name == "sgd"


def test_unknown_key_is_an_error_naming_the_key():
    with pytest.raises(ConfigError, match=r"optim\.lrr"):
        from_dict(Train, {"optim": {"lrr": 0.1}})


@pytest.mark.parametrize(
    "data, fragment",
    [
        ({"epochs": "ten"}, "epochs: expected an integer"),
        ({"epochs": True}, "epochs: expected an integer"),
        ({"amp": "yes"}, "amp: expected true or false"),
        ({"optim": {"name": "rmsprop"}}, "optim.name: expected one of"),
        ({"optim": {"milestones": 5}}, "optim.milestones: expected a list"),
        ({"optim": 3}, "optim: expected a mapping"),
    ],
)
def test_type_errors(data, fragment):
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.")):
        from_dict(Train, data)


def test_yaml_then_overrides(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("epochs: 5\noptim:\n  lr: 0.5\n")
    cfg = load_config(Train, p, ["optim.lr=0.01", "root=/data", "tags=[a, b]", "optim.name=adam"])
    assert cfg.epochs == 5 and cfg.optim.lr == 0.01 and cfg.optim.name == "adam"
    assert cfg.root == pathlib.Path("/data") and cfg.tags == ["a", "b"]


def test_override_errors():
    with pytest.raises(ConfigError, match="key.sub=value"):
        apply_overrides({}, ["novalue"])
    with pytest.raises(ConfigError, match="not a section"):
        apply_overrides({"epochs": 3}, ["epochs.x=1"])


def test_yaml_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(Train, tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("epochs: [1,\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(Train, bad)
    lst = tmp_path / "list.yaml"
    lst.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(Train, lst)


def test_round_trip_through_yaml(tmp_path):
    cfg = from_dict(Train, {"epochs": 7, "root": "/x", "optim": {"milestones": [1, 2]}})
    path = tmp_path / "out.yaml"
    dump_yaml(cfg, path)
    again = load_config(Train, path)
    assert again == cfg
    assert to_dict(cfg)["root"] == "/x"


def test_exponent_floats_from_overrides():
    cfg = load_config(Train, None, ["optim.lr=1e-3"])
    assert cfg.optim.lr == pytest.approx(0.001)
    with pytest.raises(ConfigError, match="expected a number"):
        load_config(Train, None, ["optim.lr=fast"])


def test_recipes_by_name_or_path(tmp_path):
    from pkg_shared.config import recipe_names, resolve_recipe

    pkg = tmp_path / "fakepkg_recipes"
    (pkg / "configs").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "configs" / "__init__.py").write_text("")
    (pkg / "configs" / "paper.yaml").write_text("epochs: 3\n")
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        assert recipe_names("fakepkg_recipes") == ["paper"]
        assert resolve_recipe("paper", "fakepkg_recipes").read_text() == "epochs: 3\n"
        assert resolve_recipe("paper.yaml", "fakepkg_recipes").name == "paper.yaml"
        own = tmp_path / "mine.yaml"
        own.write_text("epochs: 1\n")
        assert resolve_recipe(own, "fakepkg_recipes") == own
        assert resolve_recipe(None, "fakepkg_recipes") is None
        with pytest.raises(ConfigError, match=r"not a shipped recipe \(paper\)"):
            resolve_recipe("nope", "fakepkg_recipes")
    finally:
        sys.path.remove(str(tmp_path))


def test_yaml_syntax_error_is_one_line_with_its_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(ConfigError) as info:
        read_yaml(p)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(f"{p}:") and "not valid YAML" in msg
    line = int(msg[len(str(p)) + 1:].split(":")[0])
    assert line in (2, 3, 4)  # PyYAML marks where it noticed the unclosed list, after its start
    b = tmp_path / "binary.yaml"
    b.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="binary.yaml: not a text"):
        read_yaml(b)


def test_load_yaml_file_any_document_and_one_line_errors(tmp_path):
    from pkg_shared.config import load_yaml_file

    good = tmp_path / "w.yaml"
    good.write_text("[16, 32]\n")
    assert load_yaml_file(good) == [16, 32]
    bad = tmp_path / "bad.yaml"
    bad.write_text("[1, 2\n")
    with pytest.raises(ConfigError) as e:
        load_yaml_file(bad)
    assert str(e.value).startswith(f"{bad}:2: not valid YAML") and "\n" not in str(e.value)
    with pytest.raises(ConfigError, match="widths file not found"):
        load_yaml_file(tmp_path / "none.yaml", "widths file")
