"""What a user does with a trained generator besides sampling it: truncation for every noise model, latent paths for
interpolation videos, and projection of real images into the latent space. The names below are torch-free, for the
command lines' checks."""

SPACES = ("z", "w", "w+")  # where a projection searches: w and w+ only for style-based generators
FEATURES = ("auto", "lpips", "discriminator", "none")  # the feature distance beside a projection's pixel error
