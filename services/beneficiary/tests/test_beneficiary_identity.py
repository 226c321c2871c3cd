"""Provisional identities (``beneficiary.identity``), called directly: a migrated SQLite database, a fixed clock.

Intake without a number, the look-alike refusal, completion, the 409 that names the file holding the number,
the merge and its trace, a second completion refused, and the rules of ``beneficiary.domain`` they rest on.
"""

from datetime import date, timedelta

import pytest
from beneficiary import application as app
from beneficiary import domain, events, identity, rekey, schemas
from beneficiary.enums import PROVISIONAL
from beneficiary.models import (
    Assessment,
    Audit,
    Beneficiary,
    Contract,
    IdentityMerge,
    Note,
    PlanVersion,
    StageTransition,
    TargetGroup,
)
from sqlalchemy import func, select

from kit import inputs
from kit.actor import Actor
from kit.application import to_outbox
from kit.errors import Conflict, ValidationFailed
from kit.pseudonym import key_id, pseudonym
from kit.rules import Refused
from kit.storage import outbox as outbox_table
from kit.testing import FixedClock, migrated, session
from runtime.demo import DemoFactory

SOURCE = "/missions/mirec/beneficiary"
COUNSELLOR = Actor("anne.counsellor", "mirec", ("counsellor",))
DIRECTOR = Actor("dora.director", "mirec", ("director",))


@pytest.fixture
def store(tmp_path):
    with migrated("beneficiary", f"sqlite:///{tmp_path}/beneficiary.sqlite") as store:
        yield store


@pytest.fixture
def clock():
    return FixedClock()


def person(seed=31, **changes):
    return DemoFactory(seed=seed).beneficiary() | changes


def provisional(seed=31, **changes):
    body = {k: v for k, v in person(seed).items() if k != "niss"} | {"identity": "provisional"} | changes
    return inputs.load(schemas.IntakeSchema(), body)


def register(store, clock, data):
    with session(store) as s, s.begin():
        return to_outbox(s, app.register(s, COUNSELLOR, clock, SOURCE, data))


def sector_types(s) -> list[str]:
    rows = s.execute(select(outbox_table.c.audience, outbox_table.c.routing_key).order_by(outbox_table.c.seq)).all()
    return [key for audience, key in rows if audience == "sector"]


# -- rules --------------------------------------------------------------------
def test_the_intake_asks_for_a_number_or_the_explicit_choice_of_a_provisional_identity():
    without = {k: v for k, v in person().items() if k != "niss"}
    with pytest.raises(ValidationFailed) as refused:
        inputs.load(schemas.IntakeSchema(), without)
    assert list(refused.value.errors) == ["niss"] and "provisional" in refused.value.errors["niss"][0]
    with pytest.raises(ValidationFailed) as refused:
        inputs.load(schemas.IntakeSchema(), person() | {"identity": "provisional"})
    assert refused.value.errors == {"niss": ["a provisional identity takes no number: choose one or the other"]}
    with pytest.raises(ValidationFailed) as refused:
        inputs.load(schemas.IntakeSchema(), without | {"identity": "guess"})
    assert list(refused.value.errors) == ["identity"]
    loaded = inputs.load(schemas.IntakeSchema(), without | {"identity": "provisional"})
    assert loaded["niss"] is None and loaded["confirmed_other_person"] is False


def test_merge_rules():
    domain.check_provisional(PROVISIONAL)
    with pytest.raises(Refused) as refused:
        domain.check_provisional("bis")
    assert refused.value.field == "niss" and "already complete" in refused.value.message
    with pytest.raises(Refused, match="itself"):
        domain.check_merge("national_register", "a", "a", False)
    with pytest.raises(Refused, match="provisional too"):
        domain.check_merge(PROVISIONAL, "a", "b", False)
    with pytest.raises(Refused) as refused:
        domain.check_merge("bis", "a", "b", True)
    assert refused.value.field == "contract"
    domain.check_merge("bis", "a", "b", False)
    # The kept file's path stands while active; a closed one goes on from the provisional intake's.
    assert domain.merged_path(("formation", "active"), ("accueil", "active")) == ("formation", "active")
    assert domain.merged_path(("suivi", "exited"), ("orientation", "active")) == ("orientation", "active")
    assert domain.merged_path(("formation", "dropped_out"), ("accueil", "dropped_out")) == (
        "formation",
        "dropped_out",
    )


