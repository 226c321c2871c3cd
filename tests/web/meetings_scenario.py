"""The browser scenario of a partner meeting (the CLAIS forum), run in a plain process like
``tests.web.scenarios`` (which says why): ``python -m tests.web.meetings_scenario NAME WEB_URL GATEWAY_URL``.

Paula, a project lead, opens « Réunions partenaires », plans a meeting from a project's page about that project
with two organisations of the partner directory and an agenda, first without any organisation (refused beside
the list); she records its minutes, first with an organisation's attendance missing (refused beside it), then
the attendance, the staff present and two decisions; the meeting's page shows them, the project's page lists
the meeting and the list finds it by organisation. She corrects the minutes; a colleague's correction in
between makes hers stale (409, said on the page). Anne, a counsellor, reads the meeting and is offered no
action. Every page reached is checked with axe-core.
"""

from __future__ import annotations

import os
import re
import sys
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.web.scenarios import Visitor, api, fresh_seed, main, open_vacancy

SHOTS = os.environ.get("PASSERELLE_WEB_SHOTS")  # a folder: the meeting's pages photographed there, to be looked at


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def a_partner_meeting(front, chromium):
    seed = fresh_seed()
    employer, vacancy = open_vacancy(front, "mirec", title=f"Maçon {seed}")
    start = date.today() + timedelta(days=30)
    project = api(
        front,
        "mirec",
        "project_lead",
        "POST",
        "/projects",
        {
            "title": f"Maçons de Charleroi-Nord {seed}",
            "vacancy_id": vacancy["id"],
            "employer_id": employer["id"],
            "employer_convention": {
                "post_title": "Maçon",
                "hires_committed": 1,
                "contract_type": "permanent",
                "hours_per_week": 38,
            },
            "training_convention": {
                "operators": [{"name": "Construform", "enterprise_number": "0403170701"}],
                "training_profile": "Maçon (SFMQ)",
                "specification": "Gros oeuvre",
                "hours_centre": 300,
                "hours_work": 200,
                "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=120)).isoformat(),
                "trainees_planned": 2,
            },
        },
    )
    cpas, ale = (
        api(
            front,
            "mirec",
            "employer_relations",
            "POST",
            "/partners",
            {"name": f"{name} {seed}", "partner_type": kind, "municipalities": ["52011"], "contact": {}},
        )
        for name, kind in (("CPAS de Charleroi", "cpas"), ("ALE de Charleroi", "ale"))
    )
    title = f"Plateforme CLAIS Charleroi-Nord {seed}"
    paula, anne = Visitor(front, chromium), Visitor(front, chromium)
    page = paula.page
    try:
        paula.sign_in("mirec", "paula")
        paula.go(f"/projets/{project['id']}")
        expect(page.get_by_text("Aucune réunion partenaires sur ce projet.")).to_be_visible()
        page.get_by_role("link", name="Nouvelle réunion sur ce projet").click()
        paula.audit()
        expect(page.locator("p.notice")).to_contain_text("aucune donnée personnelle")
        expect(page.get_by_label(project["title"])).to_be_checked()
        page.get_by_label("Intitulé de la réunion").fill(title)
        page.get_by_label("Date", exact=True).fill((date.today() - timedelta(days=1)).isoformat())
        page.get_by_label("Heure").fill("09:30")
        page.get_by_label("Lieu").fill("Maison de l'emploi, Charleroi")
        page.get_by_label("Ordre du jour").fill("Présentation du projet maçons\nOrientation des candidats")
        page.get_by_role("button", name="Enregistrer la réunion").click()
        # No organisation invited: refused beside the list, the typed values kept.
        expect(page).to_have_title(re.compile(r"^Erreur : "))
        expect(page.locator(".error-summary")).to_be_focused()
        expect(page.locator("#f-partner_ids-error, #f-partner_refs-error")).to_be_visible()
        expect(page.get_by_label("Intitulé de la réunion")).to_have_value(title)
        paula.audit()
        if page.locator("#f-partner_ids").count():
            page.get_by_label(cpas["name"]).check()
            page.get_by_label(ale["name"]).check()
        else:  # the directory's listing did not answer: the organisations by their references
            page.get_by_label("Organisations invitées").fill(f"{cpas['id']}\n{ale['id']}")
        page.get_by_role("button", name="Enregistrer la réunion").click()
        expect(page).to_have_url(re.compile(r"/reunions/[0-9a-f-]{36}$"))
        expect(page.get_by_role("status")).to_contain_text("Réunion enregistrée.")
        meeting_url = page.url
        paula.audit()
        expect(page.locator("ol.agenda li")).to_have_text(
            ["Présentation du projet maçons", "Orientation des candidats"]
        )
        expect(page.locator("table", has_text=cpas["name"])).to_contain_text("à renseigner")

        page.get_by_role("link", name="Enregistrer le compte rendu").click()
        paula.audit()
        shot(page, "minutes")
        page.get_by_role("group", name=cpas["name"]).get_by_label("présent").check()
        page.get_by_label("Personnel de la Mission présent").fill("Paula Renard, cheffe de projet")
        first, second = (page.get_by_role("group", name=f"Décision {n}", exact=True) for n in (1, 2))
        first.get_by_label("Décision").fill("Envoyer le calendrier aux partenaires")
        first.get_by_label("Qui agit").select_option("mission")
        first.get_by_label("Pour le").fill(date.today().isoformat())
        second.get_by_label("Décision").fill("Informer les personnes intéressées")
        second.get_by_label("Qui agit").select_option(label=cpas["name"])
        second.get_by_label("Pour le").fill((date.today() + timedelta(days=14)).isoformat())
        page.get_by_role("button", name="Enregistrer le compte rendu").click()
        # The ALE's attendance is missing: refused beside its choices, the rest kept.
        expect(page.locator(".error-summary")).to_be_focused()
        expect(page.locator(f"#f-attendance-{ale['id']}-error")).to_contain_text("Choisissez une des valeurs")
        expect(page.get_by_label("Personnel de la Mission présent")).to_have_value("Paula Renard, cheffe de projet")
        paula.audit()
        page.get_by_role("group", name=ale["name"]).get_by_label("excusé").check()
        page.get_by_role("button", name="Enregistrer le compte rendu").click()
        expect(page).to_have_url(meeting_url)
        expect(page.get_by_role("status")).to_contain_text("Compte rendu enregistré.")
        paula.audit()
        expect(page.locator(".tags")).to_contain_text("compte rendu clôturé")
        decisions = page.locator("table", has_text="Qui agit").locator("tbody tr")
        expect(decisions).to_have_count(2)
        expect(decisions.nth(1)).to_contain_text(cpas["name"])
        expect(page.locator("table", has_text=ale["name"])).to_contain_text("excusé")
        shot(page, "meeting")

        # The project lists it; the list finds it by organisation.
        paula.go(f"/projets/{project['id']}")
        expect(page.get_by_role("link", name=title)).to_be_visible()
        page.get_by_role("link", name="Réunions partenaires", exact=True).first.click()
        if page.get_by_label("Organisation invitée").count():
            page.get_by_label("Organisation invitée").select_option(label=ale["name"])
            page.get_by_role("button", name="Filtrer").click()
            paula.audit()
        else:  # no directory listing to choose from: the filter's own address
            paula.go(f"/reunions?partenaire={ale['id']}")
        expect(page.locator("table tbody tr")).to_have_count(1)
        expect(page.get_by_role("link", name=title)).to_be_visible()

        # A correction, made stale by a colleague's in between: refused with the reason, nothing written.
        page.get_by_role("link", name=title).click()
        page.get_by_role("link", name="Corriger le compte rendu").click()
        paula.audit()
        meeting_id = meeting_url.rsplit("/", 1)[1]
        body = {"version": 1, "staff_present": [{"name": "Dora Lambert", "function": "directrice"}]}
        api(front, "mirec", "director", "PATCH", f"/meetings/{meeting_id}/minutes", body, sub="dora@mirec")
        page.get_by_role("group", name=ale["name"]).get_by_label("présent").check()
        page.get_by_role("button", name="Enregistrer la correction").click()
        expect(page.locator(".error-summary")).to_contain_text("corrigé depuis que vous l'avez lu")
        paula.audit()
        paula.go(f"/reunions/{meeting_id}/compte-rendu")
        page.get_by_role("group", name=ale["name"]).get_by_label("présent").check()
        page.get_by_role("button", name="Enregistrer la correction").click()
        expect(page.get_by_role("status")).to_contain_text("Compte rendu corrigé.")
        expect(page.locator("table", has_text=ale["name"])).to_contain_text("présent")
        expect(page.locator("dl.summary")).to_contain_text(re.compile(r"Version du compte rendu\s*3"))
        paula.audit()

        anne.sign_in("mirec", "anne")
        anne.go(f"/reunions/{meeting_id}")
        expect(anne.page.locator("h1")).to_have_text(title)
        expect(anne.page.get_by_role("link", name="Corriger le compte rendu")).to_have_count(0)
        anne.go("/reunions")
        expect(anne.page.get_by_role("link", name="Nouvelle réunion")).to_have_count(0)
    finally:
        paula.close()
        anne.close()


SCENARIOS = {"a_partner_meeting": a_partner_meeting}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], SCENARIOS))
