"""Lightning loggers that keep one run's records in its run directory across resumes."""
