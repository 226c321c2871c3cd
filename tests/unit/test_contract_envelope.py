"""The CloudEvents envelope."""

import pytest

from contracts.envelope import InvalidEnvelope, make_event, parse


def test_round_trip_keeps_every_attribute():
    event = make_event(
        source="/missions/mirec/beneficiary",
        type="be.mire.beneficiary.registered.v1",
        audience="sector",
        subject="p1",
        data={"n": 1},
    )
    back = parse(event.to_dict())
    assert back == event
    assert back.audience == "sector"
    assert event.time.endswith("Z")


@pytest.mark.parametrize(
    "body",
    [
        "not a dict",
        {"specversion": "1.0"},
        {
            "specversion": "0.3",
            "id": "x",
            "source": "/missions/mirec/x",
            "type": "be.mire.x.y.v1",
            "time": "t",
            "dataschema": "s",
            "data": {},
        },
        {
            "specversion": "1.0",
            "id": "x",
            "source": "/elsewhere",
            "type": "be.mire.x.y.v1",
            "time": "t",
            "dataschema": "s",
            "data": {},
        },
        {
            "specversion": "1.0",
            "id": "x",
            "source": "/missions/mirec/x",
            "type": "registered",
            "time": "t",
            "dataschema": "s",
            "data": {},
        },
    ],
)
def test_anything_else_is_an_invalid_envelope(body):
    with pytest.raises(InvalidEnvelope):
        parse(body)


def test_agency_audience_is_distinguished_by_its_schema():
    event = make_event(
        source="/missions/mirec/convention", type="be.mire.convention.signed.v1", audience="agency", data={}
    )
    assert event.dataschema == "urn:passerelle:schema:agency:be.mire.convention.signed.v1"
    with pytest.raises(ValueError):
        make_event(source="/missions/mirec/x", type="be.mire.x.y.v1", audience="press", data={})
