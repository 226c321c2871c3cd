"""Realistic demo data: Belgian names, valid national and enterprise numbers, real municipalities.

Used by ``passerelle seed`` and by the tests' factories. Names and addresses
come from Faker's ``fr_BE`` locale; municipalities from the Statbel list
(``kit.reference``), in the Mission's own province.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from faker import Faker

from kit import taxonomy
from kit.reference import walloon_municipalities

# A few NACE-BEL 2008 sub-classes where Missions place people.
DEMO_NACE = ["43.221", "43.320", "81.210", "56.101", "52.100", "47.111", "87.301", "49.410", "10.711", "01.610"]
COMPANY_SUFFIXES = ["SRL", "SA", "SC", "ASBL"]


def national_number(born: date, sequence: int) -> str:
    """A valid NISS: birth date, sequence (odd for men), mod-97 check (offset for births from 2000)."""
    base = f"{born:%y%m%d}{sequence:03d}"
    number = int(("2" if born.year >= 2000 else "") + base)
    return f"{base}{97 - number % 97:02d}"


def enterprise_number(rng: random.Random) -> str:
    """A valid BCE/KBO enterprise number: 0 or 1, seven digits, mod-97 check."""
    body = rng.choice("01") + f"{rng.randrange(10_000_000):07d}"
    return f"{body}{97 - int(body) % 97:02d}"


class DemoFactory:
    def __init__(self, seed: int = 2015):
        self.rng = random.Random(seed)
        self.fake = Faker("fr_BE")
        self.fake.seed_instance(seed)

    def beneficiary(self, province: str | None = None, registered_on: date | None = None) -> dict:
        gender = self.rng.choice("FM")
        today = date.today()
        born = today - timedelta(days=self.rng.randint(18 * 365, 58 * 365))
        sequence = self.rng.randrange(1 if gender == "M" else 2, 998, 2)
        municipality = self.rng.choice(walloon_municipalities(province) or walloon_municipalities())
        first = self.fake.first_name_female() if gender == "F" else self.fake.first_name_male()
        return {
            "niss": national_number(born, sequence),
            "first_name": first,
            "last_name": self.fake.last_name(),
            "birth_date": born.isoformat(),
            "gender": gender,
            "municipality": municipality["id"],
            "registered_on": (registered_on or today - timedelta(days=self.rng.randint(0, 700))).isoformat(),
        }

    def employer(self, province: str | None = None) -> dict:
        municipality = self.rng.choice(walloon_municipalities(province) or walloon_municipalities())
        return {
            "enterprise_number": enterprise_number(self.rng),
            "name": f"{self.fake.last_name()} {self.rng.choice(COMPANY_SUFFIXES)}",
            "nace": self.rng.choice(DEMO_NACE),
            "municipality": municipality["id"],
        }


def demo_sub(role: str, mission: str) -> str:
    """The subject the development sign-in gives the first demo user with ``role`` in ``mission``."""
    from web.views.auth import DEMO_USERS

    login = next(login for login, _name, roles, _title in DEMO_USERS if role in roles)
    return f"{login}@{mission}"


# What happens to the demo people of a Mission, in turn, so that even a few people per Mission show a caseload
# at several stages with something due: a counsellor signing in finds a day's work, not a list of intakes.
STORIES = (
    "plan",
    "new",
    "contract_due",
    "assessed",
    "exited",
    "plan_overdue",
    "placement",
    "new",
    "contract_overdue",
    "dropped_out",
)
# Day offsets (from today) of a plan's next action, and of a first contract's signature (its six-month check
# falls due 183 days later): within the "what is due" horizon, or already late.
PLAN_DUE, PLAN_OVERDUE = (5, 25), (-20, -3)
# How long ago each kind of person came in (days): a first contract comes after months of a path.
REGISTERED = {
    "new": (0, 20),
    "assessed": (30, 90),
    "plan": (60, 200),
    "plan_overdue": (60, 200),
    "placement": (150, 300),
    "dropped_out": (90, 250),
}
REGISTERED_WITH_A_CONTRACT = (260, 600)
# The target groups a demo person may belong to, with the evidence a counsellor files (the sensitive ones too:
# the file shows their evidence only to the roles allowed to see it).
DEMO_GROUPS = (
    ("low_qualification", "Pas de diplôme du secondaire supérieur (déclaration et bulletin)"),
    ("long_term_unemployed", "Attestation du Forem : demandeur d'emploi depuis plus de 24 mois"),
    ("social_aid", "Attestation du CPAS : revenu d'intégration"),
    ("priority_neighbourhood", "Domicile dans un quartier prioritaire de la commune"),
    ("single_parent", "Composition de ménage"),
)
SIGNED_DUE, SIGNED_OVERDUE = (-180, -160), (-215, -190)


class Story:
    """One demo person's path through the Mission, told through the services' own RPCs (``seed``)."""

    def __init__(self, call, factory: DemoFactory, employers: list[str]):
        self.call, self.factory, self.employers = call, factory, employers
        self.rng = factory.rng
        self.taxonomy = taxonomy.default()
        self.occupations = sorted(c for c, o in self.taxonomy.occupations.items() if len(o.competences) >= 4)

    def tell(self, kind: str, person: dict) -> None:
        today = date.today()
        pid = person["id"]
        if kind == "new":
            return
        occupation = self.taxonomy.occupations[self.rng.choice(self.occupations)]
        held = list(occupation.competences[: max(2, len(occupation.competences) // 2)])
        registered = date.fromisoformat(person["registered_on"])
        assessed_on = min(today, registered + timedelta(days=14))
        self.call(
            "assess",
            pid,
            {
                "assessed_on": assessed_on.isoformat(),
                "competences": [
                    {"code": c, "level": self.rng.randint(1, 3), "kind": "technical", "source": "work"} for c in held
                ],
            },
        )
        self.call("move_stage", pid, {"to": "orientation", "why": "bilan de compétences terminé"})
        if kind == "assessed":
            return
        due = self.rng.randint(*(PLAN_OVERDUE if kind == "plan_overdue" else PLAN_DUE))
        missing = [c for c in occupation.competences if c not in held][:5]
        self.call(
            "agree_plan",
            pid,
            {
                "target_occupations": [occupation.code],
                "missing_competences": missing,
                "actions": [
                    {
                        "kind": "remise_a_niveau",
                        "description": "Remise à niveau en français et calcul",
                        "due": (today + timedelta(days=due)).isoformat(),
                    },
                    {
                        "kind": "confirmation_internship",
                        "description": f"Stage de confirmation : {occupation.label}",
                        "due": (today + timedelta(days=due + 45)).isoformat(),
                    },
                ],
                "contract_wishes": ["permanent", "fixed_term"],
                "mobility_km": self.rng.choice((10, 20, 30)),
                "agreed_with_person": True,
            },
        )
        self.call("move_stage", pid, {"to": self.rng.choice(("remise_a_niveau", "preformation", "formation"))})
        self.call("add_note", pid, {"kind": "pedagogical", "text": "Bonne participation à la remise à niveau."})
        if kind in ("plan", "plan_overdue"):
            return
        if kind == "dropped_out":
            self.call("drop_out", pid, {"reason": "health", "why": "raisons de santé, à recontacter dans trois mois"})
            return
        self.call("move_stage", pid, {"to": "placement"})
        if kind == "placement" or not self.employers:
            return
        window = SIGNED_OVERDUE if kind in ("contract_overdue", "exited") else SIGNED_DUE
        signed = today + timedelta(days=self.rng.randint(*window))
        contract = self.call(
            "record_contract",
            pid,
            {
                "signed_on": signed.isoformat(),
                "employer_id": self.rng.choice(self.employers),
                "contract_type": self.rng.choice(("permanent", "fixed_term")),
                "hours_per_week": self.rng.choice((19, 30, 38)),
            },
        )
        self.call("move_stage", pid, {"to": "suivi", "why": "premier contrat signé"})
        if kind == "exited":
            self.call(
                "record_six_month_check",
                pid,
                {
                    "checked_on": contract["check_due"],
                    "still_employed": True,
                    "source": "phone",
                },
            )
            self.call("exit_path", pid, {"reason": "durable_employment"})


def _prospection(call, factory: DemoFactory, employer_id: str, occupations: list[str], vacancy: bool) -> dict | None:
    """A visit with its next action due soon (or late), and when ``vacancy``, the vacancy it surfaced, opened."""
    rng, today = factory.rng, date.today()
    visited = today - timedelta(days=rng.randint(10, 60))
    call(
        "log_prospection",
        employer_id,
        {
            "kind": "visit",
            "on": visited.isoformat(),
            "summary": "Rencontre avec la responsable du personnel : besoins en recrutement pour la rentrée.",
            "next_action": "Envoyer les profils de candidats",
            "next_action_due": max(visited, today + timedelta(days=rng.randint(-7, 21))).isoformat(),
        },
    )
    if not vacancy:
        return None
    occupation = taxonomy.default().occupation(rng.choice(occupations))
    municipality = rng.choice(walloon_municipalities())["id"]
    opened = call(
        "create_vacancy",
        {
            "employer_id": employer_id,
            "title": occupation.label[:200],
            "occupation": occupation.code,
            "description": "Poste négocié avec l'entreprise, avec formation en alternance.",
            "competences": [
                {"code": c, "level": 2, "essential": i == 0} for i, c in enumerate(occupation.competences[:4])
            ],
            "contract_type": "permanent",
            "hours_per_week": 38,
            "municipality": municipality,
            "posts": rng.randint(1, 2),
        },
    )
    call("open_vacancy", opened["id"])
    return opened


def _training_project(call, factory: DemoFactory, vacancy: dict) -> None:
    """A training project on an open vacancy, its two conventions on their way through the signatures: the
    employer has signed its convention and the Mission's signature is awaited; the training operator's is
    submitted, unsigned."""
    rng = factory.rng
    start = date.today() + timedelta(days=rng.randint(30, 60))
    operator = enterprise_number(rng)
    project = call(
        "create_project",
        {
            "title": f"{vacancy['title'][:150]} : formation en alternance",
            "vacancy_id": vacancy["id"],
            "employer_id": vacancy["employer_id"],
            "employer_convention": {
                "post_title": vacancy["title"][:200],
                "hires_committed": 2,
                "contract_type": "permanent",
                "hours_per_week": 38,
            },
            "training_convention": {
                "operators": [{"name": "Centre de formation " + factory.fake.city(), "enterprise_number": operator}],
                "training_profile": vacancy["title"][:200],
                "specification": "Formation qualifiante en modules, avec stages en entreprise.",
                "hours_centre": 300,
                "hours_work": 220,
                "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=180)).isoformat(),
                "trainees_planned": 3,
            },
        },
    )
    employer_c, training_c = project["conventions"]["employer"][0], project["conventions"]["training"][0]
    call("submit", employer_c["id"])
    call(
        "sign",
        employer_c["id"],
        {"party": "employer", "signer_name": factory.fake.name(), "signer_function": "gérant·e"},
    )
    call("submit", training_c["id"])


# A Mission's partner directory (employer.partners): real kinds of organisation, invented channels. ``{c}`` is a
# municipality of the Mission's province, ``{basin}`` its basin; the first organisation is shared with InterMire.
DEMO_PARTNERS = (
    (
        "CPAS de {c}",
        "cpas",
        [
            (
                "Cellule logement",
                "Recherche d'un logement, garantie locative, prévention des expulsions.",
                ["housing", "social_aid"],
                ["social_aid", "single_parent"],
                "Habiter la commune",
                "Lundi au vendredi, 8 h 30 – 12 h",
            ),
            (
                "Service de médiation de dettes",
                "Plan de paiement négocié avec les créanciers, budget.",
                ["debt"],
                [],
                "Sur rendez-vous",
                "Mardi et jeudi, 13 h – 16 h",
            ),
        ],
    ),
    (
        "ALE de {c}",
        "ale",
        [
            (
                "Permanence mobilité",
                "Aide au permis de conduire théorique et aux abonnements de transport.",
                ["mobility"],
                ["long_term_unemployed", "neet_youth"],
                None,
                "Mercredi, 9 h – 12 h",
            ),
        ],
    ),
    (
        "{basin} Formation asbl (OISP)",
        "oisp",
        [
            (
                "Remise à niveau français et mathématiques",
                "Modules de 12 semaines avant une préformation.",
                ["language", "training"],
                ["low_qualification", "refugee_newcomer"],
                "Entretien d'accueil préalable",
                "Lundi au jeudi, 9 h – 15 h",
            ),
        ],
    ),
    (
        "Service petite enfance de {c}",
        "commune_service",
        [
            (
                "Accueil d'urgence de la petite enfance",
                "Places d'accueil pour un parent qui entre en formation.",
                ["childcare"],
                ["single_parent"],
                "Enfant de 0 à 3 ans",
                "Lundi au vendredi, 7 h – 18 h",
            ),
        ],
    ),
)


def _slug(text: str) -> str:
    from kit.search import search_key

    return search_key(text).replace(" ", "-")


def _partners(call, factory: DemoFactory, basin: str, province: str | None) -> int:
    """The Mission's partner directory, once: an organisation already there (by name) is not added again."""
    places = walloon_municipalities(province) or walloon_municipalities()
    added = 0
    for index, (name, kind, services) in enumerate(DEMO_PARTNERS):
        # Every draw first, the check after: seeding again draws the same organisations and finds them there.
        commune = factory.rng.choice(places)
        title = name.format(c=commune["name"]["fr"], basin=basin)
        phone = f"0{factory.rng.randint(10, 87)} {factory.rng.randint(10, 99)} {factory.rng.randint(10, 99)} 00"
        served = sorted({commune["id"], *(m["id"] for m in factory.rng.sample(places, min(2, len(places))))})
        address = factory.fake.street_address()
        if call("search_partners", {"q": title}, 1, 1)["total"]:
            continue
        partner = call(
            "create_partner",
            {
                "name": title,
                "partner_type": kind,
                "municipalities": served,
                "contact": {
                    "phone": phone,
                    "email": f"accueil@{_slug(title)[:40]}.example",
                    "address": address,
                },
            },
        )
        for title_, description, needs, groups, conditions, hours in services:
            body = {"title": title_, "description": description, "needs": needs, "target_groups": groups}
            body |= {"conditions": conditions, "opening_hours": hours}
            call("add_partner_service", partner["id"], body)
        if index == 0:
            call("publish_partner", partner["id"])
        added += 1
    return added


