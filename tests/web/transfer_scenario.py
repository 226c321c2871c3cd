"""The browser scenario of a file's transfer to another Mission, run in a plain process like
``tests.web.scenarios`` (which says why): ``python -m tests.web.transfer_scenario NAME WEB_URL GATEWAY_URL``.

Anne (MIREC) asks for a person's file to go to MIRENA with « Transférer vers une autre Mission », first
without the person's consent (refused beside the field); Dora, MIRENA's director, finds it in « Transferts
reçus », tries to decline without a reason (refused beside the field), then accepts it and lands on the file
now open at MIRENA; Anne's file is then a closed record. Every page reached is checked with axe-core.
"""

from __future__ import annotations

import re
import sys
import time

from playwright.sync_api import expect

from tests.web.scenarios import Visitor, api, main, new_person


def a_file_transferred_to_another_mission(front, chromium):
    person = new_person(front, "mirec", counsellor_plan=True, sub="anne@mirec")
    pid, name = person["id"], f"{person['first_name']} {person['last_name']}"
    anne, dora = Visitor(front, chromium), Visitor(front, chromium)
    try:
        anne.sign_in("mirec", "anne")
        anne.go(f"/beneficiaires/{pid}")
        page = anne.page
        page.get_by_role("link", name="Transférer vers une autre Mission").click()
        anne.audit()
        page.get_by_label("Mission qui reprend le dossier").select_option("mirena")
        page.get_by_label("Raison du transfert").fill("Déménagement à Namur")
        page.get_by_role("button", name="Demander le transfert").click()
        # No consent ticked: refused beside the field, nothing written.
        anne.audit()
        expect(page.locator(".error-summary")).to_be_focused()
        expect(page.locator("#f-consent-error")).to_be_visible()
        assert api(front, "mirec", "counsellor", "GET", f"/beneficiaries/{pid}")["transfer"] is None
        page.get_by_label("La personne consent au transfert de son dossier").check()
        page.get_by_role("button", name="Demander le transfert").click()
        expect(page).to_have_url(re.compile(rf"/beneficiaires/{pid}$"))
        anne.audit()
        expect(page.locator("p.notice").filter(has_text="Transfert vers mirena")).to_contain_text(
            "en attente de réponse"
        )
        expect(page.get_by_role("link", name="Transférer vers une autre Mission")).to_have_count(0)

        dora.sign_in("mirena", "dora")
        for _ in range(60):  # the request travels through both shovels
            if api(front, "mirena", "director", "GET", "/transfers?status=requested")["items"]:
                break
            time.sleep(0.5)
        dora.page.get_by_role("link", name="Transferts reçus").click()
        dora.audit()
        card = dora.page.locator("article", has_text=name)
        expect(card).to_contain_text("1 version(s) du plan")
        card.get_by_role("button", name="Refuser le transfert").click()
        dora.audit()
        expect(dora.page.locator(".error-summary")).to_be_focused()
        card = dora.page.locator("article", has_text=name)
        card.get_by_role("button", name="Accepter le transfert").click()
        expect(dora.page).to_have_url(re.compile(r"/beneficiaires/[0-9a-f-]{36}$"))
        dora.audit()
        expect(dora.page.locator("h1")).to_have_text(name)
        expect(dora.page.locator(".tags")).to_contain_text("en parcours")

        for _ in range(60):  # the answer travels back
            if api(front, "mirec", "counsellor", "GET", f"/beneficiaries/{pid}")["status"] == "transferred":
                break
            time.sleep(0.5)
        anne.go(f"/beneficiaires/{pid}")
        expect(page.locator(".tags")).to_contain_text("transféré·e")
        expect(page.locator("p.notice").filter(has_text="Transfert vers mirena")).to_contain_text("accepté")
        expect(page.get_by_role("link", name="Corriger", exact=True)).to_have_count(0)
        expect(page.get_by_role("link", name="Changer d'étape")).to_have_count(0)
    finally:
        anne.close()
        dora.close()


SCENARIOS = {"a_file_transferred_to_another_mission": a_file_transferred_to_another_mission}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], SCENARIOS))
