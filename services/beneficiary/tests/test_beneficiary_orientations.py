"""Orientations out: the rules of sharing and of the outcome's state machine, and the form's schemas."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from beneficiary import orientation_rules as rules
from beneficiary.orientation_schemas import OrientationSchema, OutcomeSchema
from marshmallow import ValidationError

from kit.rules import Refused

TODAY = date(2026, 12, 7)


def refused(call, *args) -> str:
    with pytest.raises(Refused) as caught:
        call(*args)
    return caught.value.field


def test_anything_shared_needs_the_persons_consent_and_notes_are_never_a_category():
    rules.check_sharing([], False)
    rules.check_sharing([rules.CONTACT_DETAILS, rules.PLAN_GOAL], True)
    assert refused(rules.check_sharing, [rules.ORIENTATION_REASON], False) == "consent"
    assert refused(rules.check_sharing, ["notes"], True) == "shared"
    assert "notes" not in rules.SHARED and "niss" not in rules.SHARED


@pytest.mark.parametrize(
    ("current", "outcome", "allowed"),
    [
        (rules.PLANNED, rules.ATTENDED, True),
        (rules.PLANNED, rules.DONE, True),
        (rules.PLANNED, rules.NOT_TAKEN_UP, True),
        (rules.PLANNED, rules.CANCELLED, True),
        (rules.ATTENDED, rules.DONE, True),
        (rules.ATTENDED, rules.NOT_TAKEN_UP, True),
        (rules.ATTENDED, rules.CANCELLED, False),
        (rules.ATTENDED, rules.ATTENDED, False),
        (rules.DONE, rules.NOT_TAKEN_UP, False),
        (rules.NOT_TAKEN_UP, rules.DONE, False),
        (rules.CANCELLED, rules.ATTENDED, False),
        (rules.PLANNED, rules.PLANNED, False),
    ],
)
def test_the_outcome_moves_by_the_state_machine(current, outcome, allowed):
    reason = "pas de garde d'enfant" if outcome == rules.NOT_TAKEN_UP else None
    if allowed:
        rules.check_outcome(current, outcome, reason)
    else:
        assert refused(rules.check_outcome, current, outcome, reason) == "outcome"


def test_every_status_but_the_final_ones_has_a_way_on():
    reachable = {rules.PLANNED} | set(rules.MOVES)
    assert reachable == set(rules.STATUSES)
    for status in rules.STATUSES:
        onward = [o for o, sources in rules.MOVES.items() if status in sources]
        assert bool(onward) == (status not in rules.FINAL), status


def test_not_taken_up_needs_a_reason():
    assert refused(rules.check_outcome, rules.PLANNED, rules.NOT_TAKEN_UP, "  ") == "reason"
    assert refused(rules.check_outcome, rules.PLANNED, rules.NOT_TAKEN_UP, None) == "reason"
    rules.check_outcome(rules.PLANNED, rules.DONE, None)


def test_dates_of_the_appointment_and_of_the_outcome():
    rules.check_appointment(TODAY + timedelta(days=30), TODAY)
    rules.check_appointment(TODAY - timedelta(days=10), TODAY)
    assert refused(rules.check_appointment, TODAY + timedelta(days=400), TODAY) == "appointment_on"
    assert refused(rules.check_appointment, TODAY - timedelta(days=100), TODAY) == "appointment_on"
    rules.check_outcome_date(TODAY, TODAY - timedelta(days=3), TODAY)
    assert refused(rules.check_outcome_date, TODAY + timedelta(days=1), TODAY, TODAY) == "on"
    assert refused(rules.check_outcome_date, TODAY - timedelta(days=4), TODAY - timedelta(days=3), TODAY) == "on"


def test_the_forms_refuse_on_the_field_concerned():
    body = {"service_id": "s-1", "purpose": "logement", "appointment_on": "2026-12-14"}
    loaded = OrientationSchema().load(body)
    assert (loaded["shared"], loaded["consent"]) == ([], False)
    with pytest.raises(ValidationError) as caught:
        OrientationSchema().load({**body, "shared": ["contact_details"]})
    assert list(caught.value.messages) == ["consent"]
    with pytest.raises(ValidationError) as caught:
        OrientationSchema().load({**body, "status": "done"})
    assert "status" in caught.value.messages
    with pytest.raises(ValidationError) as caught:
        OutcomeSchema().load({"outcome": "not_taken_up", "version": 1})
    assert list(caught.value.messages) == ["reason"]
    with pytest.raises(ValidationError) as caught:
        OutcomeSchema().load({"outcome": "done"})
    assert list(caught.value.messages) == ["version"]
