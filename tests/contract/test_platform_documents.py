"""The AsyncAPI documents of the audiences that stay inside the platform (internal, sector and signals).

Generated from the same payload classes as the agency contract
(``contracts.generate``); committed, kept up to date (the generator's check,
``test_agency_contract``), valid for the AsyncAPI initiative's parser, and
describing exactly what the producers build.
"""

from datetime import date
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import yaml
from beneficiary import events as beneficiary_events

from contracts import generate
from contracts.catalogue import of_audience
from tests.contract.test_agency_contract import validate_asyncapi

ROOT = Path(__file__).resolve().parents[2] / "contracts"


def test_the_platform_documents_are_committed_up_to_date_and_valid():
    assert generate.differences() == [], "run: python -m contracts.generate"
    for name in generate.PLATFORM_DOCUMENTS:
        result = validate_asyncapi(ROOT / name)
        assert result["errors"] == [] and result["version"] == "3.0.0", (name, result)


def test_the_internal_document_is_marked_internal_and_lists_every_internal_type():
    doc = yaml.safe_load((ROOT / "asyncapi-internal.yaml").read_text())
    assert doc["info"]["description"].startswith("INTERNAL ONLY")
    assert {"name": "internal-only"} in doc["info"]["tags"]
    assert set(doc["components"]["messages"]) == set(of_audience("internal"))
    assert [c["address"] for c in doc["channels"].values()] == ["passerelle.events"]


def test_the_sector_document_lists_the_sector_events_and_the_signals():
    doc = yaml.safe_load((ROOT / "asyncapi-sector.yaml").read_text())
    assert set(doc["components"]["messages"]) == set(of_audience("sector")) | set(of_audience("signal"))
    assert {c["address"] for c in doc["channels"].values()} == {"passerelle.sector", "passerelle.signals"}


def test_what_a_producer_builds_is_what_the_documents_describe():
    person = SimpleNamespace(
        id="b-1",
        pseudonym="p" * 32,
        pseudonym_key="k1",
        gender="M",
        municipality="21004",
        birth_date=date(2001, 3, 4),
        registered_on=date(2026, 10, 1),
        referrer_type=None,
    )
    builder = beneficiary_events.EventBuilder("/missions/mirec/beneficiary", person)
    contract = SimpleNamespace(
        signed_on=date(2026, 11, 2),
        contract_type="permanent",
        hours_per_week=None,
        employer_id="e-1",
        check_due=date(2027, 5, 2),
        workplace_municipality=None,
    )
    events, _ = beneficiary_events.contract_signed(builder, contract)
    for event in events:
        jsonschema.validate(event.to_dict(), generate.platform_envelope(of_audience(event.audience)[event.type]))
    wrong = {**events[0].to_dict(), "data": {**events[0].data, "hours_per_week": "38"}}
    try:
        jsonschema.validate(wrong, generate.platform_envelope(of_audience("internal")[events[0].type]))
    except jsonschema.ValidationError as exc:
        assert "hours_per_week" in str(exc.absolute_path)
    else:
        raise AssertionError("a mistyped field must not match the published schema")
