"""Optimizers built where the parameters' device is known, so device-only speedups are chosen there, not in config."""

import inspect
from collections.abc import Callable, Iterable
from functools import partial

import torch
from torch import nn

OptimizerFactory = Callable[..., torch.optim.Optimizer]


def accepts_fused(factory: OptimizerFactory) -> bool:
    """Whether the optimizer has a `fused` implementation (Adam, AdamW, SGD, ...) that the config left unset."""
    if "fused" in getattr(factory, "keywords", {}):
        return False
    try:
        return "fused" in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False


def build_optimizer(factory: OptimizerFactory, parameters: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    """`factory(parameters)`, with the fused multi-tensor kernel on CUDA when the optimizer has one.

    Fused Adam does the whole update in a few kernel launches instead of several per tensor. Off CUDA torch's
    default implementation stays (CPU fused kernels exist but were not measured). A `fused` in the config wins.
    """
    parameters = list(parameters)
    betas = getattr(factory, "keywords", {}).get("betas")
    if betas is not None:  # `betas=[0,0.99]` on the command line gives an int, which torch's Adam refuses
        factory = partial(factory, betas=tuple(float(beta) for beta in betas))
    if parameters and parameters[0].is_cuda and accepts_fused(factory):
        return factory(parameters, fused=True)
    return factory(parameters)


def adjust_for_lazy_interval(optimizer: torch.optim.Optimizer, every: int) -> None:
    """StyleGAN2's correction for lazy regularization (Karras et al. 2020, Appendix B; stylegan2-ada-pytorch's
    training loop): with a regularizer every `every` updates, lr x c and each beta ^ c, c = every / (every + 1). The
    official code takes the regularizer's step apart from the main one, so its player makes every + 1 optimizer steps
    per `every` updates; here the term joins the main step, and the same correction keeps the published learning
    rates and betas meaning what they mean there. Nothing changes for every = 1."""
    if every == 1:
        return
    ratio = every / (every + 1)
    for group in optimizer.param_groups:
        group["lr"] = group["lr"] * ratio
        if "betas" in group:
            group["betas"] = tuple(beta**ratio for beta in group["betas"])
