"""Checkpoints written before a rename still load, sample and resume (artifacts.checkpoints.upgrade_checkpoint).

tests/fixtures/stylegan2_written_before_generator_regularizers.ckpt was written by the code before the path-length
penalty became a generator regularizer and the objective's modules moved into gansuite.objective (commit 28f6fa2): a
tiny StyleGAN2, 4 generator updates on MNIST at 8 px, with `model.pl_every=2`, its running mean as the module's
`pl_mean` buffer, and `_target_: gansuite.losses.NonSaturatingLoss` (and the like) in its run config.
"""

import shutil
from pathlib import Path

import torch
from gansuite_testing import QUIET, compose_config

from gansuite.artifacts.checkpoints import read_checkpoint
from gansuite.commands import sample
from gansuite.modules.loading import load_module
from gansuite.run.train import train

FIXTURE = Path(__file__).parent / "fixtures" / "stylegan2_written_before_generator_regularizers.ckpt"
PL_MEAN_THEN = 0.009057101793587208  # its pl_mean, read with the code of that commit
SIZES = [
    "model=stylegan2", "data=mnist", "data.image_size=8", "data.batch_size=4", "model.latent_dim=8",
    "model.generator.w_dim=8", "model.generator.mapping_layers=2", "model.generator.channel_base=64",
    "model.generator.channel_max=8", "model.discriminator.channel_base=64", "model.discriminator.channel_max=8",
]  # fmt: skip


def test_the_old_path_length_settings_and_mean_read_in_todays_names() -> None:
    checkpoint = read_checkpoint(FIXTURE)
    assert "pl_mean" not in checkpoint["state_dict"]
    assert float(checkpoint["state_dict"]["generator_regularizers.path_length.mean"]) == PL_MEAN_THEN
    model = checkpoint["gansuite"]["config"]["model"]
    assert not any(key.startswith("pl_") for key in model)
    config = checkpoint["gansuite"]["config"]
    assert config["loss"]["_target_"] == "gansuite.objective.losses.NonSaturatingLoss"
    assert config["regularizers"]["r1"]["_target_"] == "gansuite.objective.regularizers.R1"
    assert config["model"]["schedule_g"]["_target_"] == "gansuite.objective.schedules.OptimizerSchedule"
    assert config["trainer"]["plugins"][0]["_target_"] == "gansuite.artifacts.checkpoint_io.AtomicCheckpointIO"
    settings = checkpoint["gansuite"]["config"]["generator_regularizers"]["path_length"]
    assert (settings["weight"], settings["every"], settings["decay"], settings["batch_shrink"]) == (2.0, 2, 0.01, 2)


def test_an_old_checkpoint_loads_and_samples(tmp_path: Path) -> None:
    module, _ = load_module(FIXTURE)
    regularizer = module.generator_regularizers["path_length"]
    assert regularizer.every == 2 and float(regularizer.mean) == PL_MEAN_THEN
    out = sample.main([f"ckpt_path={FIXTURE}", "n=4", f"out={tmp_path / 'grid'}"])
    assert out.with_suffix(".png").is_file()


def test_an_old_checkpoint_resumes_with_todays_options(tmp_path: Path, data_dir: Path) -> None:
    ckpt = tmp_path / "old.ckpt"
    shutil.copy(FIXTURE, ckpt)
    options = ["generator_regularizers.path_length.every=2", "steps=6", "metrics=none", "logger=csv", *QUIET]
    train(compose_config([*SIZES, *options, f"ckpt_path={ckpt}"], tmp_path / "run"))
    resumed = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=True)
    assert resumed["global_step"] == 12  # 4 updates restored + 2 more, two optimizer steps each
    assert float(resumed["state_dict"]["generator_regularizers.path_length.mean"]) != PL_MEAN_THEN  # it went on