# -- use cases ----------------------------------------------------------------
def test_a_provisional_intake_holds_no_number_and_a_random_pseudonym(store, clock):
    done = register(store, clock, provisional())
    with session(store) as s:
        who = s.get(Beneficiary, done.id)
        assert who.niss is None and who.niss_kind == PROVISIONAL
        assert len(who.pseudonym) == 32 and who.pseudonym_key == key_id()
        assert sector_types(s) == [events.REGISTERED]
    second = register(store, clock, provisional(seed=32))
    with session(store) as s:  # several files without a number: the unique constraint counts numbers only
        assert s.get(Beneficiary, second.id).pseudonym != who.pseudonym


def test_a_provisional_intake_like_a_file_on_record_is_refused_naming_it_unless_confirmed(store, clock):
    kept = register(store, clock, inputs.load(schemas.IntakeSchema(), person()))
    lookalike = provisional(first_name=kept.first_name.upper(), last_name=f" {kept.last_name} ")
    with session(store) as s, s.begin(), pytest.raises(Conflict) as refused:
        app.register(s, COUNSELLOR, clock, SOURCE, lookalike)
    assert refused.value.existing == kept.id and refused.value.field == "last_name"
    with session(store) as s:
        assert s.scalar(select(func.count()).select_from(Beneficiary)) == 1, "nothing written"
    other = register(store, clock, lookalike | {"confirmed_other_person": True})
    with session(store) as s:
        actions = s.scalars(select(Audit.action).where(Audit.subject == other.id)).all()
        assert "beneficiary.register.confirmed_other_person" in actions
    # Another birth date is another person: no refusal.
    register(
        store,
        clock,
        provisional(birth_date=(kept.birth_date - timedelta(days=1)).isoformat())
        | {
            "first_name": kept.first_name,
            "last_name": kept.last_name,
        },
    )


def test_completing_the_identity_takes_the_number_and_renames_the_pseudonym_once(store, clock):
    done = register(store, clock, provisional())
    number = person()["niss"]
    with session(store) as s, s.begin():
        who = app.person(s, done.id)
        before = who.pseudonym
        outcome = identity.complete(s, COUNSELLOR, clock, SOURCE, who, {"niss": number})
        [(event, to)] = outcome.events
        assert (event.type, to) == (events.PSEUDONYM_REKEYED, None)
        assert event.data["previous_pseudonym"] == before and event.data["pseudonym"] == pseudonym(number)
        assert (who.niss, who.niss_kind) == (number, "national_register")
    with session(store) as s, s.begin():
        with pytest.raises(ValidationFailed) as refused:
            identity.complete(s, COUNSELLOR, clock, SOURCE, app.person(s, done.id), {"niss": number})
        assert list(refused.value.errors) == ["niss"] and "already complete" in refused.value.errors["niss"][0]


def test_a_number_another_file_holds_is_a_conflict_naming_that_file_and_nothing_changes(store, clock):
    kept = register(store, clock, inputs.load(schemas.IntakeSchema(), person(seed=40)))
    done = register(store, clock, provisional())
    with session(store) as s, s.begin(), pytest.raises(Conflict) as refused:
        identity.complete(s, COUNSELLOR, clock, SOURCE, app.person(s, done.id), {"niss": person(seed=40)["niss"]})
    assert (refused.value.existing, refused.value.field) == (kept.id, "niss")
    with session(store) as s:
        assert s.get(Beneficiary, done.id).niss is None


