"""Alembic environment: the kit runs every service's migrations the same way."""

from kit.migrations import run_env

run_env()
