"""The partner directory's use cases (``employer.partners`` holds its rules), free of nameko.

Each function takes the unit of work as the employer service's other use cases do (``employer.application``)
and returns what the entrypoint answers with, as a ``kit.application.Outcome`` when the change has events.

The directory tells nobody inside the Mission of its changes (no service keeps a copy: those that name a
partner ask ``known_partners`` at the moment they write). It tells InterMire, and only of the organisations
the Mission shares (``published``): each change of a shared organisation or of its services sends it again
as it now stands (``contracts.sector.PartnerPublishedV1``), and unpublishing sends its removal.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.orm import Session
from stdnum.be import vat

from contracts import sector
from contracts.payloads import build
from employer import partner_schemas as ps
from employer import partners
from employer.models import Correction, Partner, PartnerMunicipality, PartnerService, PartnerServiceTag
from kit import answers, corrections, inputs
from kit.actor import Actor
from kit.application import Addressed, Clock, Outcome, internal, refused_as_field_errors
from kit.errors import NotFound
from kit.search import like_all

Data = dict[str, Any]
PARTNER = "partner"  # what a correction of an organisation is recorded as (kit.corrections)
NEED, PUBLIC = "need", "public"  # the kinds of a service's tags


# -- references (kit.references) -------------------------------------------------------------------------
def known_partners(session: Session, asked: list[str]) -> dict[str, str]:
    """Which of ``asked`` name a partner organisation of this Mission, each with its type."""
    query = select(Partner.id, Partner.partner_type).where(Partner.id.in_(asked))
    return {ref: kind for ref, kind in session.execute(query)}


def known_partner_services(session: Session, asked: list[str]) -> dict[str, str]:
    """Which of ``asked`` name a service still offered by a partner of this Mission, each with its
    organisation's type (a withdrawn service is left out: nothing new may name it)."""
    query = (
        select(PartnerService.id, Partner.partner_type)
        .join(Partner, Partner.id == PartnerService.partner_id)
        .where(PartnerService.id.in_(asked), PartnerService.status == partners.OFFERED)
    )
    return {ref: kind for ref, kind in session.execute(query)}


# -- reads -----------------------------------------------------------------------------------------------
def partner(session: Session, partner_id: object) -> Partner:
    """The partner organisation ``partner_id`` names in this Mission, or NotFound."""
    found = session.get(Partner, partner_id) if isinstance(partner_id, str) else None
    if found is None:
        raise NotFound("partner organisation", str(partner_id)[:64])
    return found


def services_of(session: Session, partner_id: str) -> list[PartnerService]:
    """The organisation's services, those still offered first, each group by title."""
    withdrawn_last = PartnerService.status == partners.WITHDRAWN
    query = select(PartnerService).where(PartnerService.partner_id == partner_id)
    return list(session.scalars(query.order_by(withdrawn_last, PartnerService.title, PartnerService.id)))


def read_partner(session: Session, partner_id: object) -> Data:
    """An organisation with its services (the withdrawn ones too, marked so) and its corrections."""
    found = partner(session, partner_id)
    return ps.PartnerOutSchema().dump(found) | {
        "services": ps.PartnerServiceOutSchema(many=True).dump(services_of(session, found.id)),
        "corrections": corrections.history(session, Correction, PARTNER, found.id),
    }


