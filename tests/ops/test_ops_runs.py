"""One W&B-offline run killed after its checkpoints and resumed, as users do it; then sampling from it."""

import contextlib
import json
import os
import signal
import subprocess
import time

import numpy as np
import pytest
import torch
from gansuite_testing import HANG_GUARD_S, ROOT
from ops_helpers import environment, run, train_command, wandb_records

import gansuite
from gansuite.modules.loading import load_module
from gansuite.run.resume import checkpoint_to_resume, expand_resume

RESUMED_STEPS = 15


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("resume")
    run_dir, env = tmp / "run", environment(tmp)
    first = train_command(
        f"hydra.run.dir={run_dir}",
        "steps=100000",
        "model.ema_decay=0.9",
        "callbacks.model_checkpoint.every_n_updates=5",
        "callbacks.sample_grid.every_n_updates=5",
        "metrics.every_n_updates=5",
        "trainer.log_every_n_steps=1",
        "+logger.csv.flush_logs_every_n_steps=1",
    )
    log = tmp / "first.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            first, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        # The 10th-update checkpoint has started, so the 5th is complete: kill the run (and its W&B process) now.
        deadline = time.monotonic() + HANG_GUARD_S  # a hang guard only: the run's progress is what is waited for
        try:
            while not (run_dir / "checkpoints" / "gen_step_000010.ckpt").exists():
                assert process.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, f"no checkpoint after {HANG_GUARD_S} s"
                time.sleep(0.05)
        finally:
            with contextlib.suppress(ProcessLookupError):  # gone already when the run failed by itself
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    killed_csv = (run_dir / "csv" / "metrics.csv").read_text()
    resumed = run(
        train_command(
            f"resume={run_dir}", f"ckpt_path={run_dir}/checkpoints/gen_step_000005.ckpt", f"steps={RESUMED_STEPS}"
        ),
        env,
    )
    return {"run_dir": run_dir, "first_output": log.read_text(), "killed_csv": killed_csv, "resumed": resumed}


@pytest.mark.slow
def test_wandb_logs_offline_into_the_run_dir_without_an_api_key(killed_and_resumed):
    run_dir = killed_and_resumed["run_dir"]
    assert "W&B offline (no W&B API key" in killed_and_resumed["first_output"]
    assert f"wandb sync {run_dir}/wandb/offline-run-*" in killed_and_resumed["first_output"]
    run_id = (run_dir / "wandb_run_id").read_text().strip()
    offline_runs = sorted((run_dir / "wandb").glob(f"offline-run-*-{run_id}"))
    assert len(offline_runs) == 2  # the killed run and its resumption: one W&B run id

    records = wandb_records(offline_runs[-1] / f"run-{run_id}.wandb")
    run_record = next(r.run for r in records if r.WhichOneof("record_type") == "run")
    assert run_record.run_id == run_id and run_record.project == "gansuite" and run_record.run_group == "train"
    assert list(run_record.tags) == ["model=gan", "loss=nonsaturating", "data=ring8"]
    config = {u.key: json.loads(u.value_json) for r in records if r.HasField("config") for u in r.config.update}
    assert config["model"]["ema_decay"] == 0.9 and config["steps"] == RESUMED_STEPS  # the composed config
    logged = {u.key or "/".join(u.nested_key) for r in records if r.HasField("history") for u in r.history.item}
    assert {"train/d_loss", "train/g_loss", "val/kl", "grad_norm/generator", "grad_norm/discriminator"} <= logged
    assert "samples/filenames" in logged  # the toy plots
    assert list((offline_runs[-1] / "files" / "media" / "images").glob("samples_*.png"))


@pytest.mark.slow
def test_resume_continues_counters_optimizer_states_and_ema(killed_and_resumed):
    run_dir = killed_and_resumed["run_dir"]
    checkpoint = torch.load(checkpoint_to_resume(run_dir), weights_only=False)  # the newest last*.ckpt
    assert checkpoint["global_step"] == 2 * RESUMED_STEPS  # one D and one G step per update
    # Adam's step counts and the EMA's average count span both runs: restored, not restarted at the resume.
    for optimizer in checkpoint["optimizer_states"]:
        assert {int(state["step"]) for state in optimizer["state"].values()} == {RESUMED_STEPS}
    assert int(checkpoint["state_dict"]["ema_generator.n_averaged"]) == RESUMED_STEPS
    assert json.loads((run_dir / "metrics.json").read_text())["generator_updates"] == RESUMED_STEPS


@pytest.mark.slow
def test_resume_from_an_earlier_checkpoint_leaves_one_truth(killed_and_resumed):
    """The README's resume from gen_step 5 of a run killed after gen_step 10: last.ckpt is the resumed branch's,
    nothing is versioned beside it, and the abandoned branch's files are kept aside, out of every reader's way."""
    folder = killed_and_resumed["run_dir"] / "checkpoints"
    names = sorted(path.name for path in folder.glob("*.ckpt"))
    assert names == ["gen_step_000005.ckpt", "gen_step_000010.ckpt", "gen_step_000015.ckpt", "last.ckpt"]
    assert checkpoint_to_resume(killed_and_resumed["run_dir"]) == folder / "last.ckpt"
    assert torch.load(folder / "last.ckpt", weights_only=False)["global_step"] == 2 * RESUMED_STEPS
    loaded = gansuite.load(killed_and_resumed["run_dir"])
    assert loaded.checkpoint_path == folder / "last.ckpt"
    (aside,) = folder.glob("abandoned-*")
    assert {path.name for path in aside.iterdir()} >= {"last.ckpt"}  # and gen_step_000010 unless killed before it
    assert f"moved to {aside}" in killed_and_resumed["resumed"].stderr


