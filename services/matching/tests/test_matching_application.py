"""Matching use cases called directly: a session on SQLite in memory, a fixed clock, no broker, no nameko.

Above all the vacancies of several posts (issue 23): filled post by post, ranked and proposable until the
last post is taken, then ended with their live proposals withdrawn.
"""

from datetime import date

import msgspec
import pytest
from matching import application as app
from matching import domain
from matching.models import Base, Proposal, Vacancy
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from contracts import internal
from kit.actor import Actor
from kit.errors import Conflict
from kit.testing import FixedClock

SOURCE = "/missions/mirec/matching"
AGENT = Actor("eric.prospector", "mirec", ("employer_relations",))


CLOCK = FixedClock()


@pytest.fixture
def uow():
    """One session on an in-memory SQLite database holding matching's tables (one shared connection)."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def vacancy(posts: int, vacancy_id: str = "v-1") -> internal.VacancyOpenedV1:
    """A vacancy as its ``vacancy_opened`` event carries it (``contracts.internal``)."""
    return msgspec.convert(vacancy_data(posts, vacancy_id), internal.VacancyOpenedV1)


def vacancy_data(posts: int, vacancy_id: str) -> dict:
    return {
        "vacancy_id": vacancy_id,
        "source": "mission",
        "filled": 0,
        "status": "open",
        "on": "2026-11-02",
        "employer_id": "e-1",
        "occupation": "F1703",
        "title": "Maçon H/F",
        "competences": [{"code": "C1", "level": 2, "essential": True}],
        "contract_type": "permanent",
        "hours_per_week": 38,
        "municipality": "52011",
        "posts": posts,
        "start_date": None,
    }


def people(uow, *refs):
    app.apply_assessments(
        uow,
        CLOCK,
        [
            internal.BeneficiaryAssessedV1(
                beneficiary_id=ref,
                municipality="52011",
                assessed_on=date(2026, 10, 1),
                competences=[internal.Competence(code="C1", level=3, kind="technical")],
            )
            for ref in refs
        ],
    )
    uow.flush()


def hire(uow, ref) -> Proposal:
    proposal = app.propose(uow, AGENT, CLOCK, SOURCE, {"vacancy_id": "v-1", "beneficiary_id": ref}).value
    for step in ("presented", "interview", "hired"):
        app.move_proposal(uow, AGENT, CLOCK, SOURCE, {"proposal_id": proposal.id, "to": step, "reason": None})
    return proposal


def filled(n: int, posts: int = 2, vacancy_id: str = "v-1") -> internal.VacancyFilledV1:
    """The employer service's ``vacancy_filled``: ``n`` of the vacancy's ``posts`` are taken."""
    data = vacancy_data(posts, vacancy_id) | {"filled": n, "status": "filled" if n >= posts else "partially_filled"}
    return msgspec.convert(data, internal.VacancyFilledV1)


def test_the_last_post_is_the_one_that_ends_a_vacancy():
    assert not domain.last_post(2, 1)
    assert domain.last_post(2, 2)
    assert domain.last_post(1, 1)
    assert domain.last_post(2, 3)  # a redelivered or late event past the last post still ends it


def test_a_two_post_vacancy_stays_ranked_and_proposable_after_its_first_hire(uow):
    app.apply_vacancy(uow, CLOCK, vacancy(posts=2), occupations={"F1703"})
    people(uow, "b-1", "b-2", "b-3")
    first = hire(uow, "b-1")
    waiting = app.propose(uow, AGENT, CLOCK, SOURCE, {"vacancy_id": "v-1", "beneficiary_id": "b-2"}).value

    done = app.post_filled(uow, CLOCK, SOURCE, filled(1))
    assert done.events == [] and uow.get(Vacancy, "v-1").status == "open"
    row, taken = app.vacancy_to_rank(uow, "v-1")  # no 409: one post is still open
    assert row.posts == 2 and sorted(taken) == ["b-1", "b-2"]  # the hired and the proposed are not suggested
    third = app.propose(uow, AGENT, CLOCK, SOURCE, {"vacancy_id": "v-1", "beneficiary_id": "b-3"}).value
    with pytest.raises(Conflict) as again:
        app.propose(uow, AGENT, CLOCK, SOURCE, {"vacancy_id": "v-1", "beneficiary_id": "b-1"})
    assert str(again.value.args[0]) == "this person is already hired for this vacancy"

    done = app.post_filled(uow, CLOCK, SOURCE, filled(2))
    assert done.value.status == "filled"
    withdrawn = sorted((e.data["proposal_id"], e.data["reason"]) for e, to in done.events)
    assert withdrawn == sorted([(waiting.id, "vacancy_filled"), (third.id, "vacancy_filled")])
    assert {e.type for e, _ in done.events} == {"be.mire.matching.proposal_withdrawn.v1"}
    assert (first.state, waiting.state, third.state) == ("hired", "withdrawn", "withdrawn")
    with pytest.raises(Conflict) as ended:
        app.vacancy_to_rank(uow, "v-1")
    assert str(ended.value.args[0]) == "the vacancy is filled"


def test_a_late_first_post_never_reopens_a_filled_vacancy(uow):
    app.apply_vacancy(uow, CLOCK, vacancy(posts=2), occupations={"F1703"})
    app.post_filled(uow, CLOCK, SOURCE, filled(2))
    app.post_filled(uow, CLOCK, SOURCE, filled(1))  # redelivered out of order
    app.apply_vacancy(uow, CLOCK, vacancy(posts=3), occupations={"F1703"})  # and a late update
    assert (uow.get(Vacancy, "v-1").status, uow.get(Vacancy, "v-1").posts) == ("filled", 2)


def test_a_one_post_vacancy_ends_with_its_post(uow):
    app.apply_vacancy(uow, CLOCK, vacancy(posts=1), occupations={"F1703"})
    people(uow, "b-1")
    proposal = app.propose(uow, AGENT, CLOCK, SOURCE, {"vacancy_id": "v-1", "beneficiary_id": "b-1"}).value
    done = app.post_filled(uow, CLOCK, SOURCE, filled(1, posts=1))
    assert done.value.status == "filled" and proposal.state == "withdrawn" and len(done.events) == 1
    # Filled before matching heard of it: remembered, so a late "opened" cannot revive it.
    app.post_filled(uow, CLOCK, SOURCE, filled(1, posts=1, vacancy_id="v-2"))
    app.apply_vacancy(uow, CLOCK, vacancy(posts=1, vacancy_id="v-2"), occupations={"F1703"})
    assert uow.get(Vacancy, "v-2").status == "filled"


def test_the_latest_assessment_wins_and_placement_withdraws_the_persons_proposals(uow):
    app.apply_vacancy(uow, CLOCK, vacancy(posts=2), occupations={"F1703"})
    older = internal.BeneficiaryAssessedV1(
        beneficiary_id="b-1", municipality=None, assessed_on=date(2026, 9, 1), competences=[]
    )
    newer = msgspec.structs.replace(older, municipality="52011", assessed_on=date(2026, 10, 1))
    app.apply_assessments(uow, CLOCK, [newer, older])
    uow.flush()
    app.apply_assessments(uow, CLOCK, [older])  # late, in another batch
    row = app.candidate(uow, CLOCK, "b-1")
    assert (row.assessed_on, row.municipality) == (date(2026, 10, 1), "52011")
    proposal = app.propose(uow, AGENT, CLOCK, SOURCE, {"vacancy_id": "v-1", "beneficiary_id": "b-1"}).value
    signed = internal.BeneficiaryContractSignedV1(
        beneficiary_id="b-1",
        signed_on=date(2026, 11, 9),
        contract_type="permanent",
        hours_per_week=38,
        employer_id="e-1",
        check_due=date(2027, 5, 9),
    )
    done = app.record_placement(uow, CLOCK, SOURCE, signed)
    assert done.value.placed_on == date(2026, 11, 9) and proposal.state == "withdrawn"
    assert [e.data["reason"] for e, _ in done.events] == ["placed"]


def test_a_person_placed_then_back_in_a_new_episode_is_proposed_again(uow):
    app.apply_vacancy(uow, CLOCK, vacancy(posts=2), occupations={"F1703"})
    signed = internal.BeneficiaryContractSignedV1(
        beneficiary_id="b-2",
        signed_on=date(2026, 5, 4),
        contract_type="temp",
        hours_per_week=38,
        employer_id="e-1",
        check_due=date(2026, 11, 4),
    )
    app.record_placement(uow, CLOCK, SOURCE, signed)
    with pytest.raises(Conflict, match="placed"):
        app.propose(uow, AGENT, CLOCK, SOURCE, {"vacancy_id": "v-1", "beneficiary_id": "b-2"})
    back = internal.BeneficiaryReopenedV1(
        beneficiary_id="b-2", episode=2, started_on=date(2026, 12, 1), municipality="92094"
    )
    app.apply_return(uow, CLOCK, back)
    row = app.candidate(uow, CLOCK, "b-2")
    assert (row.placed_on, row.municipality) == (None, "92094")
    proposal = app.propose(uow, AGENT, CLOCK, SOURCE, {"vacancy_id": "v-1", "beneficiary_id": "b-2"}).value
    assert proposal.state == "proposed"