def search(session: Session, found: Data, page: object, page_size: object) -> Data:
    """Organisations matching every criterion (``partner_schemas.PartnerSearchSchema``), by name; a need or a
    target group is that of one of its services still offered."""
    offset, limit = inputs.page_window(page, page_size)
    conditions = like_all(Partner.search_name, found.get("q"))
    if "partner_type" in found:
        conditions.append(Partner.partner_type == found["partner_type"])
    if "municipality" in found:
        served = select(PartnerMunicipality.partner_id).where(
            PartnerMunicipality.partner_id == Partner.id, PartnerMunicipality.municipality == found["municipality"]
        )
        conditions.append(exists(served))
    tags = [(NEED, found["need"])] if "need" in found else []
    tags += [(PUBLIC, found["target_group"])] if "target_group" in found else []
    if tags:
        # One offered service that answers both the need and the target group, not two services answering one each.
        offered = select(PartnerService.id).where(
            PartnerService.partner_id == Partner.id,
            PartnerService.status == partners.OFFERED,
            *(
                exists(
                    select(PartnerServiceTag.code).where(
                        PartnerServiceTag.service_id == PartnerService.id,
                        PartnerServiceTag.kind == kind,
                        PartnerServiceTag.code == code,
                    )
                )
                for kind, code in tags
            ),
        )
        conditions.append(exists(offered))
    where = and_(True, *conditions)
    total = session.scalar(select(func.count()).select_from(Partner).where(where)) or 0
    rows = list(
        session.scalars(select(Partner).where(where).order_by(Partner.name, Partner.id).offset(offset).limit(limit))
    )
    offered_count = (
        select(PartnerService.partner_id, func.count())
        .where(PartnerService.partner_id.in_([r.id for r in rows]), PartnerService.status == partners.OFFERED)
        .group_by(PartnerService.partner_id)
    )
    counts = {ref: n for ref, n in session.execute(offered_count)}
    items = [ps.PartnerListedSchema().dump(r) | {"services_offered": counts.get(r.id, 0)} for r in rows]
    return answers.page(items, cast(int, page), cast(int, page_size), total)


# -- writes ----------------------------------------------------------------------------------------------
def _bce(number: str | None) -> str | None:
    return vat.compact(number)[-10:] if number else None


def _serve(session: Session, p: Partner) -> None:
    """Keep the search rows of the municipalities ``p`` serves in step with its list."""
    session.execute(delete(PartnerMunicipality).where(PartnerMunicipality.partner_id == p.id))
    session.add_all(PartnerMunicipality(partner_id=p.id, municipality=m) for m in p.municipalities)


def create_partner(session: Session, actor: Actor, clock: Clock, source: str, data: Data) -> Outcome[Partner]:
    """A new organisation in the directory, not shared with InterMire until the Mission publishes it."""
    fields = dict(data)
    new = Partner(
        id=str(uuid.uuid4()),
        name=fields["name"],
        enterprise_number=_bce(fields.get("enterprise_number")),
        partner_type=fields["partner_type"],
        municipalities=partners.distinct(fields["municipalities"]),
        contact=dict(fields.get("contact") or {}),
        published=False,
        shared_revision=0,
        created_at=clock.now(),
        created_by=(actor.sub or "")[:100],
    )
    session.add(new)
    session.flush()
    _serve(session, new)
    return Outcome(new)


def correct_partner(
    session: Session, actor: Actor, clock: Clock, source: str, partner_id: object, data: Data
) -> Outcome[Partner]:
    """Correct an organisation at the version the caller read (409 if corrected since); kept in the history;
    InterMire hears of it again if the Mission shares it."""
    sent = corrections.sent_version(data)
    found = partner(session, partner_id)
    version = corrections.claim(session, found, Correction, PARTNER, sent)
    wanted = dict(data)
    if "enterprise_number" in wanted:
        wanted["enterprise_number"] = _bce(wanted["enterprise_number"])
    if "municipalities" in wanted:
        wanted["municipalities"] = partners.distinct(wanted["municipalities"])
    if "contact" in wanted:
        wanted["contact"] = dict(wanted["contact"] or {})
    changes = corrections.apply(found, wanted, partners.CORRECTABLE)
    if not changes:
        raise corrections.nothing_changed()
    session.add_all(corrections.history_rows(Correction, PARTNER, found.id, version, actor, clock.now(), changes))
    if any(c.field == "municipalities" for c in changes):
        session.flush()
        _serve(session, found)
    return Outcome(found, _shared_again(session, source, found))


