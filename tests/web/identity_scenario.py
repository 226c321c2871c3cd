"""The browser scenario of provisional identities, run in a plain process like ``tests.web.scenarios`` (which says
why): ``python -m tests.web.identity_scenario NAME WEB_URL GATEWAY_URL``.

A counsellor takes in a person who has no number yet: the intake looks like a file on record and is refused
beside the name, with a link to that file; the counsellor confirms another person and the file opens with
its badge. The number comes later and is typed in « Compléter l'identité ». Then a second provisional file
turns out to be someone the Mission already follows: the number is refused beside the field with the merge
offered, and the merge lands on the kept file, which lists it. Every page reached is checked with axe-core.
"""

from __future__ import annotations

import re
import sys

from playwright.sync_api import expect

from runtime.demo import DemoFactory
from tests.web.scenarios import Visitor, api, fresh_seed, main, new_person


def fill_intake(page, person: dict) -> None:
    page.get_by_label("Pas encore de numéro national ou BIS (identité provisoire)").check()
    page.get_by_label("Prénom").fill(person["first_name"])
    page.get_by_label("Nom", exact=True).fill(person["last_name"])
    page.get_by_label("Date de naissance").fill(person["birth_date"])
    page.get_by_label("Homme" if person["gender"] == "M" else "Femme").check()
    page.get_by_label("Commune de résidence").select_option("52011")


def a_provisional_identity_completed_and_merged(front, chromium):
    known = new_person(front, "mirec", sub="anne@mirec")
    you = Visitor(front, chromium)
    page = you.page
    try:
        you.sign_in("mirec", "anne")
        you.go("/beneficiaires/nouveau")
        you.audit()
        fill_intake(page, known)
        page.get_by_role("button", name="Ouvrir le dossier").click()
        # Refused beside the name, naming the file on record; nothing opened.
        expect(page).to_have_title(re.compile(r"^Erreur : "))
        expect(page.locator("[data-error-summary]")).to_be_focused()
        expect(page.locator("#f-last_name-error")).to_contain_text("Un dossier existe déjà avec ces nom")
        expect(page.get_by_role("link", name="Voir le dossier existant")).to_have_attribute(
            "href", f"/beneficiaires/{known['id']}"
        )
        expect(page.get_by_label("Pas encore de numéro national ou BIS (identité provisoire)")).to_be_checked()
        you.audit()
        page.get_by_label("C'est une autre personne").check()
        page.get_by_role("button", name="Ouvrir le dossier").click()
        expect(page.get_by_role("status")).to_contain_text("Dossier ouvert")
        expect(page.locator(".tags")).to_contain_text("Identité provisoire")
        you.audit()
        provisional_url = page.url

        # The number, once known: a wrong one beside the field, then the right one.
        number = DemoFactory(seed=fresh_seed()).beneficiary()["niss"]
        page.get_by_label("Numéro de registre national ou BIS").fill(number[:-1] + str((int(number[-1]) + 1) % 10))
        page.get_by_role("button", name="Compléter l'identité").click()
        expect(page.locator("#f-niss-error")).to_contain_text("ni un numéro BIS valide")
        you.audit()
        page.get_by_label("Numéro de registre national ou BIS").fill(number)
        page.get_by_role("button", name="Compléter l'identité").click()
        expect(page).to_have_url(provisional_url)
        expect(page.get_by_role("status")).to_contain_text("Identité complétée")
        expect(page.locator(".tags")).not_to_contain_text("Identité provisoire")
        expect(page.locator("section", has=page.locator("#identity"))).to_contain_text("Numéro de registre national")

        # A provisional file of someone the Mission already follows: merged into their file.
        other = DemoFactory(seed=fresh_seed()).beneficiary("50000")
        kept = api(front, "mirec", "counsellor", "POST", "/beneficiaries", other, sub="anne@mirec")
        body = {k: v for k, v in other.items() if k != "niss"} | {"identity": "provisional", "first_name": "Prénom"}
        gone = api(front, "mirec", "counsellor", "POST", "/beneficiaries", body, sub="anne@mirec")
        you.go(f"/beneficiaires/{gone['id']}")
        page.get_by_label("Numéro de registre national ou BIS").fill(other["niss"])
        page.get_by_role("button", name="Compléter l'identité").click()
        expect(page.locator("#f-niss-error")).to_contain_text("Un dossier de la Mission a déjà ce numéro")
        you.audit()
        page.get_by_role("button", name="Fusionner dans le dossier existant").click()
        expect(page).to_have_url(re.compile(rf"/beneficiaires/{kept['id']}$"))
        expect(page.get_by_role("status")).to_contain_text("Dossier provisoire fusionné")
        expect(page.locator("section", has=page.locator("#identity"))).to_contain_text(
            f"dossier {gone['id'][:8]} fusionné par anne"
        )
        you.audit()
    finally:
        you.close()


SCENARIOS = {"a_provisional_identity_completed_and_merged": a_provisional_identity_completed_and_merged}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], SCENARIOS))
