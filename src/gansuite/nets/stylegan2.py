"""StyleGAN2's networks (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN"), after NVlabs'
stylegan2-ada-pytorch: a mapping network z -> w, a skip-architecture synthesis network of modulated/demodulated 3x3
convolutions with per-pixel noise, and a residual discriminator with minibatch standard deviation. Every weight is
stored at unit variance and scaled at runtime (equalized learning rate), so Adam's steps are alike for every layer.

Sizes follow the official rule: `channels(res) = min(channel_base // res, channel_max)`; config-f has channel_base
32768 and channel_max 512, the cifar config 16384 and 512, and the mapping network 8 layers (2 for cifar).

Where this differs from the official code, on purpose: resampling is a depthwise [1, 3, 3, 1] filter (the official
default filter) through conv_transpose2d / conv2d, not upfirdn2d's custom kernel; the up-sampling convolution
upsamples first and then convolves (the official code fuses the two in a transposed convolution). In eval mode the
noise inputs are the fixed buffers drawn at construction (the official `noise_mode='const'`), so a trained generator
gives the same image for the same z every time; in training mode they are fresh noise (`noise_mode='random'`).
A non-square image grows from a rectangular constant (4x6 for 32x48; gansuite.nets.shapes.base_grid), and the
discriminator ends on that grid; channel counts follow the shorter side.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gansuite.errors import ConfigError
from gansuite.nets.freeze import freeze_leading_blocks
from gansuite.nets.shapes import base_grid

LRELU_GAIN = math.sqrt(2)  # keeps the activations' scale through leaky ReLU(0.2) (the official def_gain)
FILTER = (1.0, 3.0, 3.0, 1.0)


def channels_at(resolution: int, channel_base: int, channel_max: int) -> int:
    return min(channel_base // resolution, channel_max)


def levels_and_grid(data_shape: tuple[int, ...]) -> tuple[int, int, int]:
    """log2 of the shorter image side (the level of the last resolution; the base grid's is 2), and the base grid's
    height and width: 4x4 for square images as the official nets, 4x6 for 32x48."""
    points_fix = "StyleGAN2 generates images: use an image dataset such as data=mnist or data=cifar10"
    doublings, base_height, base_width = base_grid(data_shape, "StyleGAN2's nets", points_fix, smallest=8)
    return doublings + 2, base_height, base_width


def lrelu(x: Tensor) -> Tensor:
    return F.leaky_relu(x, 0.2) * LRELU_GAIN


class Resample(nn.Module):
    """x2 up or down with the separable [1, 3, 3, 1] filter, per channel (depthwise)."""

    def __init__(self, channels: int, up: bool) -> None:
        super().__init__()
        taps = torch.tensor(FILTER)
        kernel = torch.outer(taps, taps) / taps.sum() ** 2
        self.register_buffer("kernel", (kernel * (4 if up else 1)).expand(channels, 1, 4, 4).contiguous())
        self.up, self.channels = up, channels

    def forward(self, x: Tensor) -> Tensor:
        kernel = self.kernel.to(x.dtype)
        if self.up:  # zero-insertion then the filter (gain 4): what upfirdn2d(up=2) computes
            return F.conv_transpose2d(x, kernel, stride=2, padding=1, groups=self.channels)
        return F.conv2d(x, kernel, stride=2, padding=1, groups=self.channels)


class EqualizedLinear(nn.Module):
    """A linear layer whose weight is stored as N(0, 1/lr_multiplier^2) and multiplied at runtime by
    lr_multiplier / sqrt(fan_in); the bias by lr_multiplier. The mapping network's lr_multiplier 0.01 slows it."""

    def __init__(self, in_features: int, out_features: int, bias_init: float = 0.0, lr_multiplier: float = 1.0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init) / lr_multiplier))
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight * self.weight_gain, self.bias * self.bias_gain)


