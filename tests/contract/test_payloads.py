"""The one mechanism every audience's events go through (``contracts.payloads``), without a broker.

A producer builds from a payload class and a wrong field fails there; a
consumer loads into the class of the event's type, version and audience,
ignoring what it does not know and refusing a type or version the contract
does not list.
"""

from datetime import UTC, date, datetime
from types import SimpleNamespace

import msgspec
import pytest
from beneficiary import events as beneficiary_events
from convention import events as convention_events
from employer import events as employer_events
from matching import events as matching_events
from matching.domain import EVENT_OF

from contracts import internal, sector, signal
from contracts.catalogue import CATALOGUE, load, of_audience
from contracts.envelope import AUDIENCES, make_event, parse
from contracts.payloads import OutsideContract, UnknownEventType, build

SOURCE = "/missions/mirec/beneficiary"


def assessed(**changes):
    facts = {
        "beneficiary_id": "b-1",
        "municipality": "52011",
        "assessed_on": date(2026, 10, 1),
        "competences": [internal.Competence(code="C0001", level=2)],
    }
    return internal.BeneficiaryAssessedV1(**{**facts, **changes})


def test_a_payload_builds_its_event_with_its_type_audience_and_plain_json_data():
    event = build(assessed(), source=SOURCE, subject="b-1")
    assert event.type == "be.mire.beneficiary.assessed.v1"
    assert event.dataschema == "urn:passerelle:schema:internal:be.mire.beneficiary.assessed.v1"
    assert event.data == {
        "beneficiary_id": "b-1",
        "municipality": "52011",
        "assessed_on": "2026-10-01",
        "competences": [{"code": "C0001", "level": 2, "kind": "technical"}],
    }


def test_a_wrong_payload_is_refused_at_build_before_the_event_exists():
    with pytest.raises(OutsideContract, match=r"assessed_on"):
        build(assessed(assessed_on="yesterday"), source=SOURCE, subject="b-1")
    with pytest.raises(OutsideContract, match=r"level"):
        build(assessed(competences=[internal.Competence(code="C0001", level=9)]), source=SOURCE, subject="b-1")
    with pytest.raises(OutsideContract, match=r"beneficiary_id"):
        build(assessed(beneficiary_id=""), source=SOURCE, subject="b-1")
    with pytest.raises(TypeError, match="first_name"):
        assessed(first_name="Nadia")  # a field the contract does not name cannot be given at all
    with pytest.raises(TypeError, match="assessed_on"):
        internal.BeneficiaryAssessedV1(beneficiary_id="b-1", municipality=None, competences=[])


def test_a_consumer_loads_typed_values_and_ignores_fields_it_does_not_know():
    sent = build(assessed(), source=SOURCE, subject="b-1").to_dict()
    sent["data"]["added_in_a_later_minor"] = True
    payload = load(parse(sent), internal.BeneficiaryAssessedV1)
    assert payload == assessed()
    assert isinstance(payload.assessed_on, date) and payload.competences[0].kind == "technical"


def test_an_unknown_type_version_or_audience_is_refused_at_load():
    data = build(assessed(), source=SOURCE, subject="b-1").data
    with pytest.raises(UnknownEventType, match="v2"):
        load(make_event(source=SOURCE, type="be.mire.beneficiary.assessed.v2", data=data))
    with pytest.raises(UnknownEventType, match="sector"):
        load(make_event(source=SOURCE, type="be.mire.beneficiary.assessed.v1", audience="sector", data=data))
    with pytest.raises(UnknownEventType):
        load(make_event(source=SOURCE, type="be.mire.beneficiary.assessed.v1", data=data), internal.BeneficiaryErasedV1)


def test_data_outside_its_schema_is_refused_at_load_with_the_field_named():
    event = make_event(source=SOURCE, type="be.mire.beneficiary.assessed.v1", data={"unexpected": True})
    with pytest.raises(OutsideContract, match="beneficiary_id"):
        load(event)
    event = make_event(
        source=SOURCE, type="be.mire.beneficiary.erased.v1", data={"beneficiary_id": 7}
    )  # a number where a reference is expected
    with pytest.raises(OutsideContract, match=r"\$\.beneficiary_id"):
        load(event)


def test_the_catalogue_lists_every_audience_and_each_class_under_its_own_type():
    assert {audience for audience, _ in CATALOGUE} == set(AUDIENCES)
    for (audience, event_type), cls in CATALOGUE.items():
        assert cls.AUDIENCE == audience and cls.TYPE == event_type and cls.SUMMARY, cls
        assert event_type.rsplit(".", 1)[1].startswith("v")
    assert of_audience("signal") == {signal.FollowedElsewhereV1.TYPE: signal.FollowedElsewhereV1}


def test_every_type_the_services_publish_has_its_internal_schema():
    published = {
        *(v for k, v in vars(beneficiary_events).items() if k.isupper() and isinstance(v, str) and ".v" in v),
        *(v for k, v in vars(employer_events).items() if k.isupper() and isinstance(v, str) and ".v" in v),
        *(v for k, v in vars(convention_events).items() if k.isupper() and isinstance(v, str) and ".v" in v),
        *matching_events.TYPES.values(),
    }
    internal_types = set(of_audience("internal"))
    missing = published - internal_types - set(of_audience("sector")) - set(of_audience("agency"))
    assert not missing
    assert set(matching_events.TYPES.values()) == {f"be.mire.matching.{fact}.v1" for fact in EVENT_OF.values()}


