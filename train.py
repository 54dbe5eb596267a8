"""`python train.py [group=option ...] [key=value ...]` in a checkout: gansuite-train of an installed gansuite. See
README.md and gansuite/commands/train.py."""

from gansuite.commands.train import run

if __name__ == "__main__":
    run()