class EqualizedConv2d(nn.Module):
    """A convolution with its weight scaled by 1/sqrt(fan_in) at runtime; `down` filters, then strides by 2."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, bias: bool = True, down: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = 1 / math.sqrt(in_channels * kernel * kernel)
        self.blur = Resample(in_channels, up=False) if down else None
        self.padding = kernel // 2

    def forward(self, x: Tensor) -> Tensor:
        if self.blur is not None:  # filter and subsample, then the convolution at the lower resolution
            x = self.blur(x)
        return F.conv2d(x, self.weight * self.weight_gain, self.bias, padding=self.padding)


def modulated_conv2d(x: Tensor, weight: Tensor, styles: Tensor, demodulate: bool = True, padding: int = 1) -> Tensor:
    """StyleGAN2's modulated convolution: each sample's copy of `weight` (out, in, k, k) scaled per input channel by
    its `styles` (N, in) and, with `demodulate`, divided by its output channels' L2 norms, so unit-variance inputs give
    unit-variance outputs. Computed in the equivalent non-fused form (stylegan2-ada's training path): the inputs
    scaled by the styles, convolved with the shared weight, the outputs divided by the norms. On a 2-core CPU a
    StyleGAN2 update takes ~20% less time so than as one grouped convolution of per-sample weights (the fused form;
    docs/benchmarks.md)."""
    out = F.conv2d(x * styles[:, :, None, None], weight, padding=padding)
    if not demodulate:
        return out
    norms = torch.rsqrt(styles.square() @ weight.square().sum(dim=(2, 3)).t() + 1e-8)  # (N, out)
    return out * norms[:, :, None, None]


class ModulatedConv(nn.Module):
    """A modulated convolution with its affine style layer (w -> per-input-channel scales, bias 1 at init)."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, kernel: int = 3, demodulate: bool = True):
        super().__init__()
        self.affine = EqualizedLinear(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel, kernel))
        self.weight_gain = 1 / math.sqrt(in_channels * kernel * kernel)
        self.demodulate = demodulate

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        weight = self.weight * self.weight_gain
        return modulated_conv2d(x, weight, self.affine(w), self.demodulate, padding=self.weight.shape[-1] // 2)


class SynthesisLayer(nn.Module):
    """[x2 up] -> modulated 3x3 conv -> + noise * strength -> + bias -> leaky ReLU."""

    def __init__(
        self, in_channels: int, out_channels: int, w_dim: int, size: tuple[int, int], up: bool = False
    ) -> None:
        """`size`: the (height, width) of the layer's output, that of its fixed noise map."""
        super().__init__()
        self.up = Resample(in_channels, up=True) if up else None
        self.conv = ModulatedConv(in_channels, out_channels, w_dim)
        self.noise_strength = nn.Parameter(torch.zeros(()))
        self.register_buffer("noise_const", torch.randn(size))
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        if self.up is not None:
            x = self.up(x)
        x = self.conv(x, w)
        noise = torch.randn_like(x[:, :1]) if self.training else self.noise_const.to(x.dtype)
        return lrelu(x + noise * self.noise_strength + self.bias.view(1, -1, 1, 1))


class ToRGB(nn.Module):
    """Modulated 1x1 convolution to the image channels, no demodulation (as the official torgb)."""

    def __init__(self, in_channels: int, image_channels: int, w_dim: int) -> None:
        super().__init__()
        self.conv = ModulatedConv(in_channels, image_channels, w_dim, kernel=1, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(image_channels))

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        return self.conv(x, w) + self.bias.view(1, -1, 1, 1)


class MappingNetwork(nn.Module):
    """z (and a label's embedding, concatenated) -> w through `num_layers` equalized linear layers at `lr_multiplier`
    times the optimizer's learning rate (1/100, stylegan2-ada's mapping_kwargs). Keeps `w_avg`, the moving average
    of w (beta 0.995) that truncation pulls towards."""

    def __init__(
        self, z_dim: int, w_dim: int, num_layers: int, num_classes: int | None = None, lr_multiplier: float = 0.01
    ) -> None:
        super().__init__()
        self.embed = EqualizedLinear(num_classes, w_dim) if num_classes else None
        features = [z_dim + (w_dim if num_classes else 0)] + [w_dim] * num_layers
        self.layers = nn.ModuleList(
            EqualizedLinear(a, b, lr_multiplier=lr_multiplier) for a, b in zip(features[:-1], features[1:], strict=True)
        )
        self.register_buffer("w_avg", torch.zeros(w_dim))
        self.num_classes = num_classes

    def forward(self, z: Tensor, labels: Tensor | None = None, truncation_psi: float = 1.0) -> Tensor:
        parts = [normalize_2nd_moment(z)] if z.shape[1] else []  # z_dim 0: the discriminator's label mapping
        if self.embed is not None:
            if labels is None:
                raise ValueError("a conditional mapping network needs the labels")
            parts.append(normalize_2nd_moment(self.embed(F.one_hot(labels, self.num_classes).to(z.dtype))))
        x = torch.cat(parts, dim=1)
        for layer in self.layers:
            x = lrelu(layer(x))
        if self.training:
            with torch.no_grad():
                self.w_avg.lerp_(x.detach().mean(0).to(self.w_avg.dtype), 1 - 0.995)  # float32 under bf16 autocast
        return x if truncation_psi == 1.0 else self.w_avg.to(x.dtype).lerp(x, truncation_psi)


def normalize_2nd_moment(x: Tensor) -> Tensor:
    return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + 1e-8)


