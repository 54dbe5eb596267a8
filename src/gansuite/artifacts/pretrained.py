"""A trained generator, loaded from a run directory or a checkpoint without the code that trained it:

    import gansuite
    g = gansuite.load("logs/train/runs/<run>")   # best.ckpt when present, else last.ckpt; or a .ckpt path
    images = g.sample(16, seed=0)                 # (16, C, H, W) in [-1, 1]; labels=... for a conditional model
    g.save_grid("grid.png", n=64)

The checkpoint carries each generator's recipe (gansuite.nets.recipes: the factory's import path and its plain
arguments) and the state_dict prefix of its weights, the EMA's when the run kept one. Loading reads the file with
`weights_only=True`, builds only the generator(s) and loads those weights: no Hydra composition, no Lightning module,
no discriminator, no data. Translation models (CycleGAN, pix2pix) `translate`, super-resolution models `upscale`.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from gansuite.artifacts.checkpoints import read_checkpoint, state_difference, weights_under
from gansuite.editing.truncation import truncated
from gansuite.errors import ConfigError
from gansuite.nets.recipes import build
from gansuite.nets.shapes import run_at_own_size
from gansuite.run.validation import check_positive_int, check_seed

if TYPE_CHECKING:
    from gansuite.editing.projection import Projection

DIRECTIONS = ("a2b", "b2a")


def checkpoint_of(path: str | Path) -> Path:
    """`path` when it is a file; for a run directory its checkpoints/best.ckpt, else checkpoints/last.ckpt."""
    path = Path(path).expanduser()
    if path.is_file():
        return path
    if not path.is_dir():
        raise ConfigError(f"{path} does not exist: pass a run directory (logs/train/runs/<run>) or a .ckpt file")
    for name in ("best.ckpt", "last.ckpt"):
        if (path / "checkpoints" / name).is_file():
            return path / "checkpoints" / name
    raise ConfigError(f"{path} holds no checkpoints/best.ckpt or last.ckpt: pass a run directory or a .ckpt file")


def load_generators(checkpoint: dict[str, Any], source: Path) -> dict[str, tuple[nn.Module, dict[str, Any]]]:
    """Each recorded generator, built from its recipe with its weights loaded, and its recipe; ConfigError when the
    checkpoint has no recipes or its weights do not fit them."""
    recipes = checkpoint.get("gansuite", {}).get("generators")
    if not recipes:
        raise ConfigError(
            f"{source} holds no generator recipe (not a gansuite checkpoint, or one written before gansuite.load "
            "existed): load it with gansuite.modules.loading.load_module, or train the run again"
        )
    generators = {}
    for name, recipe in recipes.items():
        network = build(recipe)
        prefix = recipe["state_prefix"]
        state = weights_under(checkpoint["state_dict"], prefix)
        state.pop("n_averaged", None)  # the EMA's counter, not a weight of the network
        difference = state_difference(state, network.state_dict())
        if difference is not None:
            raise ConfigError(
                f"the weights of {name} in {source} do not fit its recipe {recipe['target']} ({difference}): the file "
                "was edited or written by another gansuite version; load it with that version"
            )
        network.load_state_dict(state)
        generators[name] = (network.eval().requires_grad_(False), recipe)
    return generators


class Pretrained:
    """The generator(s) of one checkpoint, in eval mode, with what they do (`use`: sample, translate or upscale)."""

    def __init__(self, checkpoint_path: str | Path, map_location: str | torch.device = "cpu") -> None:
        self.checkpoint_path = checkpoint_of(checkpoint_path)
        checkpoint = read_checkpoint(self.checkpoint_path, map_location)
        generators = load_generators(checkpoint, self.checkpoint_path)
        self.networks = {recipe["use"]: network for network, recipe in generators.values()}
        self.arguments = {recipe["use"]: recipe["arguments"] for _, recipe in generators.values()}
        self.data_shape = tuple(checkpoint["gansuite"]["data_shape"])
        self.use = "translate" if set(self.networks) <= set(DIRECTIONS) else next(iter(self.networks))
        self.to(map_location)

    def to(self, device: str | torch.device) -> "Pretrained":
        for network in self.networks.values():
            network.to(device)
        self.device = torch.device(device)
        return self

    # Noise -> images (the GAN family).
    @property
    def latent_dim(self) -> int:
        return self.arguments[self.needs("sample")]["latent_dim"]

    @property
    def num_classes(self) -> int | None:
        """The classes of a conditional generator; None for an unconditional one."""
        arguments = self.arguments.get("sample", {})
        return arguments.get("num_classes") if arguments.get("conditioning", "none") != "none" else None

    @torch.no_grad()
    def sample(
        self,
        n: int,
        seed: int | None = None,
        labels: Tensor | list[int] | None = None,
        truncation: float | None = None,
    ) -> Tensor:
        """`n` samples in [-1, 1] from noise drawn with `seed` (None: torch's global generator): what the training
        module's `sample(n)` gives after `torch.manual_seed(seed)` on the CPU, clamped to [-1, 1] as every image writer
        and metric here clamps (StyleGAN2's generator, like the official one, has no tanh and overshoots a little). A
        conditional model takes `labels` (n class indices; default: the classes in turn, 0, 1, ..., 0, 1, ...).
        `truncation`: psi in [0, 1], 1 none, 0 the average image, 0.7 the usual choice; in w for a style-based
        generator, as a scale of z for the others (gansuite.editing.truncation); default: the trained generator."""
        generator = self.networks[self.needs("sample")]
        check_positive_int(n, "n", "the number of samples, e.g. 16")
        if seed is not None:
            check_seed(seed)
        noise = torch.randn(n, self.latent_dim, generator=None if seed is None else torch.Generator().manual_seed(seed))
        noise = noise.to(self.device)
        with truncated(generator, truncation) as truncate:
            if self.num_classes is None:
                if labels is not None:
                    raise ConfigError(f"{self.checkpoint_path} is an unconditional generator: sample without labels")
                return generator(truncate(noise)).clamp(-1, 1)
            return generator(truncate(noise), labels=self.class_indices(labels, n).to(self.device)).clamp(-1, 1)

    def class_indices(self, labels: Tensor | list[int] | None, n: int) -> Tensor:
        """`labels` as n integer class indices of this conditional model (the classes in turn when None)."""
        if labels is None:
            return torch.arange(n) % self.num_classes
        indices = torch.as_tensor(labels)
        if (
            indices.shape != (n,)
            or indices.dtype in (torch.bool, torch.uint8) or indices.is_floating_point() or indices.is_complex()
            or not 0 <= int(indices.min()) <= int(indices.max()) < self.num_classes
        ):  # fmt: skip
            shown = indices.tolist() if indices.numel() <= 20 else f"a {indices.dtype} tensor of shape {indices.shape}"
            raise ConfigError(f"labels must be {n} integer class indices in [0, {self.num_classes}), got {shown}")
        return indices.long()

    def save_grid(self, path: str | Path, n: int = 64, seed: int = 0, labels: Tensor | list[int] | None = None) -> Path:
        """`n` samples as one PNG grid (8 per row; a conditional model's default labels give one class per column)."""
        from gansuite.artifacts.plots import (
            save_image_grid,  # matplotlib and torchvision's image writer: only when asked
        )

        if len(self.data_shape) != 3:
            raise ConfigError(f"{self.checkpoint_path} generates points, not images: use .sample(n) and plot them")
        save_image_grid(self.sample(n, seed, labels), Path(path))
        return Path(path)

    def project(
        self,
        images: Tensor,
        space: str = "z",
        steps: int = 1000,
        labels: Tensor | list[int] | None = None,
        feature: str = "auto",
        feature_weight: float = 1.0,
        seed: int = 0,
    ) -> "Projection":
        """The latents whose images reproduce `images` (N, C, H, W) in [-1, 1] of the model's shape, found by
        optimisation (gansuite.editing.projection: z for every noise model, w and w+ for StyleGAN2; `labels` for a
        conditional one). `feature`: the distance beside the pixel error (gansuite.editing.feature_distance: auto,
        lpips, discriminator, none); the discriminator is read from the checkpoint (a full load) only when used."""
        from gansuite.editing.feature_distance import choose_distance
        from gansuite.editing.projection import project

        generator = self.networks[self.needs("sample")]
        if not isinstance(images, Tensor) or not images.is_floating_point() or images.shape[1:] != self.data_shape:
            got = (
                f"shape {tuple(images.shape)}, {images.dtype}" if isinstance(images, Tensor) else type(images).__name__
            )
            raise ConfigError(
                f".project() takes a float tensor (N, {', '.join(map(str, self.data_shape))}) in [-1, 1], the "
                f"model's image shape; got {got}: resize or convert the images first"
            )
        if self.num_classes is not None and labels is None:
            raise ConfigError(f"{self.checkpoint_path} is a conditional generator: pass the targets' labels")
        if self.num_classes is None and labels is not None:
            raise ConfigError(f"{self.checkpoint_path} is an unconditional generator: project without labels")
        classes = None if labels is None else self.class_indices(labels, len(images)).to(self.device)
        distance, name = choose_distance(feature, self.discriminator, classes)
        with torch.enable_grad():
            return project(
                generator, images.to(self.device), self.latent_dim, space, steps, distance, name, feature_weight,
                classes, seed=seed,
            )  # fmt: skip

    def discriminator(self) -> nn.Module:
        """The run's trained discriminator, from a full load of the checkpoint (Hydra and Lightning: seconds)."""
        from gansuite.modules.loading import load_module

        module, _ = load_module(self.checkpoint_path, map_location=self.device)
        return module.discriminator

    # Images -> images (CycleGAN, pix2pix; SRGAN).
    @torch.no_grad()
    def translate(self, images: Tensor, direction: str | None = None) -> Tensor:
        """`images` in [-1, 1] (N, C, H, W) translated in `direction` (a2b or b2a; default: the model's only one), at
        their own height and width: padded to what the network takes and cropped back (nets.shapes.run_at_own_size)."""
        directions = [use for use in self.networks if use in DIRECTIONS]
        if direction is None and len(directions) == 1:
            direction = directions[0]
        if direction not in directions:
            raise ConfigError(f"{self.checkpoint_path} translates {' and '.join(directions) or 'nothing'}: pass one")
        network = self.networks[direction]
        images = checked_images(images, network, f".translate(direction={direction!r})")
        return run_at_own_size(network, images.to(self.device))

    @torch.no_grad()
    def upscale(self, images: Tensor) -> Tensor:
        """`images` in [-1, 1] (N, C, H, W) of any size upscaled by the model's scale."""
        network = self.networks[self.needs("upscale")]
        return network(checked_images(images, network, ".upscale()").to(self.device))

    def needs(self, use: str) -> str:
        if use not in self.networks:
            raise ConfigError(f"{self.checkpoint_path} is a model that can {self.use}, not {use}: call .{self.use}()")
        return use


def checked_images(images: Any, network: nn.Module, call: str) -> Tensor:
    """`images` when they are what `network` takes: a floating-point (N, C, H, W) tensor with its input channels and
    at least one pixel (any height and width: translation pads to what the network takes); else a ConfigError."""
    channels = next(m for m in network.modules() if isinstance(m, nn.Conv2d | nn.ConvTranspose2d)).in_channels
    wanted = f"{call} takes a float tensor (N, {channels}, H, W) in [-1, 1]"
    if not isinstance(images, Tensor):
        raise ConfigError(f"{wanted}, got a {type(images).__name__}: convert it with torch.as_tensor")
    if not images.is_floating_point():
        raise ConfigError(f"{wanted}, got dtype {images.dtype}: convert uint8 images with images / 127.5 - 1")
    if images.dim() != 4 or images.shape[1] != channels:
        fix = "add a batch dimension with images[None]" if images.dim() == 3 else f"give {channels}-channel images"
        raise ConfigError(f"{wanted}, got shape {tuple(images.shape)}: {fix}")
    if not images.shape[2] or not images.shape[3]:
        raise ConfigError(f"{wanted}, got an empty {images.shape[2]}x{images.shape[3]} image: give at least 1x1 pixels")
    return images


def load(path: str | Path, map_location: str | torch.device = "cpu") -> Pretrained:
    """The generator of a run directory (best.ckpt when present, else last.ckpt) or of a .ckpt file."""
    return Pretrained(path, map_location)
