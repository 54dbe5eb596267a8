"""The run report (gansuite.artifacts.report): built from a real short run at its end, it holds every logged value's
name, its curves as inline SVG, every sample grid of the run as inlined images that decode, and nothing it loads from
elsewhere; gansuite-report rebuilds it and refuses a folder that is no run; headless Chromium opens it without a
console message and leaves a screenshot beside it. The SIGTERM and sweep reports are checked where those runs are
(test_reliability_faults.py, ops/test_ops_sweeps.py)."""

import base64
import csv
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from gansuite_testing import HANG_GUARD_S, QUIET, TINY_CONV, compose_config
from PIL import Image

from gansuite.commands import report as report_command
from gansuite.errors import ConfigError
from gansuite.run.train import train

RUN = [
    "model=dcgan", "data=mnist", *TINY_CONV, "steps=12", "logger=csv", *QUIET, "trainer.log_every_n_steps=4",
    "callbacks.sample_grid.every_n_updates=4", "metrics.every_n_updates=6", "metrics.extractor=classifier",
    "metrics.num_fake=100", "metrics.num_real=100", "metrics.kid_subset_size=50",
]  # fmt: skip
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
# .ci/run installs Chromium and sets this: there the browser test can never be skipped.
BROWSER_REQUIRED = os.environ.get("GANSUITE_BROWSER_TEST") == "required"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("run")
    train(compose_config(RUN, run))
    return run


def inlined_images(text: str) -> dict[str, Image.Image]:
    """alt text -> decoded image of every <img> (all must be data: URIs)."""
    images = {}
    for alt, source in re.findall(r'<img [^>]*alt="([^"]*)" src="([^"]*)"', text):
        assert source.startswith("data:image/png;base64,"), f"{alt} is not inlined: {source[:80]}"
        images[alt] = Image.open(io.BytesIO(base64.b64decode(source.removeprefix("data:image/png;base64,"))))
        images[alt].load()
    return images


def test_the_report_of_a_run_holds_its_values_grids_and_config(run_dir: Path) -> None:
    text = (run_dir / "report.html").read_text()
    with (run_dir / "csv" / "metrics.csv").open() as file:
        logged = [name for name in next(csv.reader(file)) if name not in ("epoch", "step")]
    assert {"val/fid_mnist_clf", "train/g_loss", "grad_norm/generator", "time/wall_s"} <= set(logged)
    missing = [name for name in logged if name not in text]
    assert not missing, f"logged but not in the report: {missing}"
    images = inlined_images(text)
    grids = sorted(path.stem for path in (run_dir / "samples").glob("gen_step_*.png"))
    assert grids == ["gen_step_000004", "gen_step_000008", "gen_step_000012"]
    for grid in grids:  # each grid of the run, pixel for pixel
        with Image.open(run_dir / "samples" / f"{grid}.png") as original:
            shown = images[f"samples at update {int(grid.removeprefix('gen_step_'))}"]
            assert shown.size == original.size and shown.tobytes() == original.convert(shown.mode).tobytes()
    plots = dict(re.findall(r'<div class="plots" role="img" aria-label="([^"]*)"[^>]*>(.*?)</div>', text))
    assert set(plots) == {"evaluation metrics", "losses per network", "gradient norms"}
    # Each metric against updates and against wall time; each a curve through its logged points.
    assert plots["evaluation metrics"].count("<svg") == 2 * len([n for n in logged if n.startswith("val/")])
    assert all(re.search(r'<polyline points="[0-9., ]+"', plot) for plot in plots.values())
    # The first screen is what the run made, then its headline numbers and which way is better, then the curves.
    assert (
        text.index("samples at update 12") < text.index("Final metrics") < text.index('aria-label="evaluation metrics"')
    )
    assert re.search(r"<td>val/fid_mnist_clf</td><td>[0-9.]+</td><td>lower</td>", text)
    assert re.search(r"<td>val/kid_std_mnist_clf</td><td>[0-9.]+</td><td></td>", text)  # a spread: no direction
    protocol = re.search(r"Protocol \(the run's <code>metrics</code> config\): ([^<]*)</p>", text).group(1)
    assert protocol.startswith("image_evaluation, ") and "num_fake=100, num_real=100, " in protocol
    assert "extractor=classifier" in protocol and text.index("Protocol") < text.index('aria-label="evaluation metrics"')
    assert "model:" in text and "_target_: gansuite.modules.gan.GAN" in text  # the composed config
    assert text.count("<script") == 0 and "http://" not in text and "https://" not in text.split("<pre>")[0]


def test_gansuite_report_rebuilds_it_and_refuses_what_is_no_run(run_dir: Path, tmp_path: Path) -> None:
    before = (run_dir / "report.html").read_text()
    (run_dir / "report.html").unlink()
    assert report_command.main([str(run_dir)]) == run_dir / "report.html"
    assert (run_dir / "report.html").read_text() == before  # the same run gives the same report
    with pytest.raises(ConfigError, match="holds no run .* and no sweep jobs"):
        report_command.main([str(tmp_path)])
    with pytest.raises(ConfigError, match="is not a directory"):
        report_command.main([str(tmp_path / "nowhere")])
    with pytest.raises(ConfigError, match="usage: gansuite-report DIR"):
        report_command.main([])


def test_a_run_without_a_csv_log_says_so(run_dir: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(run_dir, tmp_path / "copy")
    shutil.rmtree(copy / "csv")
    text = (report_command.main([str(copy)])).read_text()
    assert "No CSV log in this run" in text and "samples at update 12" in text


def test_a_short_run_says_what_it_has_without_blaming_its_logger(run_dir: Path, tmp_path: Path) -> None:
    """A run that stopped before its first logged step and its first grid: its CSV log has a header only."""
    copy = shutil.copytree(run_dir, tmp_path / "short")
    shutil.rmtree(copy / "samples")
    (copy / "metrics.json").unlink()
    log = copy / "csv" / "metrics.csv"
    log.write_text(log.read_text().splitlines()[0] + "\n")
    text = (report_command.main([str(copy)])).read_text()
    assert "holds no rows yet: the run stopped before its first logged step" in text
    assert "No CSV log" not in text and "train with logger=csv" not in text
    assert "samples at the end" in inlined_images(text)  # samples.png, written at the end of every run
    assert "No final metrics (metrics.json): the run was not evaluated at its end." in text


@pytest.mark.slow
def test_headless_chromium_opens_it_without_console_messages(run_dir: Path) -> None:
    if BROWSER is None:
        if BROWSER_REQUIRED:
            pytest.fail("GANSUITE_BROWSER_TEST=required but no chromium on PATH: apt-get install chromium")
        pytest.skip("no chromium on PATH (apt-get install chromium); .ci/run installs it and never skips this")
    screenshot = run_dir / "report.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
    flags += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    flags += [f"--user-data-dir={run_dir / 'chromium'}", "--enable-logging=stderr", "--v=0", "--window-size=1200,2000"]
    command = [BROWSER, *flags, f"--screenshot={screenshot}", (run_dir / "report.html").as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert result.returncode == 0, result.stderr[-2000:]
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, console
    with Image.open(screenshot) as image:
        assert image.size == (1200, 2000) and len(image.getcolors(1 << 20) or []) > 50  # a page, not a blank
