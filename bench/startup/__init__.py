"""Cold start benchmark: the whole platform to all-ready."""
