"""kit.references: the rule that a reference must name a record of the same Mission, without nameko."""

import pytest

from kit.errors import ValidationFailed
from kit.references import MAX_IDS, Ref, check, known

EMPLOYER, OTHER_EMPLOYER = "8a1b2c3d-4e5f-4061-8a7b-9c0d1e2f3a4b", "0c0c0c0c-1111-4222-8333-444444444444"
HELD = {
    "beneficiary": {"3b9d6a20-5f0e-4c1e-9a55-2f3c4d5e6f70": None},
    "employer": {EMPLOYER: None, OTHER_EMPLOYER: None},
    "vacancy": {"3f7c9a52-1d5e-4c5a-9a8e-0b1e2c3d4e5f": EMPLOYER},
}


class Owners:
    def __init__(self):
        self.calls = []

    def __call__(self, kind, ids):
        self.calls.append((kind, ids))
        return {i: HELD[kind][i] for i in ids if i in HELD[kind]}


def test_existing_references_pass_with_one_lookup_per_kind():
    owners = Owners()
    check(
        [
            Ref("employer_id", "employer", EMPLOYER),
            Ref("host_employer_id", "employer", OTHER_EMPLOYER),
            Ref("vacancy_id", "vacancy", "3f7c9a52-1d5e-4c5a-9a8e-0b1e2c3d4e5f", of=EMPLOYER, of_field="employer_id"),
            Ref("beneficiary_id", "beneficiary", None),
        ],
        owners,
    )
    assert sorted(kind for kind, _ in owners.calls) == ["employer", "vacancy"]
    assert dict(owners.calls)["employer"] == sorted([EMPLOYER, OTHER_EMPLOYER])


def test_what_the_owners_answered_is_returned_for_the_caller_that_keeps_it():
    service = "5e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b"
    answered = check(
        [Ref("service_id", "partner_service", service)],
        lambda kind, ids: {i: "cpas" for i in ids} if kind == "partner_service" else {},
    )
    assert answered == {"partner_service": {service: "cpas"}}


def test_made_up_foreign_and_mismatched_references_are_refused_by_field():
    with pytest.raises(ValidationFailed) as refused:
        check(
            [
                Ref("beneficiary_id", "beneficiary", "made-up-person"),
                Ref("employer_id", "employer", OTHER_EMPLOYER),
                Ref(
                    "vacancy_id",
                    "vacancy",
                    "3f7c9a52-1d5e-4c5a-9a8e-0b1e2c3d4e5f",
                    of=OTHER_EMPLOYER,
                    of_field="employer_id",
                ),
            ],
            Owners(),
        )
    assert refused.value.errors == {
        "beneficiary_id": ["no person with this reference in this Mission"],
        "vacancy_id": ["this vacancy is not one of the employer_id given"],
    }


def test_nothing_is_asked_when_no_reference_is_given():
    owners = Owners()
    check([Ref("host_employer_id", "employer", None)], owners)
    assert owners.calls == []
    with pytest.raises(ValueError):
        check([Ref("convention_id", "convention", "x")], owners)


def test_the_owner_answers_only_a_bounded_list_of_references():
    assert known(["a", "b"], lambda ids: {"a": None}) == {"a": None}
    assert known([], lambda ids: pytest.fail("no query for nothing")) == {}
    for bad in ("a", [1], ["x" * 65], ["a"] * (MAX_IDS + 1), None):
        with pytest.raises(ValidationFailed):
            known(bad, lambda ids: {})
