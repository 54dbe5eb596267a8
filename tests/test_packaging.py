"""The built wheel, installed (not editable) into a fresh venv, trains and samples from a folder outside the checkout
with its console scripts and the configs it carries, and takes a user's own config folder through Hydra's search
path. The fresh venv sees this venv's site-packages (a .pth line, added after its own), so torch and the other
dependencies are not installed twice; gansuite itself comes from the wheel alone (checked)."""

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from gansuite_testing import HANG_GUARD_S, ROOT

from gansuite.artifacts.checkpoints import read_checkpoint

QUIET_RUN = ["logger=csv", "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"]


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # nothing of the checkout on the path
    environment["WANDB_MODE"] = "offline"
    result = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


def build_wheel(tmp_path: Path) -> Path:
    """`python -m build --wheel` of a copy of the sources (the build writes build/ and *.egg-info beside them)."""
    source = tmp_path / "source"
    for name in ("pyproject.toml", "README.md"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, source / name)
    for name in ("src", "conf"):
        shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=shutil.ignore_patterns("*.egg-info"))
    run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path / "dist")], source)
    (wheel,) = (tmp_path / "dist").glob("gansuite-*.whl")
    return wheel


@pytest.mark.slow
def test_the_installed_wheel_trains_from_anywhere_with_its_own_configs(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    shipped = {name.removeprefix("gansuite/conf/") for name in names if name.startswith("gansuite/conf/")}
    assert shipped == {str(path.relative_to(ROOT / "conf")) for path in (ROOT / "conf").rglob("*.yaml")}

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    python = venv / "bin" / "python"
    site_packages = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path)
    (Path(site_packages.stdout.strip()) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)], tmp_path)

    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "my_conf" / "model").mkdir(parents=True)
    origin = run([str(python), "-c", "import gansuite; print(gansuite.__file__)"], elsewhere).stdout
    assert origin.startswith(str(venv)), origin

    # A user's config folder on Hydra's search path: a model of their own on top of the shipped WGAN-GP config (one
    # run for both: the shipped config gives the networks, the loss and the penalty, the user's file n_critic).
    (elsewhere / "my_conf" / "model" / "my_wgan.yaml").write_text("defaults:\n  - wgan\nn_critic: 2\n")
    user = ["model=my_wgan", "hydra.searchpath=[file://my_conf]", "steps=3", "hydra.run.dir=runs/wgan"]
    run([str(venv / "bin" / "gansuite-train"), *user, *QUIET_RUN], elsewhere)
    checkpoint = elsewhere / "runs" / "wgan" / "checkpoints" / "last.ckpt"
    trained = read_checkpoint(checkpoint)
    assert trained["global_step"] == 3 * 3  # 2 critic steps and a generator step per update
    assert trained["gansuite"]["config"]["loss"]["_target_"].endswith("WassersteinLoss")  # the shipped wgan's
    assert "gp" in trained["gansuite"]["config"]["regularizers"]

    out = elsewhere / "grid"
    run([str(venv / "bin" / "gansuite-sample"), f"ckpt_path={checkpoint}", "n=16", f"out={out}"], elsewhere)
    assert out.with_suffix(".png").is_file() and out.with_suffix(".npz").is_file()
    exported = run([str(venv / "bin" / "gansuite-export"), "ckpt_path=runs/wgan", "format=torchscript"], elsewhere)
    assert "max |torchscript - PyTorch|" in exported.stdout
    assert (elsewhere / "runs" / "wgan" / "export" / "generator.pt").is_file()
