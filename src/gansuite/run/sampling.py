"""The work of `scripts/sample.py` (gansuite-sample) once its arguments are checked (gansuite.commands.sample says
what they mean): loading the checkpoint, drawing latents, samples, interpolations and style-mixing grids, and
writing them as an image grid (or a scatter plot of points) and an .npz."""

import math
from pathlib import Path

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch import Tensor
from torchvision.utils import make_grid

from gansuite.artifacts.plots import plot_toy, save_image_grid
from gansuite.artifacts.video import save_video
from gansuite.commands.entry import check_writable
from gansuite.editing.paths import slerp, walk
from gansuite.editing.truncation import truncated
from gansuite.errors import ConfigError, is_integer
from gansuite.files import atomic_write
from gansuite.modules.base import eval_mode
from gansuite.modules.loading import load_module


def latents(args, latent_dim: int) -> Tensor:
    generator = torch.Generator().manual_seed(args.seed)
    if not args.interpolate:
        return torch.randn(args.n, latent_dim, generator=generator)
    start, end = torch.randn(2, args.rows, 1, latent_dim, generator=generator)
    t = torch.linspace(0, 1, args.steps).view(1, args.steps, 1)
    return slerp(start, end, t).reshape(args.rows * args.steps, latent_dim)


def class_labels(args, module, num_rows: int) -> Tensor | None:
    """The label of each row of latents (None for an unconditional model), from class=<index>|all."""
    chosen = args["class"]
    if not getattr(module, "conditional", False):
        if chosen is not None:
            raise ConfigError(f"{args.ckpt_path} holds an unconditional model: drop class={chosen}")
        return None
    num_classes = module.num_classes
    if chosen is None or chosen == "all":
        return torch.arange(num_rows) % num_classes
    if not is_integer(chosen) or not 0 <= chosen < num_classes:
        raise ConfigError(f"class must be all or a class index in 0..{num_classes - 1}, got {chosen!r}")
    return torch.full((num_rows,), chosen)


def sampling_network(args, module) -> tuple[torch.nn.Module, bool]:
    """The network that samples (the EMA's when kept) and whether it is style-based; the style options (style
    mixing, space=w) are refused for the others."""
    network = module.generator if module.ema_generator is None else module.ema_generator.module
    style = hasattr(network, "synthesis")
    if not style and (args.style_mixing or args.space == "w"):
        raise ConfigError(
            f"style_mixing and space=w need a style-based generator (model=stylegan2); {args.ckpt_path} holds "
            f"{type(network).__name__}: drop them"
        )
    return network, style


def projected_latents(args, module, network: torch.nn.Module) -> tuple[Tensor, str, Tensor | None]:
    """The latents, their space and their labels (one class, or None) stored by scripts/project.py in `through`
    (one .npz, or a folder of them in name order)."""
    source = Path(args.through)
    files = sorted(source.glob("*.npz")) if source.is_dir() else [source]
    stored = [np.load(file) for file in files]
    if not stored or any("latents" not in item or "space" not in item for item in stored):
        raise ConfigError(f"through={source} holds no projection (.npz files with latents and space of project.py)")
    spaces = {str(item["space"]) for item in stored}
    labels = {int(item["labels"]) for item in stored if "labels" in item}
    if len(spaces) > 1 or len(labels) > 1:
        raise ConfigError(
            f"through={source} mixes {', '.join(sorted(spaces))} latents or classes {sorted(labels)}: a path walks "
            "latents of one space and one class; project them alike or pass one of the files"
        )
    latents = torch.as_tensor(np.stack([item["latents"] for item in stored]))
    space = spaces.pop()
    width = module.latent_dim if space == "z" else network.w_dim
    if latents.shape[-1] != width:
        raise ConfigError(
            f"through={source} holds latents of {latents.shape[-1]} numbers; this model's {space} has {width}"
        )
    return latents, space, torch.full((len(latents) * args.steps,), labels.pop()) if labels else None


def style_mixing_grid(args, style: torch.nn.Module, labels: Tensor | None, out: Path) -> Path:
    """rows x rows images: row r's coarse styles from latent r, column c's fine styles from latent c; a conditional
    model draws row r's cells with `labels[r]` (class=<index> for one class in every row)."""
    layer = style.num_ws // 2 if args.mix_layer is None else args.mix_layer
    if not 1 <= layer < style.num_ws:
        raise ConfigError(f"mix_layer must be in 1..{style.num_ws - 1} (the generator's ws), got {layer}")
    coarse, fine = torch.randn(2, args.rows, style.latent_dim, generator=torch.Generator().manual_seed(args.seed))
    coarse, fine = coarse.repeat_interleave(args.rows, 0), fine.repeat(args.rows, 1)
    labels = None if labels is None else labels.repeat_interleave(args.rows)
    with eval_mode(style), torch.no_grad():
        samples = style.mixed(coarse, fine, layer, labels).cpu()
    arrays = {"samples": samples.numpy(), "coarse": coarse.numpy(), "fine": fine.numpy()}
    with atomic_write(out.with_suffix(".npz")) as file:
        np.savez(file, **arrays, **({} if labels is None else {"labels": labels.numpy()}))
    save_image_grid(samples, out.with_suffix(".png"), nrow=args.rows)
    print(f"wrote {out}.png and {out}.npz (style mixing at layer {layer}, {args.rows} x {args.rows})", flush=True)
    return out


