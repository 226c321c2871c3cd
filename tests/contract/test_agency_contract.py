"""The agency contract's published files and rules, without a broker.

The AsyncAPI document and the JSON Schemas are generated from
``contracts.agency``; the committed files must be exactly what the generator
writes, the AsyncAPI document must pass the AsyncAPI initiative's own parser,
and the field policy and routing must say what ``contracts/README.md`` says.
"""

import copy
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
import yaml
from beneficiary import enums as beneficiary_enums

from contracts import generate, internal
from contracts.agency import catalogue, inbound
from contracts.agency.disclosure import OutsideContract, allowed_fields, disclose
from contracts.agency.routing import convention_recipients, person_recipients
from contracts.payloads import build

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = Path(__file__).with_name("validate_asyncapi.cjs")
NPM_HINT = "install it as make test and .ci/run do: tools/setup"
SOURCE = "/missions/mirec/beneficiary"


def validate_asyncapi(path: Path) -> dict:
    assert shutil.which("node"), "node is needed to validate the AsyncAPI document (" + NPM_HINT + ")"
    run = subprocess.run(["node", str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=120)
    assert run.stdout.strip(), f"the AsyncAPI validator did not run ({NPM_HINT}): {run.stderr[-500:]}"
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_committed_asyncapi_and_json_schemas_are_what_the_generator_writes():
    assert generate.differences() == [], "run: python -m contracts.generate"
    # Per agency: what it receives, what it sends (contracts.agency.inbound), and the feedback it reads back.
    per_agency = len(catalogue.CATALOGUE) + len(inbound.INBOUND) + 1
    assert len(generate.json_schemas()) == len(catalogue.AGENCIES) * per_agency


def test_the_generator_notices_a_stale_file(tmp_path):
    generate.write(tmp_path)
    assert generate.differences(tmp_path) == []
    stale = tmp_path / "schemas" / "forem" / f"{catalogue.REGISTERED}.json"
    stale.write_text(stale.read_text().replace('"registered_on"', '"registered_at"'))
    (tmp_path / "schemas" / "forem" / "be.mire.beneficiary.retired.v1.json").write_text("{}")
    assert generate.differences(tmp_path) == sorted(
        [f"schemas/forem/{catalogue.REGISTERED}.json", "schemas/forem/be.mire.beneficiary.retired.v1.json"]
    )


def test_the_asyncapi_document_validates():
    result = validate_asyncapi(ROOT / "contracts" / "asyncapi.yaml")
    assert result["errors"] == [] and result["version"] == "3.0.0"
    doc = yaml.safe_load((ROOT / "contracts" / "asyncapi.yaml").read_text())
    assert {c["address"] for c in doc["channels"].values()} == {
        f"{agency}.{what}" for agency in catalogue.AGENCIES for what in ("events", "inbound", "feedback")
    }


def test_the_asyncapi_validator_refuses_a_broken_document(tmp_path):
    doc = copy.deepcopy(generate.asyncapi())
    del doc["operations"]["receiveForemEvents"]["channel"]
    doc["channels"]["foremEvents"]["bindings"]["amqp"]["queue"]["durable"] = "yes"
    broken = tmp_path / "asyncapi.yaml"
    broken.write_text(yaml.safe_dump(doc))
    assert validate_asyncapi(broken)["errors"], "a document without an operation's channel must be refused"


def test_every_json_schema_is_a_valid_draft_7_schema_that_refuses_extra_fields():
    for path, schema in generate.json_schemas().items():
        jsonschema.Draft7Validator.check_schema(schema)
        assert schema["properties"]["data"]["additionalProperties"] is False, path


def registered_with(**facts):
    return catalogue.BeneficiaryRegistered(
        **{"agency_reference": "REF-1", "basis": "legal_basis", "registered_on": date(2026, 10, 1), **facts}
    )


def test_actiris_receives_neither_referrer_nor_target_groups_and_forem_receives_them_generalised():
    facts = registered_with(
        referrer_type="justice_service",
        target_groups=["justice_measure", "disability", "social_aid", "long_term_unemployed"],
    )
    forem = build(disclose("forem", facts), source=SOURCE, subject="REF-1")
    assert forem.data == {
        "agency_reference": "REF-1",
        "basis": "legal_basis",
        "referrer_type": "partner",
        "target_groups": ["long_term_unemployed"],
        "registered_on": "2026-10-01",
    }
    assert forem.dataschema == f"urn:passerelle:schema:agency:{catalogue.REGISTERED}"
    actiris = build(disclose("actiris", facts), source=SOURCE, subject="REF-1")
    assert actiris.data == {"agency_reference": "REF-1", "basis": "legal_basis", "registered_on": "2026-10-01"}
    assert "referrer_type" not in allowed_fields("actiris", catalogue.CONTRACT_SIGNED)


def test_an_event_outside_the_contract_is_refused_before_it_exists():
    with pytest.raises(OutsideContract, match="basis"):
        build(disclose("forem", registered_with(basis="friendship")), source=SOURCE, subject="REF-1")
    with pytest.raises(TypeError, match="first_name"):
        registered_with(first_name="Nadia")  # a field the contract does not name cannot even be given
    with pytest.raises(OutsideContract):
        disclose("vdab", registered_with())
    assessed = internal.BeneficiaryAssessedV1(
        beneficiary_id="b-1", municipality=None, assessed_on=date(2026, 10, 1), competences=[]
    )
    with pytest.raises(OutsideContract):
        disclose("forem", assessed)


def test_every_sensitive_referrer_and_target_group_of_the_beneficiary_service_is_kept_from_agencies():
    assert not beneficiary_enums.SENSITIVE_REFERRERS & set(catalogue.REFERRERS)
    assert not beneficiary_enums.SENSITIVE_GROUPS & set(catalogue.TARGET_GROUPS)
    # Every other code has its place in the contract, so nothing is generalised by accident.
    assert set(beneficiary_enums.REFERRER_TYPES) - beneficiary_enums.SENSITIVE_REFERRERS <= set(catalogue.REFERRERS)
    assert set(beneficiary_enums.TARGET_GROUPS) - beneficiary_enums.SENSITIVE_GROUPS == set(catalogue.TARGET_GROUPS)


def record(agency, basis, reference="REF", withdrawn_on=None):
    return SimpleNamespace(agency=agency, basis=basis, agency_reference=reference, withdrawn_on=withdrawn_on)


@pytest.mark.parametrize(
    ("regions", "disclosures", "expected"),
    [
        (["wallonia"], [record("forem", "legal_basis")], ["forem"]),
        (["brussels"], [record("forem", "legal_basis"), record("actiris", "legal_basis")], ["actiris"]),
        (
            ["wallonia", "brussels"],
            [record("forem", "legal_basis"), record("actiris", "legal_basis")],
            ["actiris", "forem"],
        ),
        (["flanders"], [record("forem", "legal_basis"), record("actiris", "legal_basis")], []),
        (["flanders"], [record("forem", "consent")], ["forem"]),
        (["wallonia"], [], []),
        (["wallonia"], [record("forem", "legal_basis", withdrawn_on=date(2026, 1, 1))], []),
        (["wallonia"], [record("forem", "legal_basis", reference=None)], []),
        ([None], [record("actiris", "consent")], ["actiris"]),
    ],
)
def test_routing_by_region_under_a_legal_basis_anywhere_under_consent(regions, disclosures, expected):
    assert [d.agency for d in person_recipients(disclosures, regions)] == expected


def test_a_convention_goes_to_the_agency_of_the_jobs_region_only():
    assert convention_recipients("wallonia") == ["forem"]
    assert convention_recipients("brussels") == ["actiris"]
    assert convention_recipients("flanders") == []
    assert convention_recipients(None) == []
