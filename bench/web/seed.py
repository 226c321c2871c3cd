"""A Mission's beneficiary database filled with people and their history, written straight into its tables.

Going through the gateway costs about 20 people a second on the 2-core machine (16 minutes for 20,000, and
as long again for their history), so the benchmark writes the rows itself, in batches, as the service would
have written them: ``search_name`` and ``review_due`` from the same functions the models call on write,
pseudonyms under the development sector key. No event is written (the pages read the beneficiary database
only). Each person has one to four stage moves, a target group, an assessment, one or two plan versions
with dated actions, two notes, and a third of them a first contract with its six-month check (most recorded).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from beneficiary.enums import STAGES, TARGET_GROUPS
from beneficiary.models import (
    Assessment,
    Beneficiary,
    Contract,
    Note,
    PlanVersion,
    StageTransition,
    TargetGroup,
    plan_review_due,
)
from faker import Faker

from kit.pseudonym import key_id, pseudonym
from kit.search import search_key
from runtime.demo import national_number, walloon_municipalities

BATCH = 2000
COMPETENCES = ("900001", "900002", "900003", "900004")


def counsellor_of(i: int, counsellors: int) -> str:
    """The counsellor following person ``i``: "anne@mirec" (the development sign-in's counsellor) and others."""
    k = i % counsellors
    return "anne@mirec" if k == 0 else f"counsellor{k:03d}@mirec"


def people(n: int, counsellors: int, seed: int = 11):
    """``n`` people with their history: yields (table, rows) batches ready for ``insert``."""
    rng, fake = random.Random(seed), Faker("fr_BE")
    fake.seed_instance(seed)
    today, now = date.today(), datetime.now(UTC)
    towns = [m["id"] for m in walloon_municipalities("50000")] or [m["id"] for m in walloon_municipalities()]
    key, seen = key_id(), set()
    tables: dict[type, list[dict]] = {m: [] for m in (Beneficiary, StageTransition, TargetGroup)}
    tables.update({m: [] for m in (Assessment, PlanVersion, Note, Contract)})

    def flush():
        for model, rows in tables.items():
            if rows:
                yield model.__table__, rows
        for rows in tables.values():
            rows.clear()

    made = 0
    while made < n:
        gender = rng.choice("FM")
        born = today - timedelta(days=rng.randint(18 * 365, 58 * 365))
        niss = national_number(born, rng.randrange(1 if gender == "M" else 2, 998, 2))
        if niss in seen:
            continue
        seen.add(niss)
        made += 1
        pid = str(uuid.uuid4())
        first = fake.first_name_female() if gender == "F" else fake.first_name_male()
        last = fake.last_name()
        registered = today - timedelta(days=rng.randint(0, 900))
        moves = rng.randint(0, 3)
        path = ["accueil", *rng.sample(STAGES[1:], moves)]
        status = rng.choices(("active", "dropped_out", "exited"), (80, 10, 10))[0]
        who = counsellor_of(made, counsellors)
        tables[Beneficiary].append(
            dict(
                id=pid,
                niss=niss,
                pseudonym=pseudonym(niss),
                pseudonym_key=key,
                first_name=first,
                last_name=last,
                search_name=search_key(first, last),
                birth_date=born,
                gender=gender,
                municipality=rng.choice(towns),
                registered_on=registered,
                created_at=now,
                phone=None,
                email=None,
                referrer_type="forem",
                referrer_organisation=None,
                stage=path[-1],
                status=status,
                counsellor=who,
            )
        )
        for step, (before, after) in enumerate(zip([None, *path], path, strict=False)):
            tables[StageTransition].append(
                dict(
                    beneficiary_id=pid,
                    from_stage=before,
                    to_stage=after,
                    kind="entered" if step == 0 else "moved",
                    reason=None,
                    why=None if step == 0 else "Projet en cours",
                    at=now - timedelta(days=30 * (len(path) - step)),
                    by=who,
                    role="counsellor",
                )
            )
        group = rng.choice(list(TARGET_GROUPS))
        tables[TargetGroup].append(
            dict(beneficiary_id=pid, group=group, evidence="Attestation", since=registered, until=None)
        )
        tables[Assessment].append(
            dict(
                id=str(uuid.uuid4()),
                beneficiary_id=pid,
                assessed_on=registered,
                assessed_by=who,
                competences=[
                    {"code": c, "level": rng.randint(1, 4), "kind": "technical", "source": "work"}
                    for c in rng.sample(COMPETENCES, 2)
                ],
            )
        )
        person = tables[Beneficiary][-1]
        for version in range(1, rng.randint(1, 2) + 1):
            actions = [
                {
                    "kind": "job_search",
                    "description": "Recherche d'emploi accompagnée",
                    "due": (today + timedelta(days=rng.randint(-60, 180))).isoformat(),
                }
            ]
            tables[PlanVersion].append(
                dict(
                    beneficiary_id=pid,
                    version=version,
                    target_occupations=["F1703"],
                    missing_competences=["900002"],
                    actions=actions,
                    contract_wishes=["permanent"],
                    hours_wish=None,
                    mobility_km=30,
                    available_from=None,
                    agreed_by=who,
                    agreed_at=now,
                    agreed_with_person=True,
                    review_due=plan_review_due(actions),
                )
            )
            person["plan_review_due"] = plan_review_due(actions)  # the latest version's, as the model keeps it
        for kind in ("social", "pedagogical"):
            tables[Note].append(
                dict(id=str(uuid.uuid4()), beneficiary_id=pid, kind=kind, text="Entretien", author=who, at=now)
            )
        if rng.random() < 0.33:
            signed = registered + timedelta(days=rng.randint(30, 200))
            due = signed + timedelta(days=182)
            checked = due + timedelta(days=3) if due < today and rng.random() < 0.7 else None
            tables[Contract].append(
                dict(
                    beneficiary_id=pid,
                    signed_on=signed,
                    employer_id=str(uuid.uuid4()),
                    contract_type="permanent",
                    hours_per_week=38,
                    check_due=due,
                    checked_on=checked,
                    still_employed=True if checked else None,
                    check_source="phone" if checked else None,
                    workplace_municipality=None,
                )
            )
        if made % BATCH == 0:
            yield from flush()
    yield from flush()


def fill(engine: sa.Engine, n: int, counsellors: int, seed: int = 11) -> None:
    """Insert ``n`` people with their history, one transaction per batch."""
    for table, rows in people(n, counsellors, seed):
        with engine.begin() as conn:
            conn.execute(sa.insert(table), rows)