@pytest.mark.slow
def test_resume_appends_to_the_metrics_log(killed_and_resumed):
    run_dir = killed_and_resumed["run_dir"]
    killed_rows = killed_and_resumed["killed_csv"].splitlines()
    rows = (run_dir / "csv" / "metrics.csv").read_text().splitlines()
    header = rows[0].split(",")
    steps = [
        float(row.split(",")[header.index("gen_step")]) for row in rows[1:] if row.split(",")[header.index("gen_step")]
    ]
    assert len(killed_rows) > 8 and rows[1 : len(killed_rows)] == killed_rows[1:]  # the first run's rows kept
    assert max(steps) == RESUMED_STEPS and 1.0 in steps
    # The wall clock continues from the checkpoint's (update 5), not from 0: every resumed row is later than it.
    wall = header.index("time/wall_s")
    at_five = torch.load(run_dir / "checkpoints" / "gen_step_000005.ckpt", weights_only=False)["wall_seconds"]
    resumed_walls = [float(row.split(",")[wall]) for row in rows[len(killed_rows) :] if row.split(",")[wall]]
    assert resumed_walls and min(resumed_walls) > at_five > 0


@pytest.mark.slow
def test_resume_without_a_checkpoint_is_a_one_line_error_whose_way_out_works(tmp_path, env):
    """A run that stopped before its first checkpoint (what a failed start leaves): resume= and a new run in the
    same folder both say how to get out, and the way they name (remove the folder) works."""
    run_dir = tmp_path / "run"
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "overrides.yaml").write_text("[]\n")
    (run_dir / ".hydra" / "config.yaml").write_text("{}\n")
    result = subprocess.run(
        train_command(f"resume={run_dir}"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=HANG_GUARD_S
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: resume={run_dir}: there is no {run_dir}/checkpoints/last.ckpt (the run stopped before its first "
        f"checkpoint); start it again elsewhere without resume= (or remove {run_dir} first), or pass "
        "ckpt_path=<checkpoint> with resume="
    ]
    again = train_command(f"hydra.run.dir={run_dir}", "steps=2")
    result = subprocess.run(again, cwd=ROOT, env=env, capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert result.returncode == 2
    assert f"stopped before its first checkpoint ({run_dir}/.hydra/config.yaml): remove it (rm -r {run_dir})" in (
        result.stderr
    )
    subprocess.run(["rm", "-r", str(run_dir)], check=True)
    run(again, env)
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()


@pytest.mark.slow
def test_sample_script_writes_grid_and_samples_of_the_ema_generator(killed_and_resumed, tmp_path, env):
    ckpt = checkpoint_to_resume(killed_and_resumed["run_dir"])
    run(train_command(f"ckpt_path={ckpt}", "n=16", f"out={tmp_path / 'grid'}", script="scripts/sample.py"), env)
    saved = np.load(tmp_path / "grid.npz")
    assert saved["samples"].shape == (16, 2) and (tmp_path / "grid.png").stat().st_size > 0
    module, _ = load_module(ckpt)
    with torch.no_grad():
        expected = module.ema_generator.module.eval()(torch.from_numpy(saved["latents"]))
    torch.testing.assert_close(torch.from_numpy(saved["samples"]), expected)  # the EMA weights, not the raw ones
    assert not torch.allclose(expected, module.generator.eval()(torch.from_numpy(saved["latents"])))

    command = [f"ckpt_path={ckpt}", "interpolate=true", "rows=2", "steps=5", f"out={tmp_path / 'strip'}"]
    run(train_command(*command, script="scripts/sample.py"), env)
    strip = np.load(tmp_path / "strip.npz")
    assert strip["samples"].shape == (10, 2) and (tmp_path / "strip.png").stat().st_size > 0
    latents = torch.from_numpy(strip["latents"]).view(2, 5, -1)
    # Spherical, not straight: every point stays near the endpoints' norm (a straight line's midpoint of two
    # near-orthogonal Gaussian latents has about 1/sqrt(2) of it).
    norms = latents.norm(dim=-1)
    assert (norms[:, 1:-1] > 0.9 * norms[:, [0, -1]].min(dim=1, keepdim=True).values).all()


def test_resume_expands_to_the_recorded_overrides_then_the_new_ones(tmp_path):
    (tmp_path / ".hydra").mkdir()
    (tmp_path / ".hydra" / "overrides.yaml").write_text("[model=wgan, steps=100, hparams_search=optuna]\n")
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "last.ckpt").write_bytes(b"")
    argv = expand_resume(["train.py", "steps=200", f"resume={tmp_path}", "--cfg", "job"])
    assert argv[:3] == ["train.py", "--cfg", "job"]  # Hydra's flags before the overrides
    assert argv[3:6] == ["model=wgan", "steps=100", "steps=200"]  # the later steps= wins; the search is not rerun
    assert argv[6] == f"hydra.run.dir='{tmp_path}'" and argv[7].startswith("hydra.output_subdir='.hydra/resume-")
    assert argv[8] == f"ckpt_path='{tmp_path}/checkpoints/last.ckpt'"
    explicit = expand_resume(["train.py", f"resume={tmp_path}", "ckpt_path=a.ckpt"])
    assert [a for a in explicit if a.startswith("ckpt_path=")] == ["ckpt_path=a.ckpt"]