def person(**changes):
    facts = dict(
        id="b-1",
        pseudonym="p" * 32,
        pseudonym_key="k1",
        gender="F",
        municipality="62063",  # Liège: Wallonia
        birth_date=date(1990, 5, 1),
        registered_on=date(2026, 10, 1),
        referrer_type="cpas",
    )
    return SimpleNamespace(**{**facts, **changes})


def test_the_beneficiary_builders_keep_the_wire_format_of_every_audience():
    groups = [SimpleNamespace(group="disability"), SimpleNamespace(group="long_term_unemployed")]
    disclosure = SimpleNamespace(agency="forem", basis="legal_basis", agency_reference="F-1", withdrawn_on=None)
    builder = beneficiary_events.EventBuilder(SOURCE, person(), groups, [disclosure])
    [mission, counted], [(agency_event, agency)] = beneficiary_events.registered(builder)
    assert mission.data == {
        "beneficiary_id": "b-1",
        "registered_on": "2026-10-01",
        "municipality": "62063",
        "gender": "F",
        "age_band": "25_to_49",
        "target_groups": ["disability", "long_term_unemployed"],
    }
    assert list(counted.data) == [
        "pseudonym",
        "pseudonym_key",
        "gender",
        "municipality",
        "age_band",
        "target_groups",
        "registered_month",
    ]
    assert counted.data["registered_month"] == "2026-10" and counted.subject == "p" * 32
    assert agency == "forem" and agency_event.subject == "F-1"
    assert agency_event.data == {
        "agency_reference": "F-1",
        "basis": "legal_basis",
        "referrer_type": "partner",  # a CPAS tells of social aid: generalised
        "target_groups": ["long_term_unemployed"],
        "registered_on": "2026-10-01",
    }
    for event in (mission, counted, agency_event):
        assert load(parse(event.to_dict())) is not None


def test_a_producer_passing_a_wrong_value_fails_in_its_builder():
    builder = beneficiary_events.EventBuilder(SOURCE, person(), (), ())
    with pytest.raises(OutsideContract, match="to_stage"):
        beneficiary_events.stage_changed(builder, "accueil", 7, "advanced", date(2026, 10, 1))


def test_matching_steps_keep_their_time_format_and_optional_reason():
    at = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    proposal = SimpleNamespace(id="p-1", vacancy_id="v-1", beneficiary_id="b-1")
    made = matching_events.proposal_step("/missions/mirec/matching", proposal, "proposed", at)
    assert made.data == {
        "proposal_id": "p-1",
        "vacancy_id": "v-1",
        "beneficiary_id": "b-1",
        "at": "2026-11-02T09:30:00Z",
    }
    assert made.time == "2026-11-02T09:30:00Z"
    rejected = matching_events.proposal_step("/missions/mirec/matching", proposal, "rejected", at, reason="skills")
    assert rejected.data["reason"] == "skills"
    assert load(rejected, internal.ProposalRejectedV1).at == at


def test_sector_and_signal_payloads_round_trip():
    rekeyed = sector.PseudonymRekeyedV1(previous_pseudonym="a" * 32, pseudonym="b" * 32, pseudonym_key="k2")
    event = build(rekeyed, source=SOURCE, subject="b" * 32)
    assert event.audience == "sector" and load(event) == rekeyed
    with pytest.raises(OutsideContract, match="missions"):
        build(
            signal.FollowedElsewhereV1(pseudonym="a" * 32, missions=["mirec"]),
            source="/intermire/reporting",
            subject=None,
        )


def test_payload_classes_are_immutable():
    with pytest.raises(AttributeError):
        assessed().beneficiary_id = "b-2"  # type: ignore[misc]
    assert msgspec.structs.replace(assessed(), beneficiary_id="b-2").beneficiary_id == "b-2"


def test_every_event_handler_of_every_service_consumes_types_the_contract_lists():
    from fnmatch import fnmatchcase

    from beneficiary.service import BeneficiaryService
    from convention.service import ConventionService
    from employer.service import EmployerService
    from matching.service import MatchingService
    from reporting.sector import SectorReportingService
    from reporting.service import ReportingService

    from kit.consumer import handlers_of

    services = (
        BeneficiaryService,
        EmployerService,
        ConventionService,
        MatchingService,
        ReportingService,
        SectorReportingService,
    )
    handled = [(s.__name__, m, t, a) for s in services for m, t, a in handlers_of(s)]
    assert len(handled) > 15
    for service, method, pattern, audience in handled:
        known = of_audience(audience)
        # A topic pattern: '*' one word, '#' anything (the agencies' handler takes every type, to answer unknown ones).
        glob = pattern.replace("*", "[a-z_0-9]*").replace("#", "*")
        assert any(fnmatchcase(t, glob) for t in known), (service, method, pattern)


def test_every_sector_type_a_mission_publishes_has_a_consumer_at_intermire():
    """A sector event nobody at InterMire binds is carried by the shovel and dropped there, unroutable: the
    indicators that count it stay empty without any error anywhere (convention signatures and evaluated
    commitments once did)."""
    from fnmatch import fnmatchcase

    from reporting.sector import SectorReportingService

    from kit.consumer import handlers_of

    bound = [pattern for _, pattern, source in handlers_of(SectorReportingService) if source == "sector"]
    unbound = sorted(
        t for t in of_audience("sector") if not any(fnmatchcase(t, p.replace("*", "[a-z_0-9]*")) for p in bound)
    )
    assert unbound == []