def seed(registry, per_mission: int = 20, seed: int = 2015) -> dict:
    """Demo people and employers in every Mission, through the services' RPC: employers with a prospection
    visit (some with an open vacancy), then people whose paths follow ``STORIES`` (intake, assessment, plan,
    stages, notes, a first contract and its six-month check, an exit or a drop-out). The Missions are seeded side by
    side; seeding again with the same seed finds the people already there and adds nothing."""
    import eventlet

    from gateway.rpc_clients import RpcClients
    from kit.actor import Actor
    from kit.errors import Conflict

    sites = RpcClients(registry)
    totals = {"beneficiaries": 0, "employers": 0, "partners": 0, "missions": 0}

    def one_mission(mission, factory: DemoFactory) -> None:
        # As the front office's demo counsellor and agent of the Mission, so that whoever signs in as them finds
        # a caseload and employers of their own, not empty pages.
        counsellor = Actor(demo_sub("counsellor", mission.code), mission.code, ("counsellor",)).context()
        agent = Actor(demo_sub("employer_relations", mission.code), mission.code, ("employer_relations",)).context()

        def as_counsellor(method, *args):
            return sites.call(mission.code, "beneficiary", method, *args, context=counsellor)

        def as_agent(method, *args):
            return sites.call(mission.code, "employer", method, *args, context=agent)

        def conventions_as_agent(method, *args):
            return sites.call(mission.code, "convention", method, *args, context=agent)

        # Every identity is drawn first, the stories after: seeding again with the same seed draws the same
        # employers and people, finds them already there (Conflict), and adds nothing.
        companies = [factory.employer(mission.province) for _ in range(max(per_mission // 4, 1))]
        intakes = []
        for i in range(per_mission):
            kind = STORIES[i % len(STORIES)]
            ago = factory.rng.randint(*REGISTERED.get(kind, REGISTERED_WITH_A_CONTRACT))
            intake = factory.beneficiary(mission.province, date.today() - timedelta(days=ago))
            intake["target_groups"] = [
                {"group": group, "evidence": evidence, "since": intake["registered_on"]}
                for group, evidence in factory.rng.sample(DEMO_GROUPS, factory.rng.randint(0, 2))
            ]
            intakes.append((kind, intake))

        # The partner directory next, while every draw so far is the same from one seeding to the next.
        totals["partners"] += _partners(as_agent, factory, mission.basin, mission.province)
        employers = []
        occupations = sorted(taxonomy.default().occupations)
        for n, company in enumerate(companies):
            try:
                employer = as_agent("register", company)
            except Conflict:
                continue
            employers.append(employer["id"])
            totals["employers"] += 1
            vacancy = _prospection(as_agent, factory, employer["id"], occupations, vacancy=n % 2 == 0)
            if n == 0 and vacancy:
                _training_project(conventions_as_agent, factory, vacancy)
        story = Story(as_counsellor, factory, employers)
        for kind, intake in intakes:
            try:
                person = as_counsellor("register", intake)
            except Conflict:
                continue
            totals["beneficiaries"] += 1
            story.tell(kind, person)
        totals["missions"] += 1

    try:
        pool, threads = eventlet.GreenPool(len(registry.missions) or 1), []
        for index, mission in enumerate(registry.missions):
            # One random source per Mission: the same people whatever order the Missions finish in.
            threads.append(pool.spawn(one_mission, mission, DemoFactory(seed + index)))
        for thread in threads:
            thread.wait()  # a Mission's error (a timeout, say) is raised here, not lost in its green thread
    finally:
        sites.close()
    return totals
