"""What a model family consumes and produces, declared once on its class (`capabilities = Capabilities(...)`) and
read by config validation (which data it trains on), evaluate.py (which metrics score it), sample.py, translate.py
and the generator regularizers (what its generators make). A datamodule says what it provides by its markers, read by
`data_provides`. Checkpoints record each generator's use apart (gansuite.artifacts.pretrained loads them without
importing a model class)."""

from dataclasses import dataclass
from typing import Any

#: What a family trains on: one set of images or points (labels optional), two unpaired image domains, aligned
#: (input, target) pairs, or (low, high) resolution pairs.
CONSUMES = ("samples", "domains", "pairs", "resolution_pairs")
#: What its generators make: samples from noise, translations between domains, upscaled images.
PRODUCES = ("samples", "translations", "upscales")
#: The data a family's `consumes` accepts: aligned pairs are two domains too (CycleGAN trains on them unpaired).
ACCEPTS = {
    "samples": ("samples",),
    "domains": ("domains", "pairs"),
    "pairs": ("pairs",),
    "resolution_pairs": ("resolution_pairs",),
}


@dataclass(frozen=True)
class Capabilities:
    consumes: str = "samples"
    produces: str = "samples"

    def __post_init__(self) -> None:
        if self.consumes not in CONSUMES or self.produces not in PRODUCES:
            raise ValueError(
                f"Capabilities(consumes={self.consumes!r}, produces={self.produces!r}): consumes one of {CONSUMES}, "
                f"produces one of {PRODUCES}"
            )

    def accepts(self, provided: str) -> bool:
        """Whether data that provides `provided` (see `data_provides`) trains this family."""
        return provided in ACCEPTS[self.consumes]


def data_provides(data: Any) -> str:
    """What a datamodule class provides, from its markers: `low_resolution_pairs = True` (super-resolution pairs),
    `paired = True` (aligned pairs), a `domains` attribute (two unpaired domains), else samples."""
    if getattr(data, "low_resolution_pairs", False):
        return "resolution_pairs"
    if getattr(data, "paired", False):
        return "pairs"
    return "domains" if hasattr(data, "domains") else "samples"
