"""A reference consumer of the agency events, which Le Forem or Actiris can run as it is or copy.

Plain pika, no platform code: it needs only the contract's JSON Schemas
(``contracts/schemas``). See ``README.md`` in this folder.
"""
