"""The sample messages for integrators (``contracts/examples``): one per agency and type, each the contract's event.

They are generated (``contracts.samples``, written by ``python -m contracts.generate``); these tests keep the
committed files in step with the generator and check each against its agency's JSON Schema for its type.
"""

import json

import jsonschema
import pytest
from cloudevents.http import from_json

from contracts import generate
from contracts.agency import catalogue, inbound
from contracts.agency.disclosure import WITHHELD
from contracts.envelope import parse
from contracts.samples import inbound_samples, samples

EXAMPLES = generate.ROOT / "examples"
SCHEMAS = generate.ROOT / "schemas"
EVERY = [(agency, event_type) for agency in catalogue.AGENCIES for event_type in catalogue.CATALOGUE]


def committed(agency: str, event_type: str) -> dict:
    return json.loads((EXAMPLES / agency / f"{event_type}.json").read_text())


def test_there_is_one_committed_sample_per_agency_and_type_and_nothing_else():
    """What each agency receives, and what it sends and reads back (``contracts/agency/inbound``)."""
    on_disk = sorted(str(p.relative_to(generate.ROOT)) for p in EXAMPLES.rglob("*.json"))
    expected = [f"examples/{agency}/{event_type}.json" for agency, event_type in EVERY]
    expected += [f"examples/{a}/inbound/{t}.json" for a in catalogue.AGENCIES for t in inbound.INBOUND]
    expected += [f"examples/{a}/feedback/{inbound.EVENT_REFUSED}.json" for a in catalogue.AGENCIES]
    assert on_disk == sorted(expected)
    assert sorted({**samples(), **inbound_samples()}) == on_disk


@pytest.mark.parametrize(("agency", "event_type"), EVERY)
def test_each_sample_validates_against_its_agencys_schema_for_its_type(agency, event_type):
    event = committed(agency, event_type)
    schema = json.loads((SCHEMAS / agency / f"{event_type}.json").read_text())
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(event)
    assert event["type"] == event_type
    # No field the agency's policy withholds.
    assert not WITHHELD[agency] & set(event["data"])
    # The platform's own envelope reader and the CloudEvents SDK read it as the same event.
    assert parse(event).id == from_json(json.dumps(event))["id"] == event["id"]


def test_a_changed_or_stray_sample_is_reported_by_the_generators_check(tmp_path):
    generate.write(tmp_path)
    assert generate.differences(tmp_path) == []
    changed = tmp_path / "examples" / "forem" / f"{catalogue.REGISTERED}.json"
    event = json.loads(changed.read_text())
    event["data"]["registered_on"] = "2026-02-10"
    changed.write_text(json.dumps(event, indent=2) + "\n")
    (tmp_path / "examples" / "forem" / "be.mire.beneficiary.unknown.v1.json").write_text("{}\n")
    assert generate.differences(tmp_path) == [
        "examples/forem/be.mire.beneficiary.registered.v1.json",
        "examples/forem/be.mire.beneficiary.unknown.v1.json",
    ]


def test_a_sample_that_breaks_its_schema_would_be_caught():
    """The schema check above can fail: the same sample with a field outside the contract does not validate."""
    event = committed("actiris", catalogue.REGISTERED)
    event["data"]["target_groups"] = ["long_term_unemployed"]  # withheld from Actiris: not in its schema
    schema = json.loads((SCHEMAS / "actiris" / f"{catalogue.REGISTERED}.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(event)
