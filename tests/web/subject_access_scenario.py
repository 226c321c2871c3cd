"""The browser scenario of a person's copy (GDPR art. 15), run in a process of its own as ``scenarios.py`` says.

``python -m tests.web.subject_access_scenario WEB_URL GATEWAY_URL`` exits 0 when every step held.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from playwright.sync_api import expect

from tests.web.scenarios import Visitor, api, main, new_person

NOTE = "Rendez-vous au CPAS de Charleroi pour le logement, à revoir en mai"


def a_persons_copy(front, chromium):
    """A director opens the copy from the person's file and downloads it; the DPO opens it from the access log;
    a counsellor has no link and is refused."""
    person = new_person(front, "mirec", counsellor_plan=True)
    pid = person["id"]
    api(front, "mirec", "counsellor", "POST", f"/beneficiaries/{pid}/notes/social", {"text": NOTE})

    director = Visitor(front, chromium)
    page = director.page
    try:
        director.sign_in("mirec", "dora")
        director.go(f"/beneficiaires/{pid}")
        page.get_by_role("link", name="Copie des données (RGPD, art. 15)").click()
        expect(page).to_have_url(re.compile(rf"/beneficiaires/{pid}/copie$"))
        director.audit()
        expect(page.locator("h1")).to_have_text("Copie des données d'une personne")
        main = page.locator("main")
        expect(main).to_contain_text(person["last_name"])
        expect(main).to_contain_text(NOTE)
        expect(main).to_contain_text("Bilans de compétences")
        expect(main).to_contain_text("Stages de confirmation")
        expect(main).to_contain_text("dora@mirec")  # the copy names who made it, and the audit shows its making
        with page.expect_download() as waited:
            page.get_by_role("link", name="Télécharger la copie (JSON)").click()
        download = waited.value
        assert download.suggested_filename == f"copie-mirec-{pid}.json", download.suggested_filename
        copy = json.loads(Path(download.path()).read_text(encoding="utf-8"))
        assert set(copy["parts"]) == {"beneficiary", "convention", "matching"}
        assert copy["beneficiary_id"] == pid and copy["made_by"] == "dora@mirec"
        mine = copy["parts"]["beneficiary"]
        assert mine["file"]["last_name"] == person["last_name"]
        assert [n["text"] for n in mine["notes"]] == [NOTE]
        assert mine["audit"][-1]["action"] == "beneficiary.subject_access"
        assert copy["parts"]["matching"]["candidate"]["beneficiary_id"] == pid
        assert copy["parts"]["convention"] == {"internships": [], "trainee_records": []}
    finally:
        director.close()

    officer = Visitor(front, chromium)
    page = officer.page
    try:
        officer.sign_in("mirec", "diane")
        officer.go(f"/protection-des-donnees?subject={pid}")
        page.get_by_role("link", name=re.compile("Copie de tout ce que la Mission conserve")).click()
        expect(page).to_have_url(re.compile(rf"/beneficiaires/{pid}/copie$"))
        officer.audit()
        expect(page.locator("main")).to_contain_text(NOTE)
        # Both copies are in the log, under who made them.
        officer.go(f"/protection-des-donnees?subject={pid}")
        expect(page.locator("main table")).to_contain_text("diane@mirec")
    finally:
        officer.close()

    counsellor = Visitor(front, chromium)
    page = counsellor.page
    try:
        counsellor.sign_in("mirec", "anne")
        counsellor.go(f"/beneficiaires/{pid}")
        expect(page.get_by_role("link", name="Copie des données (RGPD, art. 15)")).to_have_count(0)
        assert page.goto(front.url + f"/beneficiaires/{pid}/copie").status == 403
        assert page.request.get(front.url + f"/beneficiaires/{pid}/copie.json").status == 403
    finally:
        counsellor.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], {"a_persons_copy": a_persons_copy}))
