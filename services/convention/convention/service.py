"""Convention service entrypoints. The skeleton: health, database, outbox relay."""

from kit.service import ServiceBase


class ConventionService(ServiceBase):
    name = "convention"
