"""The browser scenario of an orientation to a partner's service, run in a plain process like
``tests.web.scenarios`` (which says why): ``python -m tests.web.orientations_scenario NAME WEB_URL GATEWAY_URL``.

Anne (MIREC) orients a person from their file with « Orienter vers un partenaire », choosing a CPAS of the
Mission's directory, then one of its services: one the CPAS withdraws meanwhile is refused beside the field,
and sharing the person's contact details without their consent is refused beside the consent; then the
orientation is made and listed in « Orientations vers des partenaires ». She records its outcome, « n'a pas
abouti », first without a reason (refused beside the field), then with one; the file shows it. The CPAS and its
services are made through the partner directory's routes. Every page reached is checked with axe-core.
"""

from __future__ import annotations

import os
import re
import sys
import uuid
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.web.scenarios import Visitor, api, main, new_person


def a_partner_offering(front, name: str) -> tuple[str, dict[str, str]]:
    """An organisation of MIREC's directory (a CPAS) offering a housing and a debt service, made through the
    directory's routes as an employer-relations agent: its id and its services' ids by title."""
    organisation = {"name": name, "partner_type": "cpas", "municipalities": ["52011"]}
    pid = api(front, "mirec", "employer_relations", "POST", "/partners", organisation)["id"]
    services = {}
    for title, need in (("Service logement", "housing"), ("Médiation de dettes", "debt")):
        body = {"title": title, "description": f"{title} du CPAS", "needs": [need]}
        services[title] = api(front, "mirec", "employer_relations", "POST", f"/partners/{pid}/services", body)["id"]
    return pid, services


def an_orientation_to_a_partner(front, chromium):
    person = new_person(front, "mirec", counsellor_plan=True, sub="anne@mirec")
    cpas = f"CPAS de Charleroi {uuid.uuid4().hex[:6]}"
    partner_id, services = a_partner_offering(front, cpas)
    pid = person["id"]
    anne = Visitor(front, chromium)
    try:
        anne.sign_in("mirec", "anne")
        anne.go(f"/beneficiaires/{pid}")
        page = anne.page
        section = page.locator("section", has=page.get_by_role("heading", name="Orientations vers des partenaires"))
        expect(section).to_contain_text("Aucune orientation vers un partenaire.")
        section.get_by_role("link", name="Orienter vers un partenaire").click()
        anne.audit()
        page.get_by_label("Organisation partenaire").select_option(label=cpas)
        page.get_by_role("button", name="Voir ses services").click()
        anne.audit()
        page.get_by_label("Service du partenaire").select_option(label="Médiation de dettes")
        page.get_by_label("Objet de l'orientation", exact=True).fill(
            "Recherche d'un logement avant l'entrée en formation"
        )
        page.get_by_label("Date du rendez-vous", exact=True).fill((date.today() + timedelta(days=7)).isoformat())
        page.get_by_label("ses coordonnées").check()
        page.get_by_label("La personne consent à ce partage").check()
        # Meanwhile the CPAS stops offering it.
        withdraw = f"/partners/{partner_id}/services/{services['Médiation de dettes']}/withdraw"
        api(front, "mirec", "employer_relations", "POST", withdraw)
        page.get_by_role("button", name="Orienter", exact=True).click()
        # A service the partner withdrew: refused beside the field, the typed values kept.
        anne.audit()
        expect(page.locator(".error-summary")).to_be_focused()
        expect(page.locator("#f-service_id-error")).to_contain_text("retiré")
        expect(page.get_by_label("Objet de l'orientation", exact=True)).to_have_value(
            "Recherche d'un logement avant l'entrée en formation"
        )
        expect(page.get_by_label("Service du partenaire").locator("option")).to_have_text(
            ["— choisir —", "Service logement"]
        )
        page.get_by_label("Service du partenaire").select_option(label="Service logement")
        page.get_by_label("ses coordonnées").check()
        page.get_by_label("La personne consent à ce partage").uncheck()
        page.get_by_label("Date du rendez-vous", exact=True).fill((date.today() + timedelta(days=7)).isoformat())
        page.get_by_role("button", name="Orienter", exact=True).click()
        # Contact details shared without the person's consent: refused beside the consent, nothing written.
        anne.audit()
        expect(page.locator("#f-consent-error")).to_be_visible()
        shots = os.environ.get("PASSERELLE_SCREENSHOTS")
        if shots:
            page.screenshot(path=os.path.join(shots, "orient-refused.png"), full_page=True)
        assert api(front, "mirec", "counsellor", "GET", f"/beneficiaries/{pid}/orientations") == []
        page.get_by_label("ses coordonnées").check()
        page.get_by_label("La personne consent à ce partage").check()
        page.get_by_label("Date du rendez-vous", exact=True).fill((date.today() + timedelta(days=7)).isoformat())
        page.get_by_role("button", name="Orienter", exact=True).click()
        expect(page).to_have_url(re.compile(rf"/beneficiaires/{pid}#orientations$"))
        anne.audit()
        row = section.locator("tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("CPAS")
        expect(row).to_contain_text("rendez-vous prévu")
        expect(row).to_contain_text("ses coordonnées")

        row.get_by_role("link", name=re.compile("Enregistrer la suite")).click()
        anne.audit()
        page.get_by_label("n'a pas abouti").check()
        page.get_by_role("button", name="Enregistrer la suite").click()
        anne.audit()
        expect(page.locator(".error-summary")).to_be_focused()
        expect(page.locator("#f-reason-error")).to_be_visible()
        page.get_by_label("n'a pas abouti").check()
        page.get_by_label(re.compile(r"^Raison")).fill("Pas de garde pour les enfants ce jour-là")
        page.get_by_role("button", name="Enregistrer la suite").click()
        expect(page).to_have_url(re.compile(rf"/beneficiaires/{pid}#orientations$"))
        anne.audit()
        expect(row).to_contain_text("n'a pas abouti")
        expect(row).to_contain_text("Pas de garde pour les enfants")
        expect(row.get_by_role("link", name=re.compile("Enregistrer la suite"))).to_have_count(0)
        if shots:
            section.screenshot(path=os.path.join(shots, "orientations.png"))
    finally:
        anne.close()


SCENARIOS = {"an_orientation_to_a_partner": an_orientation_to_a_partner}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], SCENARIOS))
