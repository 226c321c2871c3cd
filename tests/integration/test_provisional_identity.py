"""Provisional identities through the gateway, on real sites, broker and shovels (``beneficiary.identity``).

MIREC takes people in with a number, and others with neither a national register nor a BIS number. A
provisional intake that looks like a file on record is refused naming it; one completed later takes its
number (a second completion is refused); one whose number another file holds is refused naming that file,
then merged into it with a trace. Matching no longer ranks the provisional reference; InterMire, which
heard of every intake, and the Mission's own reporting end up counting each person once; the provisional
file's trainee record (convention) follows the kept file.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from convention.models import Internship, Project, Trainee

from kit.taxonomy import DEMO_DIR, load
from runtime.demo import DemoFactory
from tests.harness import bearer, module_platform, wait_until

pytestmark = pytest.mark.integration
B = "/missions/mirec/beneficiaries"
CODE = {label: code for code, label in load(str(DEMO_DIR)).competences.items()}
WALL = CODE["Monter un mur en blocs"]
TODAY = date.today().isoformat()
MONTH = TODAY[:7]


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    yield from module_platform(
        tmp_path_factory,
        "identity",
        {"mirec": ["beneficiary", "convention", "matching", "reporting"], "intermire": None},
    )


def auth(role="counsellor", sub="anne"):
    return bearer("mirec", role, sub)


def without_number(person: dict, **changes) -> dict:
    return (
        {k: v for k, v in person.items() if k != "niss"} | {"identity": "provisional", "registered_on": TODAY} | changes
    )


def files(platform) -> int:
    return platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM beneficiary")


def at_intermire(platform) -> dict:
    return platform.rpc("intermire", "reporting", "sector_indicators")


def in_the_mission(platform) -> int:
    """People accompanied this month, as the Mission's own reporting counts them."""
    return platform.rpc("mirec", "reporting", "indicator", "people_accompanied", MONTH)["total"]


def trainee_of(platform, person: str) -> str:
    """A project with the person's confirmation internship and enrolment, written as convention's use cases
    would after signed conventions (``tests/integration/test_convention.py`` drives those); the trainee's id."""
    now = datetime.now(UTC)
    project, internship, trainee = (str(uuid.uuid4()) for _ in range(3))
    engine = platform.engine("mirec", "convention")
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.insert(Project.__table__).values(
                    id=project,
                    title="Chantier-école maçonnerie",
                    vacancy_id=str(uuid.uuid4()),
                    employer_id=str(uuid.uuid4()),
                    created_at=now,
                    created_by="paula.lead",
                )
            )
            conn.execute(
                sa.insert(Internship.__table__).values(
                    id=internship,
                    project_id=project,
                    beneficiary_id=person,
                    start_date=date.today() - timedelta(days=30),
                    end_date=date.today() - timedelta(days=20),
                    outcome="confirmed",
                    recorded_at=now,
                    recorded_by="anne.counsellor",
                )
            )
            conn.execute(
                sa.insert(Trainee.__table__).values(
                    id=trainee,
                    project_id=project,
                    beneficiary_id=person,
                    internship_id=internship,
                    status="in_training",
                    start_date=date.today() - timedelta(days=10),
                    planned_end=date.today() + timedelta(days=80),
                    tutor_name="Jean Lemaire",
                    enrolled_at=now,
                )
            )
    finally:
        engine.dispose()
    return trainee