def write_samples(args: DictConfig) -> Path:
    """Draws what the checked arguments of scripts/sample.py ask for and writes <out>.png and <out>.npz."""
    module, config = load_module(args.ckpt_path, map_location=args.device)
    if module.capabilities.produces != "samples":
        raise ConfigError(
            f"{args.ckpt_path} holds a {type(module).__name__}, which translates images instead of sampling noise: "
            f"use python scripts/translate.py ckpt_path={args.ckpt_path} input=<folder> output=<folder>"
        )
    ckpt = Path(args.ckpt_path)
    run_dir = ckpt.parent.parent if ckpt.parent.name == "checkpoints" else ckpt.parent
    suffix = "_style_mixing" if args.style_mixing else "_interpolation" if args.interpolate else ""
    out = Path(args.out) if args.out else run_dir / "generated" / f"{ckpt.stem}_seed{args.seed}{suffix}"
    existing = [path for path in (out.with_suffix(".png"), out.with_suffix(".npz")) if path.exists()]
    if existing and not args.overwrite:
        raise ConfigError(f"{existing[0]} already exists: pass out=<another path>, or overwrite=true to replace it")
    check_writable(out.parent, "out")
    out.parent.mkdir(parents=True, exist_ok=True)
    network, style = sampling_network(args, module)
    with truncated(network, args.truncation) as truncate, torch.no_grad():
        if style and args.style_mixing:
            return style_mixing_grid(args, network, class_labels(args, module, args.rows), out)
        samples, z, labels, per_row = draw(args, module, network, truncate)
    arrays = {"samples": samples.numpy(), "latents": z.numpy()}
    with atomic_write(out.with_suffix(".npz")) as file:
        np.savez(file, **arrays, **({} if labels is None else {"labels": labels.numpy()}))
    if len(module.data_shape) == 3:
        save_image_grid(samples, out.with_suffix(".png"), nrow=per_row)
    else:
        datamodule = instantiate(config.data)
        datamodule.setup("fit")
        plot_toy(datamodule.sample(2000), samples, out.with_suffix(".png"), f"{ckpt.stem}, seed {args.seed}")
    if args.video is not None:  # frame t: every path's point t, side by side
        paths = samples.view(-1, per_row, *samples.shape[1:])
        side = math.ceil(math.sqrt(len(paths)))
        save_video(
            torch.stack([make_grid(paths[:, t], nrow=side, pad_value=-1) for t in range(per_row)]), Path(args.video)
        )
        print(f"wrote {args.video} ({per_row} frames of {len(paths)} path(s))", flush=True)
    print(f"wrote {out}.png and {out}.npz ({len(samples)} samples)", flush=True)
    return out


def draw(args, module, network: torch.nn.Module, truncate) -> tuple[Tensor, Tensor, Tensor | None, int]:
    """The samples the arguments ask for, their latents (z, or w / w+ on a projected path), labels, and how many
    make a row of the grid (one path per row)."""
    if args.through is not None:  # a closed path through projected latents, as they were found
        found, space, labels = projected_latents(args, module, network)
        path = walk(found, args.steps, space)
        if space == "z":
            return module.generate(path, labels).cpu(), path, labels, len(path)
        ws = path if space == "w+" else path[:, None].expand(-1, network.num_ws, -1)
        with eval_mode(network):
            return network.synthesis(ws.to(module.device)).cpu(), path, labels, len(path)
    every_class = getattr(module, "conditional", False) and args["class"] in (None, "all") and not args.interpolate
    if every_class:  # one row per class, the same latents in every row
        columns = math.ceil(args.n / module.num_classes)
        z = latents(OmegaConf.merge(args, {"n": columns}), module.latent_dim).repeat(module.num_classes, 1)
        labels = torch.arange(module.num_classes).repeat_interleave(columns)
    else:
        z = latents(args, module.latent_dim)
        row_labels = class_labels(args, module, args.rows if args.interpolate else len(z))
        labels = None if row_labels is None else row_labels.repeat_interleave(len(z) // len(row_labels))
    per_row = args.steps if args.interpolate else columns if every_class else math.ceil(math.sqrt(len(z)))
    if args.space == "w" and args.interpolate:
        end_labels = None if labels is None else labels.view(args.rows, args.steps)[:, [0, -1]].flatten()
        with eval_mode(network):
            ends = network.ws(z.view(args.rows, args.steps, -1)[:, [0, -1]].reshape(2 * args.rows, -1), end_labels)
            t = torch.linspace(0, 1, args.steps).view(1, args.steps, 1, 1)
            start, end = ends.view(args.rows, 2, 1, *ends.shape[1:]).unbind(1)
            return network.synthesis(start.lerp(end, t).flatten(0, 1)).cpu(), z, labels, per_row
    z = truncate(z)  # a scale of z for a noise model (a style-based one truncates in w, inside)
    return module.generate(z, labels).cpu(), z, labels, per_row
