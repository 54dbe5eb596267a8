"""`python scripts/dataset.py ...` in a checkout; gansuite-dataset once installed. What it does and takes:
gansuite/commands/dataset.py."""

from gansuite.commands.dataset import run

if __name__ == "__main__":
    run()
