"""Fault injection on a private RabbitMQ node, a loss ledger and its checker (see RELIABILITY.md)."""
