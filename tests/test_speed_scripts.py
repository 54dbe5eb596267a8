"""The benchmark scripts run end to end on tiny nets and print what docs/benchmarks.md records (no timing asserted)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from forked_cli import run_python
from gansuite_testing import HANG_GUARD_S, ROOT, TINY_CONV, TINY_MLP, TINY_STYLEGAN2

# Tiny conv nets on 16x16 images in batches of 8 (the images per second below count them).
TINY_RUN = ["data.image_size=16", "data.batch_size=8", *TINY_CONV]


def run_script(name: str, *args: str) -> str:
    """The output of a finished script run. No timing is asserted, and the deadline only guards against a hang."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, str(ROOT / "scripts" / name), *args]
    done = run_python(command, Path.cwd(), env, HANG_GUARD_S)  # forked: the imports are done once (forked_cli.py)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_bench_overhead_prints_both_loops_and_the_ratio(tmp_path):
    out = run_script("bench_overhead.py", "model=dcgan", "data=mnist", "steps=4", "--chunk", "2", *TINY_RUN)
    assert "| gansuite | 2 |" in out and "| bare PyTorch | 2 |" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("overhead ") and float(last.split()[1]) > 0


@pytest.mark.slow
def test_bench_speed_prints_updates_images_and_flops():
    out = run_script(
        "bench_speed.py",
        "--models",
        "wgan",
        "--datasets",
        "mnist",
        "--variants",
        "plain,on_device",
        "--steps",
        "3",
        "--warmup",
        "2",
        *TINY_RUN,
    )
    rows = [line for line in out.splitlines() if line.startswith("| wgan | mnist | cpu |")]
    assert len(rows) >= 2  # one per variant (printed again in the final table)
    cells = [c.strip() for c in rows[-1].strip("|").split("|")]
    updates, images, gflop = float(cells[8]), float(cells[9]), float(cells[10])
    assert updates > 0 and images == pytest.approx(updates * 8 * 5, rel=1e-2)  # batch 8 x n_critic 5
    assert gflop > 0


@pytest.mark.slow
def test_bench_speed_counts_lazy_regularizers_in_proportion():
    """StyleGAN2 with R1 and path lengths every 2nd step: even updates cost `full`, odd ones `plain`. GFLOP/update
    is the mean over the warm-up: full for 1 update, (full + plain) / 2 for 2, (2 full + plain) / 3 for 3."""
    tiny = [*TINY_STYLEGAN2, "data.image_size=16", "data.batch_size=4"]
    gflop = {}
    for warmup in (1, 2, 3):
        args = ["--models", "stylegan2", "--datasets", "cifar10_subset", "--variants", "plain"]
        out = run_script("bench_speed.py", *args, "--steps", str(warmup + 1), "--warmup", str(warmup), *tiny)
        row = [line for line in out.splitlines() if line.startswith("| stylegan2 | cifar10_subset | cpu |")][-1]
        gflop[warmup] = float(row.strip("|").split("|")[10])
    full, plain = gflop[1], 2 * gflop[2] - gflop[1]
    assert 0 < plain < full  # R1 and the path lengths add double backwards
    assert gflop[3] == pytest.approx((2 * full + plain) / 3, rel=1e-2)  # 3 significant digits printed


@pytest.mark.slow
def test_bench_toy_reports_mean_and_worst_seed_of_a_recipe():
    tiny = ["data.num_samples=1024", "data.batch_size=64", "metrics.num_samples=500", "logger=csv"]
    tiny += ["model.generator.mlp.width=32", "model.discriminator.mlp.width=32"]
    out = run_script("bench_toy.py", "row=r3gan_toy", "row=gan ns + r1", "data=ring8", "seeds=2", "steps=3", *tiny)
    rows = [line for line in out.splitlines() if line.startswith("| ring8 | ")]
    assert len(rows) == 4  # two rows, printed as they finish and again in the final table
    cells = [c.strip() for c in rows[-1].strip("|").split("|")]
    assert cells[1] == "gan ns + r1" and cells[2].endswith("/8") and "(" in cells[3]  # "mean (worst)"