def test_a_provisional_identity_is_completed_or_merged_and_counted_once(client, platform):
    factory = DemoFactory(seed=2401)
    known = [factory.beneficiary("50000") | {"registered_on": TODAY} for _ in range(3)]
    kept = []
    for person in known:
        created = client.post(B, json=person, headers=auth())
        assert created.status_code == 201, created.json
        kept.append(created.json["id"])

    # -- a provisional intake that looks like a file on record: refused naming it, nothing written --------
    lookalike = without_number(known[0], first_name=known[0]["first_name"].upper())
    before = files(platform)
    refused = client.post(B, json=lookalike, headers=auth())
    assert refused.status_code == 409, refused.json
    assert refused.json["existing"] == kept[0]
    assert list(refused.json["errors"]) == ["last_name"] and "same last name" in refused.json["errors"]["last_name"][0]
    assert files(platform) == before
    other = client.post(B, json=lookalike | {"confirmed_other_person": True}, headers=auth())
    assert other.status_code == 201 and other.json["niss_kind"] == "provisional"

    # -- a number and a provisional identity at once is a field error --------------------------------------
    both = client.post(B, json=without_number(known[1]) | {"niss": known[1]["niss"]}, headers=auth())
    assert both.status_code == 422 and list(both.json["errors"]) == ["niss"]

    # -- completed with a number nobody holds -------------------------------------------------------------
    newcomer = factory.beneficiary("50000")
    taken_in = client.post(B, json=without_number(newcomer), headers=auth())
    assert taken_in.status_code == 201 and taken_in.json["niss_kind"] == "provisional"
    pid = taken_in.json["id"]
    completed = client.post(f"{B}/{pid}/identity", json={"niss": newcomer["niss"]}, headers=auth())
    assert completed.status_code == 200, completed.json
    assert completed.json["id"] == pid and completed.json["niss_kind"] == "national_register"
    assert newcomer["niss"] not in completed.get_data(as_text=True), "the number is never answered"
    again = client.post(f"{B}/{pid}/identity", json={"niss": newcomer["niss"]}, headers=auth())
    assert again.status_code == 422 and "already complete" in again.json["errors"]["niss"][0]

    # -- a provisional file whose number another file holds: refused naming it, then merged --------------
    back = client.post(B, json=without_number(known[1], first_name="Autre-Prénom"), headers=auth())
    assert back.status_code == 201
    gone = back.json["id"]
    assessed = client.post(
        f"{B}/{gone}/assessments",
        json={"competences": [{"code": WALL, "level": 3, "kind": "technical", "source": "work"}]},
        headers=auth(),
    )
    assert assessed.status_code == 201
    plan = client.post(
        f"{B}/{gone}/plan",
        json={
            "target_occupations": ["F1703"],
            "actions": [{"kind": "job_search", "description": "Chantiers"}],
            "contract_wishes": ["permanent"],
            "mobility_km": 30,
            "agreed_with_person": True,
        },
        headers=auth(),
    )
    assert plan.status_code == 201
    note = client.post(f"{B}/{gone}/notes/social", json={"text": "vu à l'accueil"}, headers=auth())
    assert note.status_code == 201
    candidate = "SELECT count(*) FROM candidate WHERE beneficiary_id = :id"
    wait_until(lambda: platform.scalar("mirec", "matching", candidate, id=gone) == 1, what="matching's candidate")
    # InterMire heard of every intake: 3 known, the look-alike confirmed, the completed one, the one to merge.
    wait_until(lambda: at_intermire(platform)["people"] == 6, what="InterMire counting six people")
    wait_until(lambda: in_the_mission(platform) == 6, what="the Mission counting six people this month")
    trainee = trainee_of(platform, gone)

    held = client.post(f"{B}/{gone}/identity", json={"niss": known[1]["niss"]}, headers=auth())
    assert held.status_code == 409 and held.json["existing"] == kept[1]
    assert list(held.json["errors"]) == ["niss"]
    wrong = client.post(f"{B}/{gone}/merge", json={"niss": known[1]["niss"], "into": kept[2]}, headers=auth())
    assert wrong.status_code == 422 and list(wrong.json["errors"]) == ["into"]
    forbidden = client.post(
        f"{B}/{gone}/merge", json={"niss": known[1]["niss"], "into": kept[1]}, headers=auth("project_lead", "paula")
    )
    assert forbidden.status_code == 403
    assert files(platform) == before + 3, "nothing merged by a refusal"

    merged = client.post(
        f"{B}/{gone}/merge", json={"niss": known[1]["niss"], "into": kept[1]}, headers=auth("director", "dora")
    )
    assert merged.status_code == 200, merged.json
    assert merged.json["id"] == kept[1]
    assert client.get(f"{B}/{gone}", headers=auth()).status_code == 404, "never a second live file"
    assert files(platform) == before + 2
    file = client.get(f"{B}/{kept[1]}", headers=auth()).json
    [trace] = file["merges"]
    assert (trace["merged_id"], trace["into_id"], trace["by"]) == (gone, kept[1], "dora")
    assert trace["moved"]["assessments"] == 1 and trace["moved"]["plan_versions"] == 1 and trace["moved"]["notes"] == 1
    assert file["plan_version"] == 1
    notes = client.get(f"{B}/{kept[1]}/notes/social", headers=auth()).json
    assert [n["text"] for n in notes] == ["vu à l'accueil"]
    again = client.post(f"{B}/{gone}/merge", json={"niss": known[1]["niss"], "into": kept[1]}, headers=auth())
    assert again.status_code == 404, "a merged file is merged once"

    # Matching ranks the person under the kept reference only; InterMire counts them once.
    wait_until(
        lambda: (
            platform.scalar("mirec", "matching", candidate, id=gone) == 0
            and platform.scalar("mirec", "matching", candidate, id=kept[1]) == 1
        ),
        what="matching to drop the provisional candidate and hold the kept one",
    )
    counted = wait_until(lambda: (s := at_intermire(platform))["people"] == 5 and s, what="InterMire: five people")
    assert counted["entries_by_mission"]["mirec"] == 5
    # The Mission's own table too (its facts re-attributed, not kept as an anonymous second person), and the
    # trainee record follows the kept file instead of losing its link.
    wait_until(lambda: in_the_mission(platform) == 5, what="the Mission counting five people this month")
    assert platform.rpc("mirec", "reporting", "indicators")["entries"] == 5
    linked = "SELECT beneficiary_id FROM {} WHERE id = :id"
    wait_until(
        lambda: platform.scalar("mirec", "convention", linked.format("trainee"), id=trainee) == kept[1],
        what="convention's trainee to follow the kept file",
    )
    trainings = platform.rpc("mirec", "convention", "person_trainings", kept[1])
    assert [t["status"] for t in trainings["trainings"]] == ["in_training"] and len(trainings["internships"]) == 1
    assert (
        platform.scalar("mirec", "convention", "SELECT count(*) FROM trainee WHERE beneficiary_id = :id", id=gone) == 0
    )
    audit = client.get(f"/missions/mirec/audit?subject={gone}", headers=auth("dpo", "dina"))
    assert "beneficiary.merge" in [entry["action"] for entry in audit.json["items"]]
