"""Paths through latent space, for interpolation grids and videos: spherical in z (Gaussian latents), straight in w
(the official StyleGAN interpolations lerp w)."""

import torch
from torch import Tensor


def slerp(start: Tensor, end: Tensor, t: Tensor) -> Tensor:
    """Spherical interpolation (White 2016): stays where Gaussian latents have their mass, unlike a straight line."""
    cos = (start * end).sum(-1, keepdim=True) / (start.norm(dim=-1, keepdim=True) * end.norm(dim=-1, keepdim=True))
    angle = torch.acos(cos.clamp(-1 + 1e-7, 1 - 1e-7))
    return (torch.sin((1 - t) * angle) * start + torch.sin(t * angle) * end) / torch.sin(angle)


def walk(latents: Tensor, steps: int, space: str) -> Tensor:
    """A closed path through `latents` (K, ...) in order and back to the first: `steps` points from each to the
    next (its own point included, the next one's not), K x steps in all; slerp in z, lerp in w and w+."""
    start, end = latents, latents.roll(-1, dims=0)
    t = torch.arange(steps, dtype=latents.dtype).div(steps).view(1, steps, *[1] * (latents.dim() - 1))
    start, end = start[:, None], end[:, None]
    path = slerp(start, end, t) if space == "z" else start.lerp(end, t)
    return path.flatten(0, 1)
