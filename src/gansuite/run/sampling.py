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

from gansuite.artifacts.plots import plot_toy, save_image_grid
from gansuite.commands.entry import check_writable
from gansuite.errors import ConfigError
from gansuite.files import atomic_write
from gansuite.modules.base import eval_mode
from gansuite.modules.loading import load_module


def slerp(start: Tensor, end: Tensor, t: Tensor) -> Tensor:
    """Spherical interpolation (White 2016): stays where Gaussian latents have their mass, unlike a straight line."""
    cos = (start * end).sum(-1, keepdim=True) / (start.norm(dim=-1, keepdim=True) * end.norm(dim=-1, keepdim=True))
    angle = torch.acos(cos.clamp(-1 + 1e-7, 1 - 1e-7))
    return (torch.sin((1 - t) * angle) * start + torch.sin(t * angle) * end) / torch.sin(angle)


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
    if isinstance(chosen, bool) or not isinstance(chosen, int) or not 0 <= chosen < num_classes:
        raise ConfigError(f"class must be all or a class index in 0..{num_classes - 1}, got {chosen!r}")
    return torch.full((num_rows,), chosen)


def style_generator(args, module) -> torch.nn.Module | None:
    """The style-based generator that samples (the EMA's when kept), with truncation=<psi> set; None for other
    models, which refuse the style options."""
    network = module.generator if module.ema_generator is None else module.ema_generator.module
    if not hasattr(network, "synthesis"):
        if args.truncation is not None or args.style_mixing or args.space == "w":
            raise ConfigError(
                f"truncation, style_mixing and space=w need a style-based generator (model=stylegan2); "
                f"{args.ckpt_path} holds {type(network).__name__}: drop them"
            )
        return None
    if args.truncation is not None:
        network.truncation_psi = float(args.truncation)
    return network


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
    every_class = getattr(module, "conditional", False) and args["class"] in (None, "all") and not args.interpolate
    if every_class:  # one row per class, the same latents in every row
        columns = math.ceil(args.n / module.num_classes)
        z = latents(OmegaConf.merge(args, {"n": columns}), module.latent_dim).repeat(module.num_classes, 1)
        labels = torch.arange(module.num_classes).repeat_interleave(columns)
    else:
        z = latents(args, module.latent_dim)
        row_labels = class_labels(args, module, args.rows if args.interpolate else len(z))
        labels = None if row_labels is None else row_labels.repeat_interleave(len(z) // len(row_labels))
    style = style_generator(args, module)
    if style is not None and args.style_mixing:
        return style_mixing_grid(args, style, class_labels(args, module, args.rows), out)
    if style is not None and args.space == "w" and args.interpolate:
        end_labels = None if labels is None else labels.view(args.rows, args.steps)[:, [0, -1]].flatten()
        with eval_mode(style), torch.no_grad():
            ends = style.ws(z.view(args.rows, args.steps, -1)[:, [0, -1]].reshape(2 * args.rows, -1), end_labels)
            t = torch.linspace(0, 1, args.steps).view(1, args.steps, 1, 1)
            start, end = ends.view(args.rows, 2, 1, *ends.shape[1:]).unbind(1)
            samples = style.synthesis(start.lerp(end, t).flatten(0, 1)).cpu()
    else:
        samples = module.generate(z, labels).cpu()
    arrays = {"samples": samples.numpy(), "latents": z.numpy()}
    with atomic_write(out.with_suffix(".npz")) as file:
        np.savez(file, **arrays, **({} if labels is None else {"labels": labels.numpy()}))
    if len(module.data_shape) == 3:
        rows = args.steps if args.interpolate else columns if every_class else math.ceil(math.sqrt(len(samples)))
        save_image_grid(samples, out.with_suffix(".png"), nrow=rows)
    else:
        datamodule = instantiate(config.data)
        datamodule.setup("fit")
        plot_toy(datamodule.sample(2000), samples, out.with_suffix(".png"), f"{ckpt.stem}, seed {args.seed}")
    print(f"wrote {out}.png and {out}.npz ({len(samples)} samples)", flush=True)
    return out
