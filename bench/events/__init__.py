"""End-to-end events benchmark (outbox → relay → broker → consumer) and its publishing baselines."""
