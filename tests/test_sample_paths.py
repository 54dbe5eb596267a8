"""scripts/sample.py beyond grids: truncation for a noise model that is not style-based (a scale of z), interpolation
videos (GIF frames: each row's point t), and closed paths through the latents that scripts/project.py found."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import gansuite
from gansuite.commands import project, sample
from gansuite.editing.paths import slerp, walk
from gansuite.errors import ConfigError


def test_the_script_truncates_a_dcgan_by_scaling_z(trained_runs: dict[str, Path], tmp_path: Path) -> None:
    ckpt = f"ckpt_path={trained_runs['dcgan_ema'] / 'checkpoints' / 'last.ckpt'}"
    plain = np.load(sample.main([ckpt, "n=4", f"out={tmp_path / 'plain'}"]).with_suffix(".npz"))
    half = np.load(sample.main([ckpt, "n=4", "truncation=0.5", f"out={tmp_path / 'half'}"]).with_suffix(".npz"))
    np.testing.assert_allclose(half["latents"], plain["latents"] * 0.5, rtol=0, atol=1e-7)
    generator = gansuite.load(trained_runs["dcgan_ema"]).networks["sample"]
    expected = generator(torch.as_tensor(half["latents"])).numpy()
    np.testing.assert_allclose(half["samples"], expected, atol=1e-5)


def test_an_interpolation_video_has_one_frame_per_step(trained_runs: dict[str, Path], tmp_path: Path) -> None:
    ckpt = f"ckpt_path={trained_runs['dcgan_ema'] / 'checkpoints' / 'last.ckpt'}"
    video = tmp_path / "walk.gif"
    sample.main([ckpt, "interpolate=true", "rows=4", "steps=5", f"video={video}", f"out={tmp_path / 'grid'}"])
    with Image.open(video) as gif:
        assert gif.n_frames == 5
        assert gif.size == (2 + 2 * (32 + 2), 2 + 2 * (32 + 2))  # 4 paths, 2 x 2, make_grid's 2-pixel padding


def test_the_walk_is_a_closed_path_through_the_latents() -> None:
    latents = torch.randn(3, 6, generator=torch.Generator().manual_seed(0))
    path = walk(latents, 4, "z")
    assert path.shape == (12, 6)
    torch.testing.assert_close(path[::4], latents)  # every 4th point is a latent, in order
    torch.testing.assert_close(path[9:], slerp(latents[2], latents[0], torch.tensor([[0.25], [0.5], [0.75]])))
    ws = torch.randn(2, 5, 6)
    torch.testing.assert_close(walk(ws, 2, "w+")[1], (ws[0] + ws[1]) / 2)


def test_a_path_through_projected_latents(trained_runs: dict[str, Path], tmp_path: Path) -> None:
    run = trained_runs["dcgan_ema"]
    generator = gansuite.load(run)
    targets = tmp_path / "targets"
    targets.mkdir()
    for index, image in enumerate(generator.sample(2, seed=7)):
        pixels = ((image + 1) * 127.5).round().to(torch.uint8).permute(1, 2, 0).numpy()
        Image.fromarray(pixels).save(targets / f"{index}.png")
    found = project.main([f"ckpt_path={run}", f"target={targets}", "steps=5", "feature=none", f"out={tmp_path / 'p'}"])
    ckpt = f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}"
    out = sample.main([ckpt, f"through={tmp_path / 'p'}", "steps=3", f"out={tmp_path / 'path'}"])
    stored = np.load(out.with_suffix(".npz"))
    projected = np.stack([np.load(file)["latents"] for file in found])
    np.testing.assert_allclose(stored["latents"][::3], projected, atol=1e-6)  # the path passes through them
    assert stored["samples"].shape == (6, 3, 32, 32)
    with pytest.raises(ConfigError, match="through= walks the projected latents as they were found: drop truncation"):
        sample.main([ckpt, f"through={tmp_path / 'p'}", "truncation=0.5"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["video=a.gif"], r"video=a.gif shows a walk through latent space: add interpolate=true or through=<npz>"),
        (["interpolate=true", "video=a.avi"], r"video=a.avi must end in .gif, or .mp4"),
        (["through=/nonexistent.npz"], r"through=/nonexistent.npz does not exist"),
    ],
)
def test_bad_video_and_path_arguments_get_one_line(tmp_path: Path, arguments: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        sample.main([f"ckpt_path={tmp_path / 'x.ckpt'}", *arguments])