@pytest.mark.slow
def test_bench_mnist_compares_each_ingredient_with_the_baseline(data_dir):
    shrunk = ["steps=2", "metrics.every_n_updates=2", "metrics.num_fake=50", "metrics.num_real=50", "logger=csv"]
    shrunk += ["metrics.kid_subsets=2", "metrics.kid_subset_size=20", "metrics.is_splits=2"]
    tiny = ["data.batch_size=8", *TINY_CONV]  # 32x32: the size the shipped MNIST classifier reads
    out = run_script("bench_mnist.py", "row=dcgan (baseline)", "row=+ r1", *shrunk, *tiny)
    rows = [line for line in out.splitlines() if line.startswith(("| dcgan (baseline) |", "| + r1 |"))]
    assert len(rows) == 4  # two rows, printed as they finish and again in the final table
    baseline, r1 = ([c.strip() for c in row.strip("|").split("|")] for row in rows[-2:])
    assert baseline[2] == "+0%" and float(r1[1]) > 0 and r1[2].endswith("%")


def table_rows(out: str, first_cells: tuple[str, ...]) -> list[list[str]]:
    """The final table's rows whose first cell is one of `first_cells` (each row is printed twice: as it finishes
    and in the final table)."""
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in out.splitlines() if line.startswith("| ")]
    return [row for row in rows if row[0] in first_cells][-len(first_cells) :]


@pytest.mark.slow
def test_bench_paired_scores_the_baselines_and_a_trained_row(data_dir):
    """The gray and bicubic rows, and SRResNet trained 2 updates (pix2pix's row trains as tests/test_pix2pix.py
    does: one trained row keeps this test short)."""
    tiny = ["steps=2", "data.batch_size=4", "model.generator.width=4", "model.generator.num_blocks=1"]
    out = run_script("bench_paired.py", "row=gray", "row=bicubic", "row=srresnet", *tiny)
    (gray,) = table_rows(out, ("gray",))
    assert gray[1] == "1017"  # the subset's test split
    assert 15 < float(gray[2]) < 40 and 0 < float(gray[3]) < 1  # gray vs color: close, not equal
    bicubic, srresnet = table_rows(out, ("bicubic", "srresnet"))
    assert bicubic[1:5] == ["28.43", "0.8107", "26.09", "0.7056"]  # the protocol check of ../shared/data/MANIFEST.md
    assert 0 < float(srresnet[1]) < 28.43  # two updates of a tiny net: no better than bicubic


