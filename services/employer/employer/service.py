"""Employer service entrypoints: load through a schema, apply, dump."""

import uuid
from datetime import UTC, datetime

from marshmallow import ValidationError
from nameko.rpc import rpc
from sqlalchemy import func, select
from stdnum.be import vat

from employer import events
from employer.models import Employer
from employer.schemas import EmployerIntakeSchema, EmployerSchema
from kit import outbox
from kit.errors import Conflict, NotFound, ValidationFailed
from kit.service import ServiceBase


class EmployerService(ServiceBase):
    name = "employer"

    @rpc
    def register(self, payload):
        try:
            data = EmployerIntakeSchema().load(payload or {})
        except ValidationError as exc:
            raise ValidationFailed(exc.messages) from None
        number = vat.compact(data["enterprise_number"])[-10:]
        with self.db.transaction() as session:
            existing = session.scalar(select(Employer.id).where(Employer.enterprise_number == number))
            if existing:
                raise Conflict("this enterprise is already registered in this Mission", existing)
            employer = Employer(id=str(uuid.uuid4()), enterprise_number=number, name=data["name"],
                                nace=data["nace"], municipality=data["municipality"],
                                created_at=datetime.now(UTC))
            session.add(employer)
            session.flush()
            for event in events.registered(self.site.source, employer):
                outbox.add(session, event)
        return EmployerSchema().dump(employer)

    @rpc
    def get(self, employer_id):
        with self.db.session() as session:
            employer = session.get(Employer, employer_id)
            if employer is None:
                raise NotFound("employer", employer_id)
            return EmployerSchema().dump(employer)

    @rpc
    def count(self):
        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(Employer))
