"""The beneficiary service's inbound agency entrypoints, wiring only (``BeneficiaryService`` takes them in).

The one handler of every event an agency sends this Mission (``contracts.agency.inbound``), arriving on the
Mission's ``passerelle.agency.in`` from the agency's queue for it on /agencies, and the counsellor team's read of
what the agencies said about a person. The rules are in ``beneficiary.agency_facts``.

Failure semantics (``kit.consumer``): a message the broker did not bring from an agency's queue for this Mission,
or whose ``source`` names another agency than that queue's, is dead-lettered with the reason before it reaches
here (``kit.forwarded.admit_agency_event``), and no agency hears of it (the sender is in doubt). An event refused
by the rules is recorded with its feedback to the agency in the inbox's transaction, then dead-lettered at once
(``NotAdmitted``); a redelivered one is dead-lettered again, its feedback not sent twice. Anything else raised
(the database away) is retried as every handler's is.
"""

from marshmallow import Schema, fields

from beneficiary import agency_facts
from kit import forwarded
from kit.application import to_outbox
from kit.consumer import event_handler
from kit.entrypoint import entrypoint
from kit.forwarded import NotAdmitted

EVERY_TYPE = "#"  # refused or not, every event an agency sends reaches the handler: an unknown type is told back


class AgencyFactSchema(Schema):
    """One fact an agency told the Mission about the person, as the file lists it."""

    agency = fields.String()
    type = fields.String()
    occurred_on = fields.Date()
    received_at = fields.DateTime()
    event_id = fields.String()
    facts = fields.Dict()


class Inbound:
    """Entrypoints of ``BeneficiaryService`` (nameko finds them on the class that inherits them)."""

    @event_handler(EVERY_TYPE, source="inbound", admit=forwarded.admit_agency_event)
    def on_agency_event(self, event):
        agency = forwarded.agency_of(event.source)  # the admission checked it against the broker's forward header
        refusal = None
        with self.db.once(event) as session:
            if session is None:
                with self.db.session() as reading:
                    refusal = agency_facts.refusal_of(reading, event.id)
            else:
                refusal = to_outbox(
                    session,
                    agency_facts.receive(session, self.clock, self.site.source, self.site.code, agency, event),
                )
        if refusal is not None:
            raise NotAdmitted(f"{refusal.code}: {refusal.reason}")

    @entrypoint("beneficiary.read", answer=AgencyFactSchema(many=True))
    def list_agency_facts(self, beneficiary_id, purpose="accompaniment"):
        """What Le Forem and Actiris told the Mission about the person, the latest first (audited)."""
        return agency_facts.listing(*self._reader, beneficiary_id, purpose)
