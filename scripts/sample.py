"""`python scripts/sample.py ...` in a checkout; gansuite-sample once installed. What it does and takes:
gansuite/commands/sample.py."""

from gansuite.commands.sample import run

if __name__ == "__main__":
    run()
