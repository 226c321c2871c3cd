"""What a person lacks for a vacancy or an occupation: the ``missing`` part of the explanation, on its own."""

from matching import domain
from matching.weights import Tell

from kit.taxonomy import DEMO_DIR, load

TAXONOMY = load(str(DEMO_DIR))
TELL = Tell(TAXONOMY)
CODE = {label: code for code, label in TAXONOMY.competences.items()}
WALL, MORTAR, TEAM = (
    CODE["Monter un mur en blocs"],
    CODE["Préparer un mortier ou un béton"],
    CODE["Travailler en équipe"],
)


def test_missing_is_what_is_not_held_or_held_under_the_level_with_its_rarity():
    person = domain.Person("p", competences={WALL: 3, MORTAR: 1})
    job = domain.Job("v", "F1703", [(WALL, 2, True), (MORTAR, 2, True), (TEAM, 1, False)])
    assert domain.gaps(person, job, TAXONOMY, TELL) == [
        {"code": MORTAR, "label": "Préparer un mortier ou un béton", "required_level": 2, "rare": True,
         "essential": True, "level": 1},
        {"code": TEAM, "label": "Travailler en équipe", "required_level": 1, "rare": False, "essential": False},
    ]  # fmt: skip
    # The ranking's explanation says the same.
    engine = domain.Engine(TAXONOMY, [person], [job])
    assert engine.rank_vacancies(person)[0]["explanation"]["missing"] == domain.gaps(person, job, TAXONOMY, TELL)


def test_an_occupation_is_measured_by_its_competences_in_the_taxonomy():
    job = domain.occupation_job(TAXONOMY, "F1703")
    assert job is not None and [c for c, _, _ in job.competences] == list(TAXONOMY.occupations["F1703"].competences)
    missing = domain.gaps(domain.Person("p", competences={WALL: 1}), job, TAXONOMY, TELL)
    assert WALL not in {m["code"] for m in missing} and len(missing) == len(job.competences) - 1
    assert domain.occupation_job(TAXONOMY, "Z9999") is None
