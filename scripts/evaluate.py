"""`python scripts/evaluate.py ...` in a checkout; gansuite-evaluate once installed. What it does and takes:
gansuite/commands/evaluate.py."""

from gansuite.commands.evaluate import run

if __name__ == "__main__":
    run()
