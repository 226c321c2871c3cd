"""The partner directory's rules and use cases, called directly: a migrated SQLite database, a fixed clock."""

from datetime import UTC, datetime

import pytest
from employer import directory, partners
from employer import partner_schemas as ps
from employer.models import Partner, PartnerService
from employer.partners import OFFERED, WITHDRAWN

from contracts import sector
from kit import inputs
from kit.actor import Actor
from kit.errors import Conflict, NotFound, ValidationFailed
from kit.rules import Refused
from kit.testing import FixedClock, migrated, session

SOURCE = "/missions/mirec/employer"
AGENT = Actor("eric.agent", "mirec", ("employer_relations",))

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    with migrated("employer", f"sqlite:///{tmp_path}/employer.sqlite") as store:
        yield store


def test_references_name_partners_and_offered_services_with_the_organisation_s_type(store):
    with session(store) as s, s.begin():
        s.add(
            Partner(
                id="p-1",
                name="CPAS de Charleroi",
                partner_type="cpas",
                municipalities=["52011"],
                contact={},
                created_at=AT,
                created_by="eric",
            )
        )
        s.flush()
        for ref, status in (("s-1", OFFERED), ("s-2", WITHDRAWN)):
            s.add(
                PartnerService(
                    id=ref,
                    partner_id="p-1",
                    title="Logement",
                    description="Aide au logement",
                    needs=["housing"],
                    target_groups=[],
                    contact={},
                    status=status,
                    created_at=AT,
                )
            )
    with session(store) as s:
        assert directory.known_partners(s, ["p-1", "p-2"]) == {"p-1": "cpas"}
        assert directory.known_partner_services(s, ["s-1", "s-2", "s-3"]) == {"s-1": "cpas"}


# -- rules ------------------------------------------------------------------------------------------------
def test_a_service_is_withdrawn_once_and_publishing_changes_something():
    assert partners.check_withdraw(OFFERED) == WITHDRAWN
    with pytest.raises(Refused) as refused:
        partners.check_withdraw(WITHDRAWN)
    assert refused.value.field == "status"
    partners.check_publish(False, True)
    with pytest.raises(Refused, match="already published"):
        partners.check_publish(True, True)
    with pytest.raises(Refused, match="not published"):
        partners.check_publish(False, False)


def test_the_target_groups_are_the_beneficiary_service_s():
    from beneficiary.enums import TARGET_GROUPS

    assert set(partners.TARGET_GROUPS) == set(TARGET_GROUPS)


def test_a_bce_number_and_municipalities_are_checked_by_field():
    body = {"name": "Asbl", "enterprise_number": "0123.456.789", "partner_type": "oisp", "municipalities": ["99999"]}
    with pytest.raises(ValidationFailed) as failed:
        inputs.load(ps.PartnerSchema(), body)
    assert set(failed.value.errors) == {"enterprise_number", "municipalities"}
    loaded = inputs.load(ps.PartnerSchema(), body | {"enterprise_number": None, "municipalities": ["52011"]})
    assert loaded["contact"] == {} and loaded["enterprise_number"] is None
    with pytest.raises(ValidationFailed) as failed:
        inputs.load(ps.PartnerCorrectionSchema(), {"version": 1})
    assert set(failed.value.errors) == {"_schema"}


# -- use cases --------------------------------------------------------------------------------------------
def test_search_publish_and_withdraw_tell_inter_mire_only_while_shared(store):
    clock = FixedClock()
    with session(store) as s, s.begin():
        body = inputs.load(
            ps.PartnerSchema(),
            {
                "name": "CPAS de Charleroi",
                "enterprise_number": "0212.345.668",
                "partner_type": "cpas",
                "municipalities": ["52011", "52011"],
            },
        )
        made = directory.create_partner(s, AGENT, clock, SOURCE, body)
        assert made.events == [] and made.value.municipalities == ["52011"]
        ref = made.value.id
        service = inputs.load(
            ps.PartnerServiceSchema(),
            {"title": "Logement", "description": "Aide", "needs": ["housing"], "target_groups": ["single_parent"]},
        )
        added = directory.add_service(s, AGENT, clock, SOURCE, ref, service)
        assert added.events == []  # not shared yet
        shared = directory.set_published(s, AGENT, clock, SOURCE, ref, True)
        [(event, _)] = shared.events
        assert (event.type, event.audience, event.data["revision"]) == (sector.PartnerPublishedV1.TYPE, "sector", 1)
        assert "enterprise_number" not in event.data and event.data["services"][0]["title"] == "Logement"
        withdrawn = directory.withdraw_service(s, AGENT, clock, SOURCE, ref, added.value.id)
        [(again, _)] = withdrawn.events
        assert again.data["services"] == [] and again.data["revision"] == 2
        with pytest.raises(ValidationFailed):
            directory.withdraw_service(s, AGENT, clock, SOURCE, ref, added.value.id)
        with pytest.raises(NotFound):
            directory.withdraw_service(s, AGENT, clock, SOURCE, "p-none", added.value.id)
        [(gone, _)] = directory.set_published(s, AGENT, clock, SOURCE, ref, False).events
        assert (gone.type, gone.data) == (sector.PartnerUnpublishedV1.TYPE, {"partner_id": ref, "revision": 3})
    with session(store) as s:
        page = directory.search(s, {"municipality": "52011"}, 1, 25)
        assert (page["total"], page["items"][0]["services_offered"]) == (1, 0)
        assert directory.search(s, {"need": "housing"}, 1, 25)["total"] == 0  # its only service is withdrawn
        assert directory.search(s, {"q": "charleroi"}, 1, 25)["total"] == 1
        read = directory.read_partner(s, ref)
        assert read["services"][0]["status"] == WITHDRAWN and read["enterprise_number"] == "0212345668"


def test_a_correction_at_a_stale_version_writes_nothing(store):
    clock = FixedClock()
    with session(store) as s, s.begin():
        body = inputs.load(ps.PartnerSchema(), {"name": "ALE", "partner_type": "ale", "municipalities": ["52018"]})
        ref = directory.create_partner(s, AGENT, clock, SOURCE, body).value.id
        corrected = directory.correct_partner(s, AGENT, clock, SOURCE, ref, {"version": 1, "municipalities": ["52012"]})
        assert corrected.value.version == 2 and corrected.events == []
        with pytest.raises(Conflict):
            directory.correct_partner(s, AGENT, clock, SOURCE, ref, {"version": 1, "name": "ALE de Châtelet"})
    with session(store) as s:
        assert directory.search(s, {"municipality": "52012"}, 1, 25)["total"] == 1
        assert directory.search(s, {"municipality": "52018"}, 1, 25)["total"] == 0