def fill(s, clock, who, *, contract=False):
    """Give a file an assessment, a plan, a note, a target group, a move along the path and maybe a contract."""
    app.assess(
        s,
        COUNSELLOR,
        clock,
        SOURCE,
        who,
        {"assessed_on": None, "competences": [{"code": "x", "level": 2, "kind": "technical", "source": "work"}]},
    )
    plan = {
        "target_occupations": ["F1703"],
        "missing_competences": [],
        "actions": [{"kind": "other", "due": None}],
        "contract_wishes": ["permanent"],
        "hours_wish": None,
        "mobility_km": 20,
        "available_from": None,
        "agreed_with_person": True,
    }
    app.agree_plan(s, COUNSELLOR, clock, SOURCE, who, plan)
    app.add_note(s, COUNSELLOR, clock, who.id, {"kind": "social", "text": "vu à l'accueil"})
    s.add(TargetGroup(beneficiary_id=who.id, group="refugee_newcomer", evidence="attestation", since=date(2025, 1, 1)))
    app.move_stage(s, COUNSELLOR, clock, SOURCE, who, {"to": "orientation", "why": None})
    if contract:
        app.record_contract(
            s,
            COUNSELLOR,
            clock,
            SOURCE,
            who,
            {
                "signed_on": clock.today(),
                "employer_id": "e-1",
                "contract_type": "permanent",
                "hours_per_week": 38,
                "workplace_municipality": None,
            },
        )
    s.flush()


def test_a_merge_folds_everything_into_the_file_that_holds_the_number_with_a_trace(store, clock):
    number = person(seed=41)["niss"]
    kept = register(store, clock, inputs.load(schemas.IntakeSchema(), person(seed=41, registered_on="2025-01-10")))
    done = register(store, clock, provisional(registered_on="2025-03-01"))
    with session(store) as s, s.begin():
        fill(s, clock, app.person(s, kept.id))
        fill(s, clock, app.person(s, done.id), contract=True)
        gone_pseudonym, kept_pseudonym = s.get(Beneficiary, done.id).pseudonym, s.get(Beneficiary, kept.id).pseudonym
    with session(store) as s, s.begin():
        outcome = identity.merge(s, DIRECTOR, clock, SOURCE, app.person(s, done.id), {"niss": number, "into": kept.id})
        assert outcome.value.id == kept.id
        published = [(e.type, e.audience, e.subject) for e, _ in outcome.events]
        assert published[:2] == [
            (events.MERGED, "internal", done.id),  # the Mission's services move it to the kept file
            (events.PSEUDONYM_REKEYED, "sector", kept_pseudonym),  # InterMire: one person
        ]
        assert outcome.events[0][0].data == {"beneficiary_id": done.id, "into": kept.id}, "references only"
        assert not any(t == events.ERASED for t, _, _ in published), "the person is not erased"
        assert (events.ASSESSED, "internal", kept.id) in published
        assert published[-1] == (events.PLAN_AGREED, "internal", kept.id)
        assert not any(t == events.FORGOTTEN for t, _, _ in published), "the person is not erased"
        rekeyed = outcome.events[1][0].data
        assert (rekeyed["previous_pseudonym"], rekeyed["pseudonym"]) == (gone_pseudonym, kept_pseudonym)
    with session(store) as s:
        assert s.get(Beneficiary, done.id) is None, "never a second live file"
        for model, held in ((Assessment, 2), (Note, 2), (PlanVersion, 2), (StageTransition, 4)):
            assert s.scalar(select(func.count()).select_from(model).where(model.beneficiary_id == kept.id)) == held
            assert s.scalar(select(func.count()).select_from(model).where(model.beneficiary_id == done.id)) == 0
        assert s.get(Contract, (kept.id, kept.episode)) is not None
        groups = s.scalars(select(TargetGroup.group).where(TargetGroup.beneficiary_id == kept.id)).all()
        assert groups == ["refugee_newcomer"], "a group both files hold is kept once"
        versions = s.scalars(
            select(PlanVersion.version).where(PlanVersion.beneficiary_id == kept.id).order_by(PlanVersion.version)
        ).all()
        assert versions == [1, 2]
        trace = s.scalars(select(IdentityMerge)).one()
        assert (trace.merged_id, trace.into_id, trace.by) == (done.id, kept.id, DIRECTOR.sub)
        assert trace.moved["assessments"] == 1 and trace.moved["contract"] == 1 and trace.moved["target_groups"] == 0
        seen = app.file(s, DIRECTOR, clock, "mirec", kept.id, "accompaniment", True)
        assert [m.merged_id for m in seen.merges] == [done.id]
        assert ("beneficiary.merge", kept.id) in s.execute(select(Audit.action, Audit.subject)).all()


