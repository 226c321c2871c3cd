"""Reporting service: indicators per Mission and, in sector mode, for InterMire."""