def add_service(
    session: Session, actor: Actor, clock: Clock, source: str, partner_id: object, data: Data
) -> Outcome[PartnerService]:
    """A service the organisation offers; InterMire hears of it if the Mission shares the organisation."""
    owner = partner(session, partner_id)
    fields = dict(data)
    new = PartnerService(
        id=str(uuid.uuid4()),
        partner_id=owner.id,
        title=fields["title"],
        description=fields["description"],
        needs=partners.distinct(fields["needs"]),
        target_groups=partners.distinct(fields.get("target_groups") or []),
        conditions=fields.get("conditions"),
        contact=dict(fields.get("contact") or {}),
        opening_hours=fields.get("opening_hours"),
        status=partners.OFFERED,
        created_at=clock.now(),
    )
    session.add(new)
    session.flush()
    session.add_all(PartnerServiceTag(service_id=new.id, kind=NEED, code=c) for c in new.needs)
    session.add_all(PartnerServiceTag(service_id=new.id, kind=PUBLIC, code=c) for c in new.target_groups)
    return Outcome(new, _shared_again(session, source, owner))


def withdraw_service(
    session: Session, actor: Actor, clock: Clock, source: str, partner_id: object, service_id: object
) -> Outcome[PartnerService]:
    """The organisation no longer offers the service: kept readable, no longer offered (nor shared)."""
    owner = partner(session, partner_id)
    found = session.get(PartnerService, service_id) if isinstance(service_id, str) else None
    if found is None or found.partner_id != owner.id:
        raise NotFound("partner service", str(service_id)[:64])
    with refused_as_field_errors():
        found.status = partners.check_withdraw(found.status)
    found.withdrawn_at, found.withdrawn_by = clock.now(), (actor.sub or "")[:100]
    session.flush()
    return Outcome(found, _shared_again(session, source, owner))


def set_published(
    session: Session, actor: Actor, clock: Clock, source: str, partner_id: object, wanted: bool
) -> Outcome[Partner]:
    """Share the organisation and its services with InterMire's sector directory, or stop sharing it."""
    found = partner(session, partner_id)
    with refused_as_field_errors():
        partners.check_publish(found.published, wanted)
    found.published = wanted
    session.flush()
    return Outcome(found, _shared(session, source, found))


# -- what InterMire hears ---------------------------------------------------------------------------------
def _shared_again(session: Session, source: str, p: Partner) -> list[Addressed]:
    """The organisation sent again as it now stands, if the Mission shares it; nothing otherwise."""
    return _shared(session, source, p) if p.published else []


def _shared(session: Session, source: str, p: Partner) -> list[Addressed]:
    p.shared_revision += 1
    if not p.published:
        gone = sector.PartnerUnpublishedV1(partner_id=p.id, revision=p.shared_revision)
        return internal([build(gone, source=source, subject=p.id)])
    session.flush()
    listed = ps.PartnerServiceOutSchema(many=True).dump(services_of(session, p.id))
    services = [
        sector.SharedPartnerService(
            service_id=s["id"],
            title=s["title"],
            description=s["description"],
            needs=s["needs"],
            target_groups=s["target_groups"],
            conditions=s["conditions"],
            contact=_channel(s["contact"]),
            opening_hours=s["opening_hours"],
        )
        for s in partners.offered(listed)
    ]
    shown = sector.PartnerPublishedV1(
        partner_id=p.id,
        revision=p.shared_revision,
        name=p.name,
        partner_type=p.partner_type,
        municipalities=list(p.municipalities),
        contact=_channel(p.contact),
        services=services,
    )
    return internal([build(shown, source=source, subject=p.id)])


def _channel(contact: Data | None) -> sector.PartnerContact:
    given = contact or {}
    return sector.PartnerContact(**{k: given.get(k) for k in ("phone", "email", "website", "address")})
