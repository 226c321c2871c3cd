"""Screenshots of the front office's main pages for the README: ``python -m tests.web.screenshots WEB GATEWAY DIR``.

Run against a platform with the front office (the browser tests' ``FrontOffice`` or ``make up`` with
``python -m web``); it writes its own demo data through the gateway, then photographs each page at 1280 px and
the person's file and a sector table at 360 px (the figures pages need InterMire's site, and enough people
for tables to be publishable: the seeded ``make up`` platform has them).
Not a test: the pictures are looked at by people.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

from tests.harness import wait_until
from tests.web.browser import launch_chromium
from tests.web.scenarios import Visitor, api, new_person, open_vacancy


def main(argv: list[str]) -> int:
    web_url, gateway_url, out = argv
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    front = SimpleNamespace(url=web_url, gateway_url=gateway_url)
    employer, vacancy = open_vacancy(front, "mirec", title="Maçon coffreur")
    # Anne's caseload: a few people of hers, one with a first contract whose six-month check is overdue.
    anne = "anne@mirec"
    person = new_person(front, "mirec", counsellor_plan=True, sub=anne, first_name="Éloïse", last_name="Van den Bœuf")
    pid = person["id"]
    for first, last in (("Marc", "Dupont"), ("Aïcha", "Benali"), ("Jean-Marie", "Lefèvre"), ("Sofia", "Lefebvre")):
        new_person(front, "mirec", counsellor_plan=first == "Marc", sub=anne, first_name=first, last_name=last)
    late = new_person(front, "mirec", sub=anne, first_name="Kevin", last_name="Delcourt", registered_on="2025-01-06")
    api(
        front,
        "mirec",
        "counsellor",
        "POST",
        f"/beneficiaries/{late['id']}/outcomes/contract",
        {"signed_on": "2025-03-03", "employer_id": employer["id"], "contract_type": "permanent", "hours_per_week": 38},
        sub=anne,
    )
    api(
        front,
        "mirec",
        "counsellor",
        "POST",
        f"/beneficiaries/{pid}/pathway/move",
        {"to": "formation", "why": "Projet confirmé après le stage"},
        sub=anne,
    )
    api(
        front,
        "mirec",
        "counsellor",
        "POST",
        f"/beneficiaries/{pid}/notes/social",
        {"text": "Premier entretien : situation stable, garde des enfants organisée."},
        sub=anne,
    )
    api(
        front,
        "mirec",
        "employer_relations",
        "POST",
        f"/employers/{employer['id']}/visits",
        {
            "kind": "visit",
            "on": "2026-11-20",
            "summary": "Visite du chantier : deux maçons recherchés",
            "next_action": "Envoyer le référentiel métier",
            "next_action_due": "2026-12-01",
        },
    )
    playwright, browser = launch_chromium()
    try:

        def shoot(who, path, name, mission="mirec", width=1280, full=True, before=None):
            visitor = Visitor(front, browser, width=width)
            visitor.sign_in(mission, who)
            visitor.page.goto(web_url + path)
            if before:
                before(visitor.page)
            visitor.page.screenshot(path=str(out_dir / f"{name}.png"), full_page=full)
            visitor.close()

        def ranked_for(check):
            return lambda: api(front, "mirec", "counsellor", "GET", check)

        wait_until(ranked_for(f"/matching/vacancies/{vacancy['id']}/candidates?limit=5"), 40, 1, "ranking")
        visitor = Visitor(front, browser)
        visitor.page.goto(web_url + "/connexion")
        visitor.page.screenshot(path=str(out_dir / "sign-in.png"))
        visitor.close()
        shoot("anne", "/beneficiaires", "caseload")
        shoot("anne", f"/beneficiaires/{pid}", "person-file")
        shoot("anne", f"/beneficiaires/{pid}", "person-file-360", width=360)

        def wrong_niss(page):
            page.get_by_label("Numéro de registre national").fill("85073003361")
            page.get_by_label("Prénom").fill("Aïcha")
            page.get_by_role("button", name="Ouvrir le dossier").click()
            page.wait_for_selector("[data-error-summary]")

        shoot("anne", "/beneficiaires/nouveau", "intake-errors", before=wrong_niss, full=False)

        def search_for(name):
            def fill(page):
                page.get_by_label("Nom ou prénom").fill(name)
                page.get_by_role("button", name="Rechercher", exact=True).click()
                page.wait_for_selector("#results h2")

            return fill

        shoot("anne", "/recherche", "search", before=search_for("lefe"))
        shoot("anne", "/recherche", "search-360", width=360, before=search_for("lefe"))
        shoot("anne", "/a-faire?portee=mission", "due")
        shoot("eric", "/entreprises?q=", "employer-search")
        shoot("anne", f"/beneficiaires/{pid}/evaluation?intitule=aide+ma%C3%A7on&metier=F1703", "assessment")
        shoot("eric", f"/offres/{vacancy['id']}", "vacancy-candidates")
        shoot("eric", f"/entreprises/{employer['id']}", "employer")
        shoot("dora", "/tableau-de-bord", "dashboard")
        shoot("diane", "/protection-des-donnees", "access-log", full=False)
        tables = "/tableaux?indicateur=people_accompanied&ventilation="
        shoot("dora", "/tableau-de-bord" + tables + "target_group", "mission-table")
        shoot("ines", "/intermire", "sector-dashboard", mission="intermire")
        shoot("ines", "/intermire" + tables + "gender", "sector-table", mission="intermire")
        shoot("ines", "/intermire" + tables + "age_band", "sector-table-360", mission="intermire", width=360)
    finally:
        browser.close()
        playwright.stop()
    print(f"screenshots written to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
