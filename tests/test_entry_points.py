"""Every entry point answers a bad argument, and --help, before importing torch or Lightning (which take seconds): the
modules it imported are read from `python -X importtime`, and the answer comes within a generous 5 seconds (~0.2 s
here); an option of an extra that is not installed is answered with the extra to install. --help is asked of every
script in scripts/, so a new one is held to it too."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gansuite_testing import ROOT

BAD_ARGUMENTS = [
    ("train.py", ["seed=abc"]),
    ("scripts/sample.py", ["n=0"]),
    ("scripts/translate.py", ["foo=1"]),
    ("scripts/translate.py", ["ckpt_path=x.ckpt", "input=a", "output=b", "resize=maybe"]),
    ("scripts/evaluate.py", ["ckpt_path=x.ckpt", "metrics=none"]),
    ("scripts/export.py", ["ckpt_path=x.ckpt", "format=bad"]),
    ("scripts/report.py", []),
    ("scripts/project.py", ["ckpt_path=x.ckpt", "target=t.png", "space=q"]),
    ("scripts/cas.py", ["num=0"]),
    ("scripts/dataset.py", ["pack", "no-such-folder", "packed", "--size", "0"]),
    ("scripts/train_classifier.py", ["data=foo"]),
    ("scripts/train_classifier.py", ["data=cifar10_subset"]),  # composes, but has no classifier to train
    ("scripts/same_losses.py", ["old=no-such-checkout"]),
    ("scripts/bench_conditional.py", ["row=nope"]),
    ("scripts/bench_frechet.py", ["sizes=64"]),
    ("scripts/bench_fullsize.py", ["cyclegan=no-such.ckpt"]),
    ("scripts/bench_install.py", ["extra"]),
    ("scripts/bench_loggers.py", ["0"]),
    ("scripts/bench_metrics.py", ["--num-fake", "0"]),
    ("scripts/bench_mnist.py", ["model.generator.conv.widht=32"]),  # a key the config lacks
    ("scripts/bench_overhead.py", ["--chunk", "0"]),
    ("scripts/bench_packed.py", ["--images", "0"]),
    ("scripts/bench_paired.py", ["steps=0"]),  # composes; refused by the config's validation
    ("scripts/bench_projection.py", ["ckpt_path=x.ckpt", "n=0"]),
    ("scripts/bench_recipes.py", ["recipe=nope"]),
    ("scripts/bench_reliability.py", ["--files", "0"]),
    ("scripts/bench_speed.py", ["--variants", "fast"]),
    ("scripts/bench_startup.py", ["seed=["]),  # an override Hydra cannot read
    ("scripts/bench_stylegan2.py", ["dcgan:model=nope"]),
    ("scripts/bench_toy.py", ["seeds=0"]),
    ("scripts/benchmark_cyclegan.py", ["--bogus"]),
]
HELP_ENTRIES = ["train.py", *(f"scripts/{path.name}" for path in sorted(ROOT.glob("scripts/*.py")))]
SLOW_MODULES = ("torch", "lightning", "torchvision", "matplotlib")


@pytest.mark.parametrize(("entry", "arguments"), BAD_ARGUMENTS)
def test_a_bad_argument_is_answered_before_the_heavy_imports(entry: str, arguments: list[str]) -> None:
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(ROOT / entry), *arguments], capture_output=True, text=True, cwd=ROOT
    )
    seconds = time.monotonic() - start
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert result.returncode == 2 and len(errors) == 1, result.stderr[-2000:]
    timings = [line for line in result.stderr.splitlines() if line.startswith("import time")]
    imported = {line.rpartition("|")[2].strip() for line in timings}
    assert not imported & set(SLOW_MODULES), f"{entry} imported {sorted(imported & set(SLOW_MODULES))} first"
    assert seconds < 5, f"{entry} took {seconds:.1f} s to answer {arguments}"


@pytest.mark.parametrize("entry", HELP_ENTRIES)
def test_help_is_answered_before_the_heavy_imports(entry: str) -> None:
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(ROOT / entry), "--help"], capture_output=True, text=True, cwd=ROOT
    )
    seconds = time.monotonic() - start
    assert result.returncode == 0 and Path(entry).stem in result.stdout, result.stderr[-2000:]  # its help names it
    imported = {line.rpartition("|")[2].strip() for line in result.stderr.splitlines() if line.startswith("import")}
    assert not imported & set(SLOW_MODULES), f"{entry} imported {sorted(imported & set(SLOW_MODULES))} first"
    assert seconds < 5, f"{entry} took {seconds:.1f} s to answer --help"


def test_train_help_is_hydras_help_without_hydras_wait(tmp_path: Path) -> None:
    """train.py answers --help itself (Hydra's lists the groups through its config loader: seconds); the text is
    the one Hydra prints for the same config and overrides, from a Hydra app that runs nothing."""
    app = tmp_path / "train.py"
    app.write_text(
        "import hydra\nfrom gansuite.conf_dir import CONFIG_DIR\n\n\n"
        '@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")\n'
        "def nothing(cfg):\n    pass\n\n\nnothing()\n"
    )
    arguments = ["--help", "model=dcgan", "steps=7"]
    hydras = subprocess.run([sys.executable, str(app), *arguments], capture_output=True, text=True, cwd=tmp_path)
    ours = subprocess.run([sys.executable, str(ROOT / "train.py"), *arguments], capture_output=True, text=True)
    assert hydras.returncode == ours.returncode == 0
    assert "model: cyclegan, dcgan" in ours.stdout and "steps: 7" in ours.stdout
    assert ours.stdout == hydras.stdout


def test_a_valid_training_command_says_so_before_the_heavy_imports(tmp_path: Path) -> None:
    """The first line of `python train.py` comes before torch is imported (then the seconds of waiting have a
    reason on screen); the run is stopped there."""
    command = [sys.executable, "-X", "importtime", str(ROOT / "train.py"), f"hydra.run.dir={tmp_path / 'run'}"]
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    imported = set()
    try:
        for line in process.stdout:
            if line.startswith("import time"):
                imported.add(line.rpartition("|")[2].strip())
            elif line.strip() == "loading PyTorch and Lightning":
                break
        else:
            raise AssertionError("train.py never said it was loading PyTorch and Lightning")
    finally:
        process.kill()
        process.wait()
    assert not imported & set(SLOW_MODULES), f"imported {sorted(imported & set(SLOW_MODULES))} before the first line"
    assert time.monotonic() - start < 5


def site_packages_without(plugin: str, folder: Path) -> Path:
    """A copy of this environment's site-packages, as links, that lacks one Hydra plugin: an install without that
    extra, for a `python -S` whose PYTHONPATH is the copy (Hydra finds its plugins by scanning `hydra_plugins`)."""
    import hydra_plugins

    site = Path(next(iter(hydra_plugins.__path__))).parent
    (folder / "hydra_plugins").mkdir(parents=True)
    for entry in site.iterdir():
        if entry.name != "hydra_plugins":
            (folder / entry.name).symlink_to(entry)
    for entry in (site / "hydra_plugins").iterdir():
        if entry.name != plugin:
            (folder / "hydra_plugins" / entry.name).symlink_to(entry)
    return folder


@pytest.mark.parametrize(
    ("plugin", "arguments", "extra"),
    [
        ("hydra_optuna_sweeper", ["hparams_search=optuna"], "sweeps"),
        ("hydra_submitit_launcher", ["-m", "hydra/launcher=slurm"], "slurm"),
    ],
)
def test_a_plugin_of_an_extra_not_installed_is_asked_for_by_name(
    tmp_path: Path, plugin: str, arguments: list[str], extra: str
) -> None:
    site = site_packages_without(plugin, tmp_path / "site-packages")
    path = os.pathsep.join([str(site), str(ROOT / "src")])
    environment = {**os.environ, "PYTHONPATH": path}
    command = [sys.executable, "-S", str(ROOT / "train.py"), *arguments, f"hydra.run.dir={tmp_path / 'run'}"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=environment)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [
        f"error: {arguments[-1]} needs {PLUGINS[plugin]}, an optional part of gansuite: pip install "
        f"'gansuite[{extra}]' (in a checkout: pip install -e '.[{extra}]')"
    ]
    # With the plugin installed, the same option composes: Hydra's config names the plugin's class.
    options = [argument for argument in arguments if argument != "-m"]
    installed = subprocess.run(
        [sys.executable, str(ROOT / "train.py"), *options, "--cfg", "hydra"], capture_output=True, text=True, cwd=ROOT
    )
    assert installed.returncode == 0 and f"_target_: hydra_plugins.{plugin}." in installed.stdout, installed.stderr


PLUGINS = {
    "hydra_optuna_sweeper": "the Optuna sweeper (hydra-optuna-sweeper)",
    "hydra_submitit_launcher": "the submitit launcher (hydra-submitit-launcher)",
}
