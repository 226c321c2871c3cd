"""Beneficiary service entrypoints: load through a schema, apply, dump."""

import logging
import uuid
from datetime import UTC, date, datetime

from marshmallow import ValidationError
from nameko.rpc import rpc
from sqlalchemy import func, select

from beneficiary import events
from beneficiary.models import Beneficiary
from beneficiary.schemas import BeneficiarySchema, IntakeSchema
from kit import outbox
from kit.errors import Conflict, NotFound, ValidationFailed
from kit.pseudonym import pseudonym
from kit.service import ServiceBase

log = logging.getLogger(__name__)


class BeneficiaryService(ServiceBase):
    name = "beneficiary"

    @rpc
    def register(self, payload):
        """Intake: a new person's file. Refuses a NISS the Mission already follows."""
        try:
            data = IntakeSchema().load(payload or {})
        except ValidationError as exc:
            raise ValidationFailed(exc.messages) from None
        niss = "".join(ch for ch in data["niss"] if ch.isdigit())
        with self.db.transaction() as session:
            existing = session.scalar(select(Beneficiary.id).where(Beneficiary.niss == niss))
            if existing:
                raise Conflict("a file with this national register number exists in this Mission", existing)
            person = Beneficiary(
                id=str(uuid.uuid4()), niss=niss, pseudonym=pseudonym(niss),
                first_name=data["first_name"], last_name=data["last_name"],
                birth_date=data["birth_date"], gender=data["gender"],
                municipality=data["municipality"],
                registered_on=data["registered_on"] or date.today(),
                created_at=datetime.now(UTC),
            )
            session.add(person)
            session.flush()
            for event in events.registered(self.site.source, person):
                outbox.add(session, event)
        log.info("registered beneficiary %s", person.id)
        return BeneficiarySchema().dump(person)

    @rpc
    def get(self, beneficiary_id):
        with self.db.session() as session:
            person = session.get(Beneficiary, beneficiary_id)
            if person is None:
                raise NotFound("beneficiary", beneficiary_id)
            return BeneficiarySchema().dump(person)

    @rpc
    def count(self):
        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(Beneficiary))