@pytest.mark.slow
def test_bench_recipes_starts_srgan_from_its_srresnet_and_scores_both(data_dir, tmp_path):
    """srgan_cpu trains from the srresnet_cpu run of the same seed (init_from), both are scored on Set5 and Set14,
    and the crops figure is written beside the runs."""
    tiny = ["steps=2", "data.batch_size=4", "data.crop_size=32", "model.generator.width=4", "metrics=none"]
    tiny += ["model.generator.num_blocks=1", "model.discriminator.width=4", "model.discriminator.dense=8"]
    out = run_script("bench_recipes.py", "recipe=srresnet_cpu", "recipe=srgan_cpu", f"reuse={tmp_path}", *tiny)
    srresnet, srgan = table_rows(out, ("srresnet_cpu", "srgan_cpu"))
    assert all(0 < float(row[2]) < 40 and 0 < float(row[4]) < 40 for row in (srresnet, srgan))  # PSNR-Y in dB
    assert srresnet[7] == srgan[7] == "False"  # two updates of a 4-channel net: no target met
    checkpoint = torch.load(tmp_path / "srgan_cpu_seed0" / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["gansuite"]["config"]["init_from"] == str(tmp_path / "srresnet_cpu_seed0")
    assert (tmp_path / "srgan_crops.png").stat().st_size > 0


@pytest.mark.slow
def test_bench_recipes_reads_the_digit_of_cyclegan_translations(data_dir, tmp_path):
    tiny = ["steps=2", "data.batch_size=4", "model.generator.ngf=4", "model.generator.num_blocks=1"]
    out = run_script(
        "bench_recipes.py", "recipe=cyclegan_mnist", f"reuse={tmp_path}", "model.discriminator.ndf=4", *tiny
    )
    (row,) = table_rows(out, ("cyclegan_mnist",))
    assert 0 <= float(row[2]) <= 1 and 0 < float(row[3]) < 100  # share of digits kept, cycle PSNR in dB


def test_bench_recipes_names_its_recipes_on_bad_input():
    """In a fresh interpreter: the check comes before torch's import (0.2 s), cheaper than a forked server's start."""
    command = [sys.executable, str(ROOT / "scripts" / "bench_recipes.py"), "recipe=srgan_cpu"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=HANG_GUARD_S)
    assert done.returncode == 2 and "pass recipe=srresnet_cpu before it" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_bench_stylegan2_gives_dcgan_the_wall_time_stylegan2_took(data_dir):
    shrunk = ["metrics.num_fake=50", "metrics.num_real=50", "metrics.kid_subset_size=20", "data.batch_size=8"]
    tiny = [f"stylegan2:{x}" for x in TINY_STYLEGAN2 if x != "model=stylegan2"]
    out = run_script("bench_stylegan2.py", *shrunk, *tiny, "stylegan2:steps=2", "dcgan:model.latent_dim=16")
    rows = table_rows(out, ("stylegan2", "dcgan, same wall time"))
    assert [row[0] for row in rows] == ["stylegan2", "dcgan, same wall time"]
    (_, sg_updates, sg_fid, sg_seconds), (_, dc_updates, dc_fid, dc_seconds) = rows
    assert int(sg_updates) == 2 and float(sg_fid) > 0 and float(dc_fid) > 0 and int(dc_updates) >= 1
    assert abs(float(dc_seconds) - float(sg_seconds)) <= float(sg_seconds) + 30  # max_time: start-up and the FID


@pytest.mark.slow
def test_bench_startup_times_the_first_line_and_the_first_update_of_train_py():
    out = run_script("bench_startup.py", "repeats=1", "steps=2", "metrics=none", "logger=csv", *TINY_MLP)
    rows = [line for line in out.splitlines() if line.startswith(("| 0 |", "| median |"))]
    assert len(rows) == 2
    first_line, first_update, whole = (float(cell) for cell in rows[0].strip("|").split("|")[1:])
    assert first_line > 0 and 0 < first_update < whole


@pytest.mark.slow
def test_bench_frechet_prints_both_implementations_agreeing():
    out = run_script("bench_frechet.py", "repeats=1", "width=32", "sizes=100:80,20:30")
    rows = [line.strip("|").split("|") for line in out.splitlines() if line.startswith(("| 100, 80 |", "| 20, 30 |"))]
    assert len(rows) == 2
    for row in rows:
        ours, theirs = float(row[4]), float(row[5])
        assert ours > 0 and ours == pytest.approx(theirs, rel=1e-3)  # 4 decimals printed


def test_same_losses_refuses_a_folder_that_is_not_a_checkout(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, str(ROOT / "scripts" / "same_losses.py"), f"old={tmp_path}"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=HANG_GUARD_S)  # before torch
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "is not a gansuite checkout" in done.stderr


def test_same_losses_compares_the_losses_both_runs_logged():
    """The table's numbers from two CSV logs (rows as csv.DictReader reads them); the runs themselves are train.py's,
    tested elsewhere, and what the script printed for the objective's move is in docs/benchmarks.md."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from same_losses import compare

    old = [{"train/d_loss": "1.0", "train/g_loss": "2.0", "train/r1": "5"}, {"train/d_loss": "1.5", "train/g_loss": ""}]
    new = [
        {"train/d_loss": "1.0", "train/g_loss": "2.2", "train/g_pl": "1"},
        {"train/d_loss": "1.5", "train/g_loss": ""},
    ]
    worst, count, only_old, only_new = compare(old, new)
    assert worst == pytest.approx(0.1, rel=1e-12) and count == 3  # |2 - 2.2| / 2; 2 values in row 0, 1 in row 1
    assert only_old == ["train/r1"] and only_new == ["train/g_pl"]
