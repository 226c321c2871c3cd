"""The browser scenario of gaps into the plan, run in a plain process like ``tests.web.scenarios`` (which says
why): ``python -m tests.web.gaps_scenario NAME WEB_URL GATEWAY_URL``.

A counsellor opens a person's file, follows « Ajouter les manques au plan » on a ranked vacancy, is told beside
the list to tick at least one gap, ticks two (one keeps the action the rule proposes, one is changed), and the
file shows the plan's new version with the actions and their reasons. From a target occupation of the plan, a
colleague's newer version makes the form stale: refused beside the plan's version, then done on the reloaded
plan. Every page reached is checked with axe-core.
"""

from __future__ import annotations

import re
import sys

from playwright.sync_api import expect

from runtime.demo import DemoFactory
from tests.harness import wait_until
from tests.web.scenarios import WALL, Visitor, api, fresh_seed, main, new_person

FORMWORK, PLAN_READING, TEAM = "900004", "900002", "900006"  # the demo taxonomy's F1703


def gap_box(page, label: str):
    return page.get_by_role("checkbox", name=re.compile(rf"^{re.escape(label)}"))


def gaps_into_the_plan(front, chromium):
    person = new_person(front, "mirec", counsellor_plan=True, sub="anne@mirec")
    title = f"Maçon coffreur {fresh_seed()}"
    employer = api(
        front, "mirec", "employer_relations", "POST", "/employers", DemoFactory(seed=fresh_seed()).employer("50000")
    )
    vacancy = api(
        front,
        "mirec",
        "employer_relations",
        "POST",
        f"/employers/{employer['id']}/vacancies",
        {
            "title": title,
            "occupation": "F1703",
            "description": "Gros oeuvre",
            "contract_type": "permanent",
            "hours_per_week": 38,
            "municipality": "52011",
            "posts": 1,
            "competences": [
                {"code": WALL, "level": 2, "essential": True},
                {"code": FORMWORK, "level": 2, "essential": True},
                {"code": PLAN_READING, "level": 1, "essential": False},
            ],
        },
    )
    api(front, "mirec", "employer_relations", "POST", f"/vacancies/{vacancy['id']}/open")
    you = Visitor(front, chromium)
    page = you.page
    file_url = f"{front.url}/beneficiaires/{person['id']}"
    try:
        you.sign_in("mirec", "anne")

        def ranked():
            page.goto(file_url)
            return page.locator(".card", has_text=title).count() > 0

        wait_until(ranked, timeout=40, interval=1, what="the vacancy ranked for the person")
        you.audit()
        card = page.locator(".card", has_text=title)
        expect(card.locator(".why-no")).to_contain_text("Poser un coffrage")
        card.get_by_role("link", name=re.compile("Ajouter les manques au plan")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Ajouter les manques au plan")
        expect(page.locator(".summary")).to_contain_text(title)
        # The action the rule proposes: essential and not held → formation; optional and common → stage.
        expect(page.get_by_label("Action pour « Poser un coffrage »")).to_have_value("alternating_training")
        expect(page.get_by_label("Action pour « Lire un plan de construction »")).to_have_value(
            "confirmation_internship"
        )
        you.audit()

        # Nothing ticked: refused beside the list, nothing written.
        page.get_by_label("La nouvelle version du plan est convenue avec la personne").check()
        page.get_by_role("button", name="Ajouter les manques au plan").click()
        expect(page).to_have_title(re.compile(r"^Erreur : "))
        expect(page.locator("#f-gap-error")).to_contain_text("Cochez au moins une compétence manquante")
        you.audit()

        gap_box(page, "Poser un coffrage").check()
        gap_box(page, "Lire un plan de construction").check()
        page.get_by_label("Action pour « Lire un plan de construction »").select_option("remise_a_niveau")
        page.get_by_label("La nouvelle version du plan est convenue avec la personne").check()
        page.get_by_role("button", name="Ajouter les manques au plan").click()
        expect(page.get_by_role("status")).to_contain_text("Manques ajoutés au plan : version 2, 2 action(s)")
        plan = page.locator("section", has=page.locator("#plan"))
        expect(plan).to_contain_text(re.compile(r"Version\s*2 —"))
        actions = plan.locator(".task-list li")
        expect(actions).to_have_count(3)
        expect(actions.nth(1)).to_contain_text(f"Formation alternée — Poser un coffrage — manquant pour {title}")
        expect(actions.nth(1)).to_contain_text("essentielle, rare")
        reading = f"Remise à niveau — Lire un plan de construction — manquant pour {title}"
        expect(actions.nth(2)).to_contain_text(reading)
        you.audit()

        # From the plan's target occupation; a colleague agrees a newer version meanwhile: the form is stale.
        plan.get_by_role("link", name=re.compile("Ajouter les manques au plan")).click()
        expect(page.locator(".summary")).to_contain_text("Maçonnerie et gros oeuvre")
        you.audit()
        body = {
            "plan_version": 2,
            "occupation": "F1703",
            "gaps": [{"code": TEAM}],
            "agreed_with_person": True,
        }
        api(front, "mirec", "counsellor", "POST", f"/beneficiaries/{person['id']}/plan/gaps", body, sub="paul@mirec")
        gap_box(page, "Poser un coffrage").check()
        page.get_by_label("La nouvelle version du plan est convenue avec la personne").check()
        page.get_by_role("button", name="Ajouter les manques au plan").click()
        expect(page.locator("#f-plan_version-error")).to_contain_text("Le plan a changé depuis que vous l'avez lu")
        you.audit()
        page.get_by_role("link", name="Recharger le plan actuel").click()
        expect(page.locator(".summary")).to_contain_text("version 3")
        gap_box(page, "Poser un coffrage").check()
        page.get_by_label("La nouvelle version du plan est convenue avec la personne").check()
        page.get_by_role("button", name="Ajouter les manques au plan").click()
        expect(page.get_by_role("status")).to_contain_text("version 4")
        you.audit()
    finally:
        you.close()


SCENARIOS = {"gaps_into_the_plan": gaps_into_the_plan}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], SCENARIOS))
