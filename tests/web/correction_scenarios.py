"""The browser scenario of corrections with history, run in a plain process like ``tests.web.scenarios`` (which
says why): ``python -m tests.web.correction_scenarios NAME WEB_URL GATEWAY_URL``.

A counsellor corrects a person's file with « Corriger » and reads the correction in the file's history; then
edits the file while the director corrects it, and is told who changed it and when, with nothing overwritten.
An employer-relations agent does the same for an employer and for one of its contacts.
Every page reached is checked with axe-core.
"""

from __future__ import annotations

import re
import sys

from playwright.sync_api import expect

from runtime.demo import DemoFactory
from tests.web.scenarios import Visitor, api, fresh_seed, main, new_person

NAMUR = "92094"


def a_person_corrected_and_a_stale_edit_refused(front, chromium):
    person = new_person(front, "mirec", sub="anne@mirec", phone="071 11 22 33")
    pid = person["id"]
    you = Visitor(front, chromium)
    page = you.page
    try:
        you.sign_in("mirec", "anne")
        you.go(f"/beneficiaires/{pid}")
        expect(page.locator("#corrections + p")).to_have_text("Aucune correction depuis l'accueil.")

        # A moved person with a new phone, and a misspelt name.
        page.get_by_role("link", name="Corriger", exact=True).click()
        you.audit()
        expect(page.get_by_label("Nom", exact=True)).to_have_value(person["last_name"])
        page.get_by_label("Nom", exact=True).fill("Van den Bossche")
        page.get_by_label("Téléphone").fill("0470 12 34 56")
        page.get_by_label("Commune de résidence").select_option(NAMUR)
        page.get_by_label("Adresse e-mail").fill("pas une adresse")
        page.get_by_role("button", name="Enregistrer la correction").click()
        # Refused beside the field, typed values kept, nothing written.
        you.audit()
        expect(page).to_have_title(re.compile(r"^Erreur :"))
        expect(page.locator(".error-summary")).to_be_focused()
        expect(page.locator("#f-email-error")).to_be_visible()
        expect(page.get_by_label("Nom", exact=True)).to_have_value("Van den Bossche")
        assert api(front, "mirec", "counsellor", "GET", f"/beneficiaries/{pid}")["version"] == 1
        page.get_by_label("Adresse e-mail").fill("")
        page.get_by_role("button", name="Enregistrer la correction").click()
        expect(page).to_have_url(re.compile(rf"/beneficiaires/{pid}$"))
        you.audit()
        expect(page.locator("h1")).to_contain_text("Van den Bossche")
        history = page.locator("section[aria-labelledby='corrections'] ol.timeline > li")
        expect(history).to_have_count(1)
        expect(history.first).to_contain_text("Version 2, par anne@mirec")
        expect(history.first).to_contain_text(person["last_name"])
        expect(history.first).to_contain_text("Namur")
        expect(history.first).to_contain_text("0470 12 34 56")

        # Two people on one file: Anne's form shows version 2; the director corrects the file meanwhile.
        page.get_by_role("link", name="Corriger", exact=True).click()
        you.audit()
        page.get_by_label("Téléphone").fill("0499 99 99 99")
        api(
            front,
            "mirec",
            "director",
            "PATCH",
            f"/beneficiaries/{pid}",
            {"version": 2, "first_name": "Mathilde"},
            sub="dora@mirec",
        )
        page.get_by_role("button", name="Enregistrer la correction").click()
        you.audit()
        summary = page.locator(".error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text(re.compile(r"modifié entre-temps par dora@mirec à \d\d:\d\d"))
        now = api(front, "mirec", "counsellor", "GET", f"/beneficiaries/{pid}")
        assert (now["version"], now["first_name"], now["phone"]) == (3, "Mathilde", "0470 12 34 56")
        # Reloaded, the form shows the file as it is now.
        page.get_by_role("link", name="Recharger le dossier tel qu'il est maintenant").click()
        you.audit()
        expect(page.get_by_label("Prénom")).to_have_value("Mathilde")
        assert page.locator("input[name=version]").get_attribute("value") == "3"
    finally:
        you.close()


def an_employer_corrected_and_handed_over(front, chromium):
    employer = api(
        front, "mirec", "employer_relations", "POST", "/employers", DemoFactory(seed=fresh_seed()).employer()
    )
    eid = employer["id"]
    agent, director = Visitor(front, chromium), Visitor(front, chromium)
    try:
        agent.sign_in("mirec", "eric")
        agent.go(f"/entreprises/{eid}")
        page = agent.page
        page.get_by_role("link", name="Corriger", exact=True).click()
        agent.audit()
        expect(page.get_by_label("Gestionnaire du compte")).to_have_count(0)  # the direction's, not the agent's
        page.get_by_label("Rue et numéro").fill("Rue de la Station 3")
        page.get_by_label("Code postal").fill("60OO")
        page.get_by_role("button", name="Enregistrer la correction").click()
        agent.audit()
        expect(page.locator("#f-postal_code-error")).to_be_visible()
        page.get_by_label("Code postal").fill("6000")
        page.get_by_role("button", name="Enregistrer la correction").click()
        expect(page).to_have_url(re.compile(rf"/entreprises/{eid}$"))
        agent.audit()
        expect(page.locator("#corrections + ol > li")).to_contain_text("Rue de la Station 3")

        director.sign_in("mirec", "dora")
        director.go(f"/entreprises/{eid}/corriger")
        director.page.get_by_label("Gestionnaire du compte").fill("fanny@mirec")
        director.page.get_by_role("button", name="Confier l'entreprise").click()
        expect(director.page).to_have_url(re.compile(rf"/entreprises/{eid}$"))
        director.audit()
        expect(director.page.locator("#corrections + ol > li").first).to_contain_text("Version 3, par dora@mirec")
        assert api(front, "mirec", "director", "GET", f"/employers/{eid}")["account_manager"] == "fanny@mirec"
    finally:
        agent.close()
        director.close()


def a_contact_corrected_and_a_stale_edit_refused(front, chromium):
    employer = api(
        front, "mirec", "employer_relations", "POST", "/employers", DemoFactory(seed=fresh_seed()).employer()
    )
    eid = employer["id"]
    contact = api(
        front,
        "mirec",
        "employer_relations",
        "POST",
        f"/employers/{eid}/contacts",
        {"name": "Nadia Lambert", "function": "Gérante", "phone": "071 22 33 44"},
    )
    cid = contact["id"]
    agent = Visitor(front, chromium)
    page = agent.page
    try:
        agent.sign_in("mirec", "eric")
        agent.go(f"/entreprises/{eid}")
        # One « Corriger » per contact, named after the contact; the employer's own stays « Corriger ».
        page.get_by_role("link", name="Corriger le contact Nadia Lambert").click()
        agent.audit()
        expect(page.get_by_label("Nom", exact=True)).to_have_value("Nadia Lambert")
        expect(page.locator("#corrections + p")).to_have_text("Aucune correction depuis l'ajout du contact.")
        page.get_by_label("Fonction").fill("Responsable des ressources humaines")
        page.get_by_label("Téléphone").fill("pas un numéro")
        page.get_by_role("button", name="Enregistrer la correction").click()
        # Refused beside the field, typed values kept, nothing written.
        agent.audit()
        expect(page).to_have_title(re.compile(r"^Erreur :"))
        expect(page.locator(".error-summary")).to_be_focused()
        expect(page.locator("#f-phone-error")).to_be_visible()
        expect(page.get_by_label("Fonction")).to_have_value("Responsable des ressources humaines")
        assert api(front, "mirec", "employer_relations", "GET", f"/employers/{eid}")["contacts"][0]["version"] == 1
        page.get_by_label("Téléphone").fill("0478 12 34 56")
        page.get_by_role("button", name="Enregistrer la correction").click()
        expect(page).to_have_url(re.compile(rf"/entreprises/{eid}$"))
        agent.audit()
        expect(page.locator("#corrections + p")).to_have_text("Aucune correction depuis l'enregistrement.")
        now = api(front, "mirec", "employer_relations", "GET", f"/employers/{eid}")["contacts"][0]
        assert (now["version"], now["function"], now["phone"]) == (
            2,
            "Responsable des ressources humaines",
            "0478 12 34 56",
        )

        # The contact's page shows its history; a colleague corrects the contact while the form is open.
        page.get_by_role("link", name="Corriger le contact Nadia Lambert").click()
        agent.audit()
        history = page.locator("#corrections + ol > li")
        expect(history).to_have_count(1)
        expect(history.first).to_contain_text("Version 2, par eric@mirec")
        expect(history.first).to_contain_text("071 22 33 44")
        expect(history.first).to_contain_text("0478 12 34 56")
        page.get_by_label("Adresse e-mail").fill("nadia.lambert@example.be")
        api(
            front,
            "mirec",
            "employer_relations",
            "PATCH",
            f"/employers/{eid}/contacts/{cid}",
            {"version": 2, "name": "Nadia Lambert-Dubois"},
            sub="fanny@mirec",
        )
        page.get_by_role("button", name="Enregistrer la correction").click()
        agent.audit()
        summary = page.locator(".error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text(re.compile(r"Ce contact a été modifié entre-temps par fanny@mirec à \d\d:\d\d"))
        now = api(front, "mirec", "employer_relations", "GET", f"/employers/{eid}")["contacts"][0]
        assert (now["version"], now["name"], now["email"]) == (3, "Nadia Lambert-Dubois", None)
        page.get_by_role("link", name="Recharger le contact tel qu'il est maintenant").click()
        agent.audit()
        expect(page.get_by_label("Nom", exact=True)).to_have_value("Nadia Lambert-Dubois")
        assert page.locator("input[name=version]").get_attribute("value") == "3"
    finally:
        agent.close()


SCENARIOS = {
    "a_person_corrected_and_a_stale_edit_refused": a_person_corrected_and_a_stale_edit_refused,
    "an_employer_corrected_and_handed_over": an_employer_corrected_and_handed_over,
    "a_contact_corrected_and_a_stale_edit_refused": a_contact_corrected_and_a_stale_edit_refused,
}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], SCENARIOS))
