"""The inbound contract (``contracts.agency.inbound``): what Le Forem and Actiris send the Missions, and the feedback
they read back. Each agency's JSON Schemas (``schemas/<agency>/inbound``, ``schemas/<agency>/feedback``) and sample
messages (``examples/<agency>/...``) are generated; these tests check the samples against them, and that the
schemas refuse what the contract forbids: another agency's source, a national number, an unknown field."""

import copy
import json

import jsonschema
import pytest
from cloudevents.http import from_json

from contracts import generate
from contracts.agency import inbound
from contracts.agency.catalogue import AGENCIES
from contracts.catalogue import load
from contracts.envelope import parse
from contracts.samples import feedback_sample, inbound_sample

SCHEMAS = generate.ROOT / "schemas"
EXAMPLES = generate.ROOT / "examples"
EVERY = [(agency, event_type) for agency in AGENCIES for event_type in inbound.INBOUND]


def validator(path) -> jsonschema.Draft7Validator:
    schema = json.loads(path.read_text())
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def inbound_schema(agency, event_type):
    return validator(SCHEMAS / agency / "inbound" / f"{event_type}.json")


def test_the_inbound_types_cover_registration_training_employment_and_the_six_month_answer():
    assert set(inbound.INBOUND) == {
        "be.mire.agency.jobseeker_status_changed.v1",
        "be.mire.agency.training_entered.v1",
        "be.mire.agency.training_exited.v1",
        "be.mire.agency.employment_started.v1",
        "be.mire.agency.employment_ended.v1",
        "be.mire.agency.six_month_verification_answered.v1",
    }
    answer = inbound.SixMonthVerificationAnswered.__struct_fields__
    assert {"request_id", "signed_on", "checked_on", "answer"} <= set(answer)
    assert set(inbound.SIX_MONTH_ANSWERS) == {"employed", "not_employed", "unknown"}


@pytest.mark.parametrize(("agency", "event_type"), EVERY)
def test_each_inbound_sample_is_its_agencys_event_and_the_platform_reads_it(agency, event_type):
    event = json.loads((EXAMPLES / agency / "inbound" / f"{event_type}.json").read_text())
    assert event == inbound_sample(agency, event_type)
    inbound_schema(agency, event_type).validate(event)
    assert event["source"] == f"/agencies/{agency}" and event["subject"] == event["data"]["agency_reference"]
    parsed = parse(event)
    assert parsed.audience == "inbound" and isinstance(load(parsed), inbound.INBOUND[event_type])
    assert from_json(json.dumps(event))["id"] == event["id"]


@pytest.mark.parametrize("agency", AGENCIES)
def test_the_feedback_sample_names_the_refused_event_and_why(agency):
    event = json.loads((EXAMPLES / agency / "feedback" / f"{inbound.EVENT_REFUSED}.json").read_text())
    assert event == feedback_sample(agency)
    validator(SCHEMAS / agency / "feedback" / f"{inbound.EVENT_REFUSED}.json").validate(event)
    data = load(parse(event), inbound.AgencyEventRefused)
    assert data.event_id == event["subject"] and data.code in inbound.REFUSAL_CODES and data.reason


def spoiled(change):
    event = copy.deepcopy(inbound_sample("forem", inbound.EMPLOYMENT_STARTED))
    change(event)
    return event


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e.update(source="/agencies/actiris"),  # Le Forem's schema is Le Forem's
        lambda e: e["data"].update(niss="85073003328"),  # never a national number, nor any field not named
        lambda e: e["data"].pop("mission"),  # addressed to a Mission
        lambda e: e["data"].update(mission="MIREC!"),
        lambda e: e["data"].update(contract_type="cdi"),
        lambda e: e.update(dataschema="urn:passerelle:schema:internal:be.mire.agency.employment_started.v1"),
        lambda e: e.pop("subject"),
    ],
)
def test_the_inbound_schema_refuses_what_the_contract_does_not_allow(change):
    with pytest.raises(jsonschema.ValidationError):
        inbound_schema("forem", inbound.EMPLOYMENT_STARTED).validate(spoiled(change))
