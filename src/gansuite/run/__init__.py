"""A run from its config, below the command line: the config checks (validation), training (train), resuming, and
the work behind evaluate.py, sample.py and translate.py, each imported by its command after the command line was
checked (torch and Lightning take seconds to import)."""
