"""Matching service entrypoints. The skeleton: health, database, outbox relay."""

from kit.service import ServiceBase


class MatchingService(ServiceBase):
    name = "matching"