class StyleGAN2Generator(nn.Module):
    """(z, labels) -> image in roughly [-1, 1] (no tanh, as the official generator).

    `forward` = `synthesis(mapping(z, labels))`, with style mixing in training mode: with probability
    `style_mixing`, the ws from `cutoff` on come from a second latent (cutoff uniform in [1, num_ws)). `truncation_psi`
    (eval) moves w towards the tracked average: 0 gives the average's image, 1 the untruncated generator.
    """

    def __init__(
        self,
        latent_dim: int,
        data_shape: tuple[int, ...],
        num_classes: int | None = None,
        conditioning: str = "none",
        w_dim: int | None = None,
        mapping_layers: int = 8,
        mapping_lr_multiplier: float = 0.01,
        channel_base: int = 32768,
        channel_max: int = 512,
        style_mixing: float = 0.9,
        truncation_psi: float = 1.0,
    ) -> None:
        super().__init__()
        if conditioning not in ("none", "projection"):
            raise ConfigError(
                f"StyleGAN2 takes model.conditioning=none or projection (as stylegan2-ada), got {conditioning}"
            )
        conditional = conditioning != "none"
        levels, base_height, base_width = levels_and_grid(data_shape)
        self.w_dim = w_dim or latent_dim
        labels = num_classes if conditional else None
        self.mapping = MappingNetwork(latent_dim, self.w_dim, mapping_layers, labels, mapping_lr_multiplier)
        channels = [channels_at(2**level, channel_base, channel_max) for level in range(2, levels + 1)]
        self.const = nn.Parameter(torch.randn(channels[0], base_height, base_width))
        self.layers, self.to_rgb = nn.ModuleList(), nn.ModuleList()
        self.layers.append(SynthesisLayer(channels[0], channels[0], self.w_dim, (base_height, base_width)))
        self.to_rgb.append(ToRGB(channels[0], data_shape[0], self.w_dim))
        for index in range(1, levels - 1):
            size = (base_height << index, base_width << index)
            self.layers.append(SynthesisLayer(channels[index - 1], channels[index], self.w_dim, size, up=True))
            self.layers.append(SynthesisLayer(channels[index], channels[index], self.w_dim, size))
            self.to_rgb.append(ToRGB(channels[index], data_shape[0], self.w_dim))
        self.upsample_image = Resample(data_shape[0], up=True)
        self.num_ws = len(self.layers) + 1  # each layer's w, and one more for the last toRGB
        self.style_mixing, self.truncation_psi = style_mixing, truncation_psi
        self.latent_dim = latent_dim

    def synthesis(self, ws: Tensor) -> Tensor:
        """ws (N, num_ws, w_dim) -> images: layer i takes ws[:, i]; the toRGB after layer i takes ws[:, i + 1]."""
        x = self.const[None].expand(ws.shape[0], -1, -1, -1)
        x = self.layers[0](x, ws[:, 0])
        image = self.to_rgb[0](x, ws[:, 1])
        for block, to_rgb in enumerate(self.to_rgb[1:], start=1):
            first = 2 * block - 1
            x = self.layers[first](x, ws[:, first])
            x = self.layers[first + 1](x, ws[:, first + 1])
            image = self.upsample_image(image) + to_rgb(x, ws[:, first + 2])
        return image

    def ws(self, z: Tensor, labels: Tensor | None = None, truncation_psi: float | None = None) -> Tensor:
        """The per-layer ws of z: one w broadcast to every layer, mixed with a second latent's in training."""
        psi = self.truncation_psi if truncation_psi is None else truncation_psi
        ws = self.mapping(z, labels, 1.0 if self.training else psi)[:, None].repeat(1, self.num_ws, 1)
        if self.training and self.style_mixing > 0:
            cutoff = int(torch.randint(1, self.num_ws, ()))
            if float(torch.rand(())) < self.style_mixing:
                ws[:, cutoff:] = self.mapping(torch.randn_like(z), labels)[:, None]
        return ws

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.synthesis(self.ws(z, labels))

    def mixed(self, coarse: Tensor, fine: Tensor, layer: int, labels: Tensor | None = None) -> Tensor:
        """Images whose layers before `layer` take the ws of `coarse`, and from `layer` on those of `fine`."""
        ws = self.ws(coarse, labels)
        ws[:, layer:] = self.ws(fine, labels)[:, layer:]
        return self.synthesis(ws)


