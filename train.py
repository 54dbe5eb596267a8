"""Train a GAN: `python train.py [group=option ...] [key=value ...]`. See README.md."""

from gansuite.train import cli

if __name__ == "__main__":
    cli()
