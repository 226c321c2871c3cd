"""The agency contract: what Le Forem and Actiris receive from the Missions.

* ``catalogue`` — every agency event type and version, with its payload
  class (``contracts.payloads``);
* ``routing`` — which agency a fact concerns (region of residence or of the
  job) and which disclosure lets it go there;
* ``disclosure`` — the per-agency field policy applied when an event is
  built, with the generalisation of sensitive referrers and target groups.

What a service does with the agency events it keeps in its outbox (replay
from a date, dropping what a withdrawn consent must no longer send) is
``kit.agency_outbox``: it runs SQL, which the contract layer never does.
``contracts/README.md`` states the rules in prose; ``contracts/generate.py``
derives the AsyncAPI document and the JSON Schemas from this package.
"""
