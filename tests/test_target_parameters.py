"""The parameters of a `_target_` class read from its source agree with Python's own view of the imported class."""

import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from gansuite_testing import ROOT
from omegaconf import OmegaConf

from gansuite.commands.target_parameters import init_parameters


def config_targets() -> list[str]:
    """Every `_target_` named in conf/."""
    targets: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("_target_"), str):
                targets.add(node["_target_"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in (ROOT / "conf").rglob("*.yaml"):
        walk(OmegaConf.to_container(OmegaConf.load(path), resolve=False))
    return sorted(targets)


def explicit(cls: type) -> set[str]:
    """The named parameters of `cls`'s constructor as `inspect` sees the imported class."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {name for name, p in inspect.signature(cls).parameters.items() if p.kind in kinds}


def test_every_config_class_reads_as_inspect_sees_it_imported():
    """For each class of conf/ the source reading answers for: every parameter `inspect` shows is there, and a
    class taking **kwargs adds its base's (what `super().__init__(**kwargs)` passes on)."""
    answered = 0
    for target in config_targets():
        module, _, name = target.rpartition(".")
        obj = getattr(importlib.import_module(module), name)
        taken = init_parameters(target)
        if taken is None or not inspect.isclass(obj):
            continue
        answered += 1
        assert explicit(obj) <= taken, target
        own = {p.kind for p in inspect.signature(obj).parameters.values()}
        if inspect.Parameter.VAR_KEYWORD in own:
            assert explicit(obj.__mro__[1]) <= taken, target
        else:
            assert taken == explicit(obj), target
    assert answered >= 20  # the networks, modules, callbacks, losses and Lightning's Trainer


def test_lightning_trainer_is_found_through_its_reexports_without_importing_torch():
    code = (
        "import sys; from gansuite.commands.target_parameters import init_parameters; "
        "taken = init_parameters('lightning.Trainer'); "
        "print('num_nodes' in taken, 'lr' in taken, 'torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "False", "False"]


def test_relative_reexports_and_unknowable_signatures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    package = tmp_path / "pkg_for_targets"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from .sub import Thing\nfrom .sub.impl import Loose, Plain as Renamed\n")
    (package / "sub" / "__init__.py").write_text("from .impl import Thing\n")
    (package / "sub" / "impl.py").write_text(
        "class Base:\n    def __init__(self, a, *, b=1):\n        pass\n"
        "class Thing(Base):\n    def __init__(self, c, **rest):\n        super().__init__(**rest)\n"
        "class Loose(dict):\n    def __init__(self, **anything):\n        pass\n"
        "class Plain(Base):\n    pass\n"
        "def make(x):\n    return x\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert init_parameters("pkg_for_targets.Thing") == {"a", "b", "c"}
    assert init_parameters("pkg_for_targets.sub.impl.Plain") == {"a", "b"}  # inherited
    assert init_parameters("pkg_for_targets.Renamed") == {"a", "b"}  # re-exported under another name
    assert init_parameters("pkg_for_targets.Loose") is None  # **kwargs passed to a base outside its source
    assert init_parameters("pkg_for_targets.sub.impl.make") is None  # a function, not a class
    assert init_parameters("pkg_for_targets.Missing") is None
    assert init_parameters("no_such_package_here.Thing") is None
