"""The one home of the test suite's shared setup: the repository root, the offline data folder, Hydra composition of
the real conf/, the tiny network sizes every test trains with, and the deadline that only guards against hangs.

Importable from every test folder (pyproject.toml puts tests/ on pytest's pythonpath). A module of its own, not
conftest.py: the test folders have conftest files of their own, and `import conftest` would find whichever came first
on sys.path.
"""

import os
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra_config_cache import keep_loaded_configs
from omegaconf import DictConfig

ROOT = Path(__file__).resolve().parents[1]
# CI sets GANSUITE_DATA_DIR to ../shared/data; a developer's checkout has the same folder beside it.
DATA_DIR = Path(os.environ.get("GANSUITE_DATA_DIR", ROOT.parent / "shared" / "data"))

# A deadline for subprocesses and waits that only protects against a hang. Never a measure of speed: a test checks
# what a run does, however long a busy machine makes it take, so this is set far above any run's time.
HANG_GUARD_S = 3 * 3600

# No progress bar or model summary in the captured output.
QUIET = ["trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"]
# Every batch in the loggers: what a test that reads the CSV log of a run of a few updates needs.
LOG_EVERY_BATCH = ["trainer.log_every_n_steps=1"]
# Tiny networks: a generator update takes milliseconds on a 2-core CPU. The MLPs leave latent_dim to the model (the
# Optuna search of conf/hparams_search samples it); the conv nets (DCGAN, WGAN on images) have latent_dim 16.
TINY_MLP = ["model.generator.mlp.width=32", "model.discriminator.mlp.width=32"]
TINY_CONV = ["model.generator.conv.width=8", "model.discriminator.conv.width=8", "model.latent_dim=16"]
TINY_RESNET = ["model.generator.resnet.width=8", "model.discriminator.resnet.width=8", "model.latent_dim=16"]
TINY_CYCLEGAN = ["model=cyclegan", "model.generator.ngf=4", "model.generator.num_blocks=1", "model.discriminator.ndf=4"]
# A small sample of the default toy data (ring8) and a cheap mode-coverage evaluation.
TINY_TOY = ["data.num_samples=1024", "data.batch_size=64", "metrics.num_samples=500"]


def compose_config(
    overrides: list[str], output_dir: Path, config_name: str = "config", *, return_hydra_config: bool = False
) -> DictConfig:
    """The config `python train.py <overrides>` would run (or conf/<config_name>.yaml's script), with its outputs in
    `output_dir` and its data in DATA_DIR (either can be overridden); `return_hydra_config` adds the `hydra` node.
    A training run logs to CSV only unless the test names its loggers: W&B's offline start costs about a second a
    run, and the tests whose subject it is (tests/ops) say `logger=...` (lightning-hydra-template's tests drop the
    logger for the same reason). Hydra reads each file of conf/ once per test process (hydra_config_cache.py)."""
    keep_loaded_configs()
    if config_name == "config" and not any(o.startswith(("logger=", "logger.", "+logger")) for o in overrides):
        overrides = ["logger=csv", *overrides]
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose(
            config_name,
            overrides=[f"paths.output_dir={output_dir}", f"paths.data_dir={DATA_DIR}", *overrides],
            return_hydra_config=return_hydra_config,
        )


def require_data_dir() -> Path:
    """The shared data folder, or a failure (never a skip) naming the variable that points at it."""
    if not (DATA_DIR / "MNIST").is_dir():
        pytest.fail(f"test data missing in {DATA_DIR}: set GANSUITE_DATA_DIR to the shared/data folder")
    return DATA_DIR


def readme_offline_commands() -> list[str]:
    """The README's `python train.py ...` lines marked `# offline`, without the comment, each once: the commands
    that must run offline as written (test_train_core.py runs them)."""
    lines = (ROOT / "README.md").read_text().splitlines()
    commands = [line.partition("#")[0].split() for line in lines if "# offline" in line]
    return list(dict.fromkeys(" ".join(c) for c in commands if c[:2] == ["python", "train.py"]))


TINY_PIX2PIX = ["model=pix2pix", "model.generator.ngf=4", "model.discriminator.ndf=4"]
TINY_SRGAN = [
    "model=srgan",
    "model.content=pixel",
    "model.generator.width=8",
    "model.generator.num_blocks=2",
    "model.discriminator.width=8",
    "model.discriminator.dense=16",
]
TINY_STYLEGAN2 = [
    "model=stylegan2", "model.latent_dim=8", "model.generator.w_dim=8", "model.generator.mapping_layers=2",
    "model.generator.channel_base=128", "model.generator.channel_max=8", "model.discriminator.channel_base=128",
    "model.discriminator.channel_max=8", "generator_regularizers.path_length.every=2", "regularizers.r1.every=2",
    "regularizers.r1.gamma=0.01",
]  # fmt: skip
