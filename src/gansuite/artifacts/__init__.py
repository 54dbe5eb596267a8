"""What a run leaves and what reads it back, without the command line: checkpoints (read in today's names, written
whole), the generators they hold (`gansuite.load`), export, the run and sweep reports and their plots."""
