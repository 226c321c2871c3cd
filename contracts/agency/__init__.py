"""The agency contract: what Le Forem and Actiris receive from the Missions.

* ``catalogue`` — every agency event type and version, with its data schema;
* ``routing`` — which agency a fact concerns (region of residence or of the
  job) and which disclosure lets it go there;
* ``policy`` — the per-agency field policy applied when an event is built,
  with the generalisation of sensitive referrers and target groups;
* ``keeping`` — the agency events kept in a service's outbox: replay from a
  date, and dropping what a withdrawn consent must no longer send.

``contracts/README.md`` states the rules in prose; ``contracts/generate.py``
derives the AsyncAPI document and the JSON Schemas from this package.
"""
