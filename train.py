"""Train a GAN: `python train.py [group=option ...] [key=value ...]`. See README.md."""

from gansuite.train import main

if __name__ == "__main__":
    main()
