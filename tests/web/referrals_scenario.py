"""The browser scenario of a partner's referral, run in a plain process like ``tests.web.scenarios`` (which says
why): ``python -m tests.web.referrals_scenario NAME WEB_URL GATEWAY_URL``.

Paul, of a CPAS in MIREC's partner directory (``PARTNER_ORGANISATION``, which the test writes into the
directory before running this), signs in for his organisation and refers a person from « Mes orientations vers
la Mission », first without the person's consent (refused beside the field); Anne finds the referral in
« Demandes reçues », opens the intake pre-filled with what Paul gave, completes it (the person agrees that the
partner be told) and lands on the new file; Paul then reads « acceptée : la personne est accompagnée par la
Mission », and nothing else of the person. Every page reached is checked with axe-core.
"""

from __future__ import annotations

import os
import re
import sys

from playwright.sync_api import expect

from runtime.demo import DemoFactory
from tests.web.scenarios import Visitor, api, fresh_seed, main

PARTNER_ORGANISATION = "cpas-charleroi-demo"


def shoot(visitor: Visitor, name: str) -> None:
    """A full-page picture when ``PASSERELLE_SCREENSHOTS`` names a folder (for people to look at)."""
    folder = os.environ.get("PASSERELLE_SCREENSHOTS")
    if folder:
        visitor.page.screenshot(path=os.path.join(folder, name), full_page=True)


def sign_in_as_partner(visitor: Visitor, mission: str, organisation: str) -> None:
    page = visitor.page
    page.goto(visitor.front.url + "/")
    expect(page).to_have_url(re.compile(r"/connexion\?next="))
    visitor.audit()
    details = page.locator("details.mission", has=page.locator(f"[data-user='paul@{mission}']"))
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    details.get_by_label(re.compile("Organisation de Paul Martin")).fill(organisation)
    page.locator(f"[data-user='paul@{mission}']").click()
    visitor.audit()


def a_partners_referral_accepted_and_followed(front, chromium):
    someone = DemoFactory(seed=fresh_seed()).beneficiary("50000")
    name = f"{someone['first_name']} {someone['last_name']}"
    paul, anne = Visitor(front, chromium), Visitor(front, chromium)
    try:
        sign_in_as_partner(paul, "mirec", PARTNER_ORGANISATION)
        page = paul.page
        expect(page).to_have_url(re.compile(r"/orientations$"))
        expect(page.locator("h1")).to_have_text("Mes orientations vers la Mission")
        page.get_by_label("Prénom").fill(someone["first_name"])
        page.get_by_label("Nom", exact=True).fill(someone["last_name"])
        page.get_by_label("Date de naissance").fill(someone["birth_date"])
        page.get_by_label("Numéro de registre national ou BIS").fill(someone["niss"])
        page.get_by_label("Commune de résidence").select_option("52011")
        page.get_by_label("Téléphone").fill("0471 23 45 67")
        page.get_by_label("Pourquoi orientez-vous cette personne ?").fill(
            "Suivie au CPAS depuis un an ; cherche une formation en logistique."
        )
        page.get_by_label("Chômage de longue durée").check()
        page.get_by_role("button", name="Envoyer l'orientation").click()
        # No consent ticked: refused beside the field, nothing sent.
        paul.audit()
        expect(page.locator(".error-summary")).to_be_focused()
        expect(page.locator("#f-consent-error")).to_be_visible()
        assert api(front, "mirec", "counsellor", "GET", "/referrals")["total"] == 0
        page.get_by_label("La personne accepte d'être orientée vers la Mission").check()
        page.get_by_role("button", name="Envoyer l'orientation").click()
        expect(page).to_have_url(re.compile(r"/orientations$"))
        paul.audit()
        row = page.locator("tr", has_text=name)
        expect(row).to_contain_text("reçue, en attente de la réponse de la Mission")

        anne.sign_in("mirec", "anne")
        anne.page.get_by_role("link", name="Demandes reçues").click()
        anne.audit()
        card = anne.page.locator("article", has_text=name)
        expect(card).to_contain_text("cherche une formation en logistique")
        expect(card).to_contain_text("CPAS de Charleroi")  # the directory's name of the organisation
        shoot(anne, "demandes-recues.png")
        card.get_by_role("link", name=re.compile("Accepter et ouvrir le dossier")).click()
        anne.audit()
        intake = anne.page
        expect(intake.get_by_label("Prénom")).to_have_value(someone["first_name"])
        niss = "".join(ch for ch in someone["niss"] if ch.isdigit())
        expect(intake.get_by_label("Numéro de registre national ou BIS")).to_have_value(niss)
        expect(intake.get_by_role("checkbox", name="Chômage de longue durée")).to_be_checked()
        intake.get_by_label("Femme" if someone["gender"] == "F" else "Homme", exact=True).check()
        intake.get_by_label(re.compile("La personne accepte que le partenaire sache")).check()
        shoot(anne, "accepter.png")
        intake.get_by_role("button", name="Accepter et ouvrir le dossier").click()
        expect(intake).to_have_url(re.compile(r"/beneficiaires/[0-9a-f-]{36}$"))
        anne.audit()
        expect(intake.locator("h1")).to_have_text(name)

        paul.go("/orientations")
        expect(page.locator("tr", has_text=name)).to_contain_text(
            "acceptée : la personne est accompagnée par la Mission"
        )
        shoot(paul, "orientations.png")
        # The partner has no page of the Mission's files: the caseload answers the gateway's refusal.
        expect(page.get_by_role("link", name="Mon portefeuille")).to_have_count(0)
        response = page.goto(front.url + "/beneficiaires")
        assert response is not None and response.status == 403
    finally:
        paul.close()
        anne.close()


SCENARIOS = {"a_partners_referral_accepted_and_followed": a_partners_referral_accepted_and_followed}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], SCENARIOS))