def minibatch_stddev(x: Tensor, group_size: int = 4) -> Tensor:
    """Appends one feature map: the standard deviation over groups of `group_size` samples (the largest divisor of
    the batch not above it), averaged over channels and pixels, so D sees a batch's lack of variety."""
    n, c, h, w = x.shape
    group = max(g for g in range(1, min(group_size, n) + 1) if n % g == 0)
    y = x.reshape(group, -1, c, h, w)
    y = (y - y.mean(dim=0)).square().mean(dim=0).add(1e-8).sqrt().mean(dim=(1, 2, 3))  # (N / group,)
    y = y.reshape(-1, 1, 1, 1).repeat(group, 1, h, w)
    return torch.cat([x, y], dim=1)


class DiscriminatorBlock(nn.Module):
    """conv 3x3 -> conv 3x3 down. Residual (config-f): plus a 1x1 down skip, summed at sqrt(1/2); "orig" (the official
    cifar config's D): the two convolutions alone."""

    def __init__(self, in_channels: int, out_channels: int, residual: bool = True) -> None:
        super().__init__()
        self.conv0 = EqualizedConv2d(in_channels, in_channels, 3)
        self.conv1 = EqualizedConv2d(in_channels, out_channels, 3, down=True)
        self.skip = EqualizedConv2d(in_channels, out_channels, 1, bias=False, down=True) if residual else None

    def forward(self, x: Tensor) -> Tensor:
        main = lrelu(self.conv1(lrelu(self.conv0(x))))
        return main if self.skip is None else (self.skip(x) + main) * math.sqrt(0.5)


class StyleGAN2Discriminator(nn.Module):
    """image -> score: fromRGB, blocks down to the base grid (4x4 for square images; `architecture`: resnet or orig),
    minibatch stddev, conv, dense, output. Conditional (`conditioning=projection`, as stylegan2-ada): the output is
    `cmap_dim` features projected on a mapped label embedding, divided by sqrt(cmap_dim)."""

    def __init__(
        self,
        data_shape: tuple[int, ...],
        num_classes: int | None = None,
        conditioning: str = "none",
        channel_base: int = 32768,
        channel_max: int = 512,
        mbstd_group: int = 4,
        architecture: str = "resnet",
        freeze: int = 0,
    ) -> None:
        """`freeze`: the first blocks kept as they are (FreezeD, gansuite.nets.freeze)."""
        super().__init__()
        if architecture not in ("resnet", "orig"):
            raise ConfigError(
                f"model.discriminator.architecture={architecture} is not one of resnet, orig: pick one of them."
            )
        levels, base_height, base_width = levels_and_grid(data_shape)
        channels = {level: channels_at(2**level, channel_base, channel_max) for level in range(2, levels + 1)}
        self.from_rgb = EqualizedConv2d(data_shape[0], channels[levels], 1)
        self.blocks = nn.Sequential(
            *(
                DiscriminatorBlock(channels[lv], channels[lv - 1], residual=architecture == "resnet")
                for lv in range(levels, 2, -1)
            )
        )
        self.conv = EqualizedConv2d(channels[2] + 1, channels[2], 3)
        self.dense = EqualizedLinear(channels[2] * base_height * base_width, channels[2])
        self.conditional = conditioning == "projection" and bool(num_classes)
        self.cmap_dim = channels[2] if self.conditional else 1
        self.out = EqualizedLinear(channels[2], self.cmap_dim)
        if self.conditional:
            self.label_mapping = MappingNetwork(0, self.cmap_dim, 8, num_classes)  # the official cmap: 8 layers
        self.mbstd_group, self.num_classes = mbstd_group, num_classes
        freeze_leading_blocks(self, freeze)

    def freeze_blocks(self) -> list[list[nn.Module]]:
        """FreezeD's blocks, from the input: fromRGB with the first resolution's block, then one per resolution,
        then the 4x4 epilogue (conv, dense)."""
        first, *rest = self.blocks
        return [[self.from_rgb, first], *([block] for block in rest), [self.conv, self.dense]]

    def features(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        x = self.blocks(lrelu(self.from_rgb(x)))
        x = lrelu(self.conv(minibatch_stddev(x, self.mbstd_group)))
        return lrelu(self.dense(x.flatten(1)))

    def scores_and_class_logits(self, x: Tensor, labels: Tensor) -> tuple[Tensor, None]:
        return self(x, labels), None

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        out = self.out(self.features(x))
        if not self.conditional:
            return out.squeeze(1)
        cmap = self.label_mapping(x.new_zeros(x.shape[0], 0), labels)
        return (out * cmap).sum(dim=1) / np.sqrt(self.cmap_dim)
