"""Realistic demo data: Belgian names, valid national and enterprise numbers, real municipalities.

Used by ``passerelle seed`` and by the tests' factories. Names and addresses
come from Faker's ``fr_BE`` locale; municipalities from the Statbel list
(``kit.reference``), in the Mission's own province.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from faker import Faker

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


def seed(registry, per_mission: int = 20, seed: int = 2015) -> dict:
    """Register demo people and employers in every Mission, through the services' RPC."""
    from gateway.rpc_clients import RpcClients
    from kit.actor import Actor
    from kit.errors import Conflict

    factory = DemoFactory(seed)
    sites = RpcClients(registry)
    totals = {"beneficiaries": 0, "employers": 0, "missions": 0}
    try:
        for mission in registry.missions:
            # Registered as the front office's demo counsellor and agent of the Mission, so that whoever signs
            # in as them finds a caseload and employers of their own, not empty pages.
            counsellor = Actor(demo_sub("counsellor", mission.code), mission.code, ("counsellor",)).context()
            agent = Actor(demo_sub("employer_relations", mission.code), mission.code, ("employer_relations",)).context()
            for _ in range(per_mission):
                try:
                    sites.call(
                        mission.code,
                        "beneficiary",
                        "register",
                        factory.beneficiary(mission.province),
                        context=counsellor,
                    )
                    totals["beneficiaries"] += 1
                except Conflict:
                    pass  # seeding twice with the same seed finds the same people
            for _ in range(max(per_mission // 4, 1)):
                try:
                    sites.call(mission.code, "employer", "register", factory.employer(mission.province), context=agent)
                    totals["employers"] += 1
                except Conflict:
                    pass
            totals["missions"] += 1
    finally:
        sites.close()
    return totals
