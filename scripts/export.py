"""`python scripts/export.py ...` in a checkout; gansuite-export once installed. What it does and takes:
gansuite/commands/export.py."""

from gansuite.commands.export import run

if __name__ == "__main__":
    run()