def test_a_merge_is_refused_whole_when_it_cannot_be_done_whole(store, clock):
    number = person(seed=42)["niss"]
    day = (clock.today() - timedelta(days=30)).isoformat()
    kept = register(store, clock, inputs.load(schemas.IntakeSchema(), person(seed=42, registered_on=day)))
    done = register(store, clock, provisional(registered_on=day))
    with session(store) as s, s.begin():
        fill(s, clock, app.person(s, kept.id), contract=True)
        fill(s, clock, app.person(s, done.id), contract=True)
    cases = [
        ({"niss": person(seed=43)["niss"], "into": kept.id}, ValidationFailed, "into"),  # not that file's number
        ({"niss": number, "into": done.id}, ValidationFailed, "into"),
        ({"niss": number, "into": kept.id}, ValidationFailed, "contract"),  # two first contracts
    ]
    for body, error, field in cases:
        with session(store) as s, s.begin(), pytest.raises(error) as refused:
            identity.merge(s, DIRECTOR, clock, SOURCE, app.person(s, done.id), body)
        assert list(refused.value.errors) == [field]
    with session(store) as s:
        assert s.get(Beneficiary, done.id) is not None
        assert s.scalar(select(func.count()).select_from(Note).where(Note.beneficiary_id == done.id)) == 1
        assert s.scalar(select(func.count()).select_from(IdentityMerge)) == 0


def test_a_key_rotation_only_relabels_a_provisional_identity(store, clock, monkeypatch):
    done = register(store, clock, provisional())
    with session(store) as s:
        before = s.get(Beneficiary, done.id).pseudonym
    monkeypatch.setenv("PASSERELLE_SECTOR_KEY", "another-development-key")
    answer = rekey.rekey(store, SOURCE)
    assert (answer["rekeyed"], answer["labelled"], answer["remaining"]) == (0, 1, 0)
    with session(store) as s:
        who = s.get(Beneficiary, done.id)
        assert who.pseudonym == before and who.pseudonym_key == key_id()


def test_a_merge_refused_half_way_leaves_both_files_as_they_were(store, clock):
    """Both files tell Le Forem: refused after the target groups were moved, and the whole merge is undone."""
    number = person(seed=44)["niss"]
    day = (clock.today() - timedelta(days=30)).isoformat()
    kept = register(store, clock, inputs.load(schemas.IntakeSchema(), person(seed=44, registered_on=day)))
    done = register(store, clock, provisional(registered_on=day))
    consent = {"agency": "forem", "basis": "consent", "reference": "form-1", "given_on": clock.today()}
    with session(store) as s, s.begin():
        for ref in (kept.id, done.id):
            app.record_disclosure(
                s, COUNSELLOR, clock, SOURCE, app.person(s, ref), dict(consent, agency_reference=None)
            )
        s.add(
            TargetGroup(beneficiary_id=done.id, group="single_parent", evidence="composition", since=date(2025, 1, 1))
        )
    with pytest.raises(Conflict) as refused, session(store) as s, s.begin():  # the entrypoint's unit of work
        identity.merge(s, DIRECTOR, clock, SOURCE, app.person(s, done.id), {"niss": number, "into": kept.id})
    assert (refused.value.field, refused.value.existing) == ("disclosures", kept.id)
    with session(store) as s:
        assert s.scalars(select(TargetGroup.beneficiary_id)).all() == [done.id]
        assert (
            s.get(Beneficiary, done.id) is not None and s.scalar(select(func.count()).select_from(IdentityMerge)) == 0
        )
