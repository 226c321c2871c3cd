"""Passerelle's service kit: what every service shares.

Configuration and the Mission registry, the database provider and migrations,
the transactional outbox and its relay, the idempotent inbox, the broker
topology, RPC timeouts, metrics, health and JSON logs.
"""
