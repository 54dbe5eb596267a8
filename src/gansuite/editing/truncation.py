"""The truncation trick for every noise model, with one meaning of psi in [0, 1]: 1 is the trained generator, 0 its
"average" image, values between trade variety for typicality.

- A style-based generator (StyleGAN2) pulls w towards its tracked average (Karras et al. 2019): w' = w_avg +
  psi (w - w_avg), set on the generator for the duration of the call.
- Any other noise model scales its Gaussian noise: z' = psi z, so psi = 0 gives G(0), the image of the latent
  distribution's mode. BigGAN (Brock et al. 2019) truncates by resampling the entries above a threshold instead; the
  scaling is used here because it keeps psi's meaning the same for every family (1: none, 0: one image) and is
  deterministic for a given z.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from torch import Tensor, nn

from gansuite.run.validation import check_truncation


def truncates_in_w(generator: nn.Module) -> bool:
    return hasattr(generator, "truncation_psi")


@contextmanager
def truncated(generator: nn.Module, psi: float | None) -> Iterator[Callable[[Tensor], Tensor]]:
    """Yields what to do to the noise before `generator` sees it, with `generator` truncated at `psi` inside the
    block (a style-based one through its w; others get their noise scaled). None: no truncation beyond the trained
    generator's own setting."""
    if psi is None:
        yield lambda z: z
        return
    check_truncation(psi)
    if not truncates_in_w(generator):
        yield lambda z: z * float(psi)
        return
    trained, generator.truncation_psi = generator.truncation_psi, float(psi)
    try:
        yield lambda z: z
    finally:
        generator.truncation_psi = trained
