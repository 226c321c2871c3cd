"""The browser scenario of the partner directory, run in a plain process like ``tests.web.scenarios`` (which says
why): ``python -m tests.web.partners_scenario NAME WEB_URL GATEWAY_URL``.

Éric, employer-relations agent at MIREC, opens « Partenaires » and adds a CPAS: a wrong BCE number is refused
beside its field (the typed values kept), then the organisation is added; he adds a service without ticking a
need (refused beside the list), then with its needs and public; shares the organisation with InterMire, and
withdraws a second service, which stays on the page marked « retiré ». Anne, a counsellor, finds the CPAS by
besoin, commune and public, and has no button to change it. Inès, InterMire's analyst, finds it in the sector's
« Répertoire des partenaires » with its offered service only. Every page reached is checked with axe-core; the
list and the organisation's page are photographed (``PASSERELLE_SCREENSHOTS``, the temporary folder otherwise).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

from playwright.sync_api import expect

from tests.web.scenarios import Visitor, api, main


def _shots() -> Path:
    folder = Path(os.environ.get("PASSERELLE_SCREENSHOTS") or tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def a_partner_directory_kept_and_searched(front, chromium):
    name = f"CPAS de Farciennes {uuid.uuid4().hex[:4]}"
    eric, anne, ines = Visitor(front, chromium), Visitor(front, chromium), Visitor(front, chromium)
    try:
        eric.sign_in("mirec", "eric")
        page = eric.page
        page.get_by_role("link", name="Partenaires", exact=True).click()
        eric.audit()
        page.get_by_role("link", name="Ajouter une organisation").click()
        eric.audit()
        page.get_by_label("Nom de l'organisation").fill(name)
        page.get_by_label("Type d'organisation").select_option("cpas")
        page.get_by_label("Numéro d'entreprise (BCE)").fill("0123.456.789")
        page.get_by_label("Communes desservies").select_option(["52018", "52012"])
        page.get_by_label("Téléphone").fill("071 38 00 00")
        page.get_by_label("Adresse e-mail").fill("accueil@cpas-farciennes.example")
        page.get_by_role("button", name="Ajouter l'organisation").click()
        # A wrong enterprise number: refused beside its field, what was typed kept, nothing written.
        eric.audit()
        expect(page.locator(".error-summary")).to_be_focused()
        expect(page.locator("#f-enterprise_number-error")).to_contain_text("BCE")
        expect(page.get_by_label("Nom de l'organisation")).to_have_value(name)
        assert api(front, "mirec", "employer_relations", "GET", f"/partners?q={name}")["total"] == 0
        page.get_by_label("Numéro d'entreprise (BCE)").fill("0212.345.668")
        page.get_by_label("Communes desservies").select_option(["52018", "52012"])
        page.get_by_role("button", name="Ajouter l'organisation").click()
        expect(page).to_have_url(re.compile(r"/partenaires/[0-9a-f-]{36}$"))
        eric.audit()
        expect(page.locator("h1")).to_have_text(name)

        page.get_by_role("link", name="Ajouter un service").click()
        eric.audit()
        page.get_by_label("Intitulé du service").fill("Cellule logement")
        page.get_by_label("Ce que le service propose").fill("Recherche d'un logement, garantie locative.")
        page.get_by_role("button", name="Ajouter le service").click()
        eric.audit()
        expect(page.locator("#f-needs-error")).to_be_visible()
        page.get_by_label("Logement").check()
        page.get_by_label("Aide sociale", exact=True).check()
        page.get_by_label("Parent seul").check()
        page.get_by_label("Heures d'ouverture").fill("Lundi au vendredi, 8 h 30 – 12 h")
        page.get_by_role("button", name="Ajouter le service").click()
        expect(page).to_have_url(re.compile(r"/partenaires/[0-9a-f-]{36}$"))
        eric.audit()
        page.get_by_role("link", name="Ajouter un service").click()
        page.get_by_label("Intitulé du service").fill("Permanence mobilité")
        page.get_by_label("Ce que le service propose").fill("Aide au permis théorique.")
        page.get_by_label("Mobilité").check()
        page.get_by_role("button", name="Ajouter le service").click()
        eric.audit()
        page.get_by_role("button", name="Partager avec InterMire").click()
        eric.audit()
        expect(page.locator("dl.summary").first).to_contain_text("partagée dans le répertoire du secteur")
        page.get_by_role("button", name="Retirer ce service : Permanence mobilité").click()
        eric.audit()
        expect(page.locator("li", has_text="Permanence mobilité")).to_contain_text("retiré")
        page.screenshot(path=str(_shots() / "partner-organisation.png"), full_page=True)

        anne.sign_in("mirec", "anne")
        anne.page.get_by_role("link", name="Partenaires", exact=True).click()
        anne.audit()
        expect(anne.page.get_by_role("link", name="Ajouter une organisation")).to_have_count(0)
        anne.page.get_by_label("Besoin").select_option("housing")
        anne.page.get_by_label("Commune desservie").select_option("52018")
        anne.page.get_by_label("Public cible").select_option("single_parent")
        anne.page.get_by_role("button", name="Rechercher").click()
        anne.audit()
        expect(anne.page.get_by_role("link", name=name)).to_be_visible()
        anne.page.screenshot(path=str(_shots() / "partners.png"), full_page=True)
        anne.page.get_by_label("Besoin").select_option("mobility")
        anne.page.get_by_role("button", name="Rechercher").click()
        anne.audit()
        expect(anne.page.get_by_role("link", name=name)).to_have_count(0)  # its mobility service is withdrawn
        anne.go("/partenaires")
        anne.page.get_by_role("link", name=name).click()
        anne.audit()
        expect(anne.page.get_by_role("link", name="Corriger")).to_have_count(0)
        expect(anne.page.get_by_role("button", name="Partager avec InterMire")).to_have_count(0)

        ines.sign_in("intermire", "ines")
        shared = None
        for _ in range(60):  # through the outbox, the relay and the shovel to InterMire
            ines.page.get_by_role("link", name="Répertoire des partenaires").click()
            shared = ines.page.locator("tr", has_text=name)
            if shared.count() and "Permanence" not in shared.inner_text():
                break
            time.sleep(0.5)
        ines.audit()
        expect(shared).to_contain_text("Cellule logement")
        expect(shared).not_to_contain_text("Permanence mobilité")  # withdrawn: no longer offered, not shared
        expect(shared).not_to_contain_text("0212")  # no enterprise number leaves the Mission
        ines.page.screenshot(path=str(_shots() / "sector-partners.png"), full_page=True)
    finally:
        eric.close()
        anne.close()
        ines.close()


SCENARIOS = {"a_partner_directory_kept_and_searched": a_partner_directory_kept_and_searched}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], SCENARIOS))
