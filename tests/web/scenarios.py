"""The browser scenarios of the front office, each run in a process of its own by ``test_front_office.py``.

Playwright's synchronous API does not run under eventlet's monkey-patching,
which the test suite's root conftest applies to the whole pytest process
(Playwright's driver pipe is read by a patched selector that stops being
served: navigations hang). So each scenario runs here, in a plain
interpreter: ``python -m tests.web.scenarios NAME WEB_URL GATEWAY_URL``
exits 0 when every assertion held, 1 with the traceback otherwise. Each page a
scenario reaches is checked with axe-core (no serious or critical violation).
"""

from __future__ import annotations

import random
import re
import sys
import traceback
from datetime import date, timedelta
from types import SimpleNamespace

import requests
from playwright.sync_api import expect

from gateway.auth import mint
from runtime.demo import DemoFactory
from tests.harness import wait_until
from tests.web.browser import axe_violations, launch_chromium

# A page after a post under a loaded CI machine can take longer than expect's default 5 s: as long as the
# browser context's own actions may (Visitor), every scenario module importing this one included.
expect.set_options(timeout=15_000)

WALL = "900001"  # "Monter un mur en blocs", of the demo taxonomy's F1703


class Visitor:
    """One person at the keyboard: a browser context of their own, and axe after every page they reach."""

    def __init__(self, front, chromium, width: int = 1280):
        self.front = front
        self.context = chromium.new_context(viewport={"width": width, "height": 900}, locale="fr-BE")
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.audited: list[str] = []

    def audit(self):
        self.page.wait_for_load_state("load")
        violations = axe_violations(self.page)
        assert not violations, f"{self.page.url}: {violations}"
        self.audited.append(self.page.url)

    def go(self, path: str):
        self.page.goto(self.front.url + path)
        self.audit()

    def sign_in(self, mission: str, login: str):
        self.page.goto(self.front.url + "/")
        expect(self.page).to_have_url(re.compile(r"/connexion\?next="))
        self.audit()
        self.choose(mission, login)
        self.audit()

    def choose(self, mission: str, login: str):
        """On the development sign-in page: open the Mission's list and pick the person."""
        details = self.page.locator("details.mission", has=self.page.locator(f"[data-user='{login}@{mission}']"))
        if details.get_attribute("open") is None:
            details.locator("summary").click()
        self.page.locator(f"[data-user='{login}@{mission}']").click()

    def close(self):
        self.context.close()


def api(front, mission: str, role: str, method: str, path: str, body=None, sub: str | None = None):
    token = mint(sub or f"seed-{role}", mission, [role])
    reply = requests.request(
        method,
        f"{front.gateway_url}/missions/{mission}{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    assert reply.status_code < 300, (path, reply.status_code, reply.text)
    return reply.json()


def fresh_seed() -> int:
    # Each run its own people and employers: no clash with what an earlier test wrote on the same platform.
    return random.randrange(10**6)


def open_vacancy(front, mission="mirec", title=None):
    title = title or f"Maçon {fresh_seed()}"
    employer = api(
        front, mission, "employer_relations", "POST", "/employers", DemoFactory(seed=fresh_seed()).employer("50000")
    )
    vacancy = api(
        front,
        mission,
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
            "competences": [{"code": WALL, "level": 2, "essential": True}],
        },
    )
    api(front, mission, "employer_relations", "POST", f"/vacancies/{vacancy['id']}/open")
    return employer, vacancy


def counsellors_day(front, chromium):
    employer, vacancy = open_vacancy(front)
    person = DemoFactory(seed=fresh_seed()).beneficiary("50000")
    registered = date.today() - timedelta(days=300)
    you = Visitor(front, chromium)
    page = you.page
    try:
        you.sign_in("mirec", "anne")
        expect(page).to_have_url(re.compile(r"/beneficiaires$"))
        expect(page.locator("h1")).to_have_text("Mon portefeuille")
        assert page.locator("html").get_attribute("lang") == "fr"

        # Intake, with one wrong national number, corrected.
        page.get_by_role("link", name="Accueillir une personne").click()
        you.audit()
        wrong = person["niss"][:-1] + str((int(person["niss"][-1]) + 1) % 10)
        page.get_by_label("Numéro de registre national ou BIS").fill(wrong)
        expect(page.locator("#niss-check")).to_contain_text("ni un numéro BIS valide")  # checked as typed (htmx)
        page.get_by_label("Prénom").fill(person["first_name"])
        page.get_by_label("Nom", exact=True).fill(person["last_name"])
        page.get_by_label("Date de naissance").fill(person["birth_date"])
        page.get_by_label(
            "Homme" if person["gender"] == "M" else "Femme" if person["gender"] == "F" else "X (autre)"
        ).check()
        page.get_by_label("Commune de résidence").select_option("52011")
        page.get_by_label("Date d'accueil").fill(registered.isoformat())
        page.get_by_label("Chômage de longue durée", exact=True).check()
        page.get_by_label("Justificatif : Chômage de longue durée").fill("Attestation Forem")
        page.get_by_role("button", name="Ouvrir le dossier").click()
        expect(page).to_have_title(re.compile(r"^Erreur : "))
        summary = page.locator("[data-error-summary]")
        expect(summary).to_be_focused()
        expect(
            summary.get_by_role(
                "link", name="Ce numéro n'est ni un numéro de registre national ni un numéro BIS valide."
            )
        ).to_have_attribute("href", "#f-niss")
        expect(page.get_by_label("Prénom")).to_have_value(person["first_name"])  # what was typed is kept
        you.audit()
        born = date.fromisoformat(person["birth_date"])  # the same person's BIS number is recognised too
        bis = f"{born:%y}{born.month + 20:02d}{born:%d}{person['niss'][6:9]}"
        check = 97 - int(("2" if born.year >= 2000 else "") + bis) % 97
        page.get_by_label("Numéro de registre national ou BIS").fill(f"{bis}{check:02d}")
        expect(page.locator("#niss-check")).to_contain_text("Numéro BIS valide")
        page.get_by_label("Numéro de registre national ou BIS").fill(person["niss"])
        expect(page.locator("#niss-check")).to_contain_text("Numéro de registre national valide")
        page.get_by_role("button", name="Ouvrir le dossier").click()
        expect(page.locator("h1")).to_have_text(f"{person['first_name']} {person['last_name']}")
        expect(page.get_by_role("status")).to_contain_text("Dossier ouvert")
        expect(page.locator("section", has=page.locator("#identity"))).to_contain_text("Numéro de registre national")
        file_url = page.url
        you.audit()

        # Assessment: the occupation found by job title, then the plan from its gaps.
        page.get_by_role("link", name="Évaluer les compétences").click()
        page.get_by_label("Métier visé : cherchez par intitulé").fill("aide maçon")
        page.get_by_role("link", name=re.compile(r"\(F1703\)")).first.click()
        you.audit()
        page.get_by_role("checkbox", name="Monter un mur en blocs").check()
        page.get_by_label("Niveau : Monter un mur en blocs").select_option("3")
        page.get_by_role("checkbox", name="Préparer un mortier ou un béton").check()
        page.get_by_role("button", name="Enregistrer l'évaluation").click()
        expect(page.locator("h1")).to_have_text("Plan d'insertion")
        expect(page.get_by_role("checkbox", name="Lire un plan de construction")).to_be_checked()  # a gap
        expect(page.get_by_role("checkbox", name="Monter un mur en blocs")).to_have_count(0)  # acquired: no gap
        you.audit()
        page.get_by_label("Mobilité (km)").fill("40")
        page.get_by_label("Le plan est convenu avec la personne").check()
        page.get_by_role("button", name="Enregistrer le plan").click()
        expect(page.get_by_role("status")).to_contain_text("Plan d'insertion convenu (version 1)")

        # A stage move with its reason, and a note.
        page.get_by_role("link", name="Changer d'étape").click()
        page.get_by_label("Formation", exact=True).check()
        page.get_by_label("Pourquoi ce changement").fill("Projet confirmé")
        you.audit()
        page.get_by_role("button", name="Changer d'étape").click()
        expect(page.locator(".timeline")).to_contain_text("Projet confirmé")
        page.get_by_role("link", name="Écrire une note sociale").click()
        page.get_by_label("Note").fill("Entretien d'accueil, situation stable")
        you.audit()
        page.get_by_role("button", name="Enregistrer la note").click()
        expect(page.locator("#notes")).to_contain_text("Entretien d'accueil, situation stable")

        # Matching: the vacancy ranked with its explanation, proposed, and hired.
        def ranked():
            page.goto(file_url)
            return page.locator(".card", has_text=vacancy["title"]).count() > 0

        wait_until(ranked, timeout=40, interval=1, what="the vacancy ranked for the person")
        card = page.locator(".card", has_text=vacancy["title"])
        expect(card.locator(".why-yes")).to_contain_text("Monter un mur en blocs")
        you.audit()
        card.get_by_role("button", name=re.compile("Proposer")).click()
        for step in ("présentée", "entretien", "engagé·e"):
            page.get_by_role("button", name=step, exact=True).click()
            expect(page.get_by_role("status")).to_contain_text(step)
        you.audit()

        # First contract (prefilled from the hire), six-month check, exit.
        page.get_by_role("link", name=re.compile("Enregistrer le premier contrat chez")).click()
        expect(page.get_by_label("Employeur")).to_have_value(employer["id"])
        page.get_by_label("Signé le").fill((registered + timedelta(days=90)).isoformat())
        page.get_by_label("Heures par semaine").fill("38")
        you.audit()
        page.get_by_role("button", name="Enregistrer le premier contrat").click()
        expect(page.get_by_role("status")).to_contain_text("Premier contrat enregistré")
        page.get_by_role("link", name="Enregistrer le suivi à six mois").click()
        page.get_by_label("Toujours en emploi").check()
        page.get_by_label("Source de l'information").select_option("employer")
        you.audit()
        page.get_by_role("button", name="Enregistrer le suivi").click()
        expect(page.locator("section:has(#contrat)")).to_contain_text("toujours en emploi")
        page.get_by_role("link", name="Enregistrer la sortie").click()
        page.get_by_label("Raison de la sortie").select_option("durable_employment")
        you.audit()
        page.get_by_role("button", name="Confirmer la sortie").click()
        expect(page.locator(".tags")).to_contain_text("sorti·e")
        expect(page.get_by_role("link", name="Changer d'étape")).to_have_count(0)  # a closed file moves no more
        you.audit()

        # Months later the person comes back. Intake of the same number points to the closed file, to re-open.
        you.go("/beneficiaires/nouveau")
        page.get_by_label("Numéro de registre national ou BIS").fill(person["niss"])
        page.get_by_label("Prénom").fill(person["first_name"])
        page.get_by_label("Nom", exact=True).fill(person["last_name"])
        page.get_by_label("Date de naissance").fill(person["birth_date"])
        page.get_by_label(
            "Homme" if person["gender"] == "M" else "Femme" if person["gender"] == "F" else "X (autre)"
        ).check()
        page.get_by_label("Commune de résidence").select_option("52011")
        page.get_by_role("button", name="Ouvrir le dossier").click()
        expect(page).to_have_title(re.compile(r"^Erreur : "))
        expect(page.locator("[data-error-summary]")).to_contain_text("rouvrez-le (nouvel épisode)")
        existing = "/" + file_url.split("/", 3)[3]  # the file's path, as the page links it
        expect(page.get_by_role("link", name="Voir le dossier existant")).to_have_attribute("href", existing)
        you.audit()
        # Re-opened from there: a new episode on the same file, the first one kept with its dates and outcome.
        page.get_by_role("link", name="Rouvrir le dossier (nouvel épisode)").click()
        page.get_by_label("Envoyé·e par").select_option("cpas")
        page.get_by_label("Pourquoi la personne revient").fill("A perdu son emploi après huit mois")
        you.audit()
        page.get_by_role("button", name="Rouvrir le dossier").click()
        expect(page.get_by_role("status")).to_contain_text("Dossier rouvert : épisode 2")
        episodes = page.locator("section", has=page.locator("#episodes"))
        expect(episodes).to_contain_text("Épisode 2 depuis le")
        expect(episodes).to_contain_text("Épisode 1, du " + registered.strftime("%d/%m/%Y"))
        expect(episodes).to_contain_text("Sortie (Emploi durable)")
        expect(page.locator(".tags")).to_contain_text("Accueil")
        expect(page.get_by_role("link", name="Changer d'étape")).to_have_count(1)  # the new episode moves again
        expect(page.get_by_role("link", name="Rouvrir le dossier (nouvel épisode)")).to_have_count(0)
        you.audit()
    finally:
        you.close()


def new_person(front, mission: str, counsellor_plan: bool = False, sub: str | None = None, **fields) -> dict:
    """A person opened through the gateway (as a counsellor: ``sub``, whose caseload it joins), assessed and
    planned for masonry when asked."""
    person = api(
        front,
        mission,
        "counsellor",
        "POST",
        "/beneficiaries",
        dict(DemoFactory(seed=fresh_seed()).beneficiary("50000"), municipality="52011", **fields),
        sub=sub,
    )
    if counsellor_plan:
        api(
            front,
            mission,
            "counsellor",
            "POST",
            f"/beneficiaries/{person['id']}/assessments",
            {"competences": [{"code": WALL, "level": 3, "kind": "technical", "source": "work"}]},
            sub=sub,
        )
        api(
            front,
            mission,
            "counsellor",
            "POST",
            f"/beneficiaries/{person['id']}/plan",
            {
                "target_occupations": ["F1703"],
                "actions": [{"kind": "job_search", "description": "Chantiers"}],
                "contract_wishes": ["permanent"],
                "mobility_km": 50,
                "agreed_with_person": True,
            },
            sub=sub,
        )
    return person


def the_wall_between_missions(front, chromium):
    """A counsellor of MIRENA sees nothing of MIREC: not in the caseload, and a MIREC address typed by hand
    answers the gateway's 404 page. Also: an expired session comes back to the same page after sign-in, and a
    double click on a form writes one record."""
    theirs = new_person(front, "mirec")
    ours = new_person(front, "mirena")
    employer, vacancy = open_vacancy(front, "mirec")
    you = Visitor(front, chromium)
    page = you.page
    try:
        you.sign_in("mirena", "anne")
        for someone, shown in ((ours, True), (theirs, False)):
            page.goto(front.url + "/recherche")
            page.get_by_label("Nom ou prénom").fill(f"{someone['first_name']} {someone['last_name']}")
            page.get_by_role("button", name="Rechercher", exact=True).click()
            expect(page.locator("#results h2")).to_contain_text("trouvée(s)")
            row = page.locator("#results", has_text=f"{someone['last_name']}, {someone['first_name']}")
            expect(row).to_have_count(1 if shown else 0)
            you.audit()
        for path in (
            f"/beneficiaires/{theirs['id']}",
            f"/beneficiaires/{theirs['id']}/evaluation",
            f"/entreprises/{employer['id']}",
            f"/offres/{vacancy['id']}",
        ):
            reply = page.goto(front.url + path)
            assert reply.status == 404, (path, reply.status)
            expect(page.locator("h1")).to_have_text("Page introuvable")
            expect(page.locator("main")).not_to_contain_text(theirs["last_name"])
            you.audit()

        # Session expiry: the cookie gone (as after the idle timeout), the file asks for sign-in and comes back.
        mine = f"/beneficiaires/{ours['id']}"
        you.context.clear_cookies()
        page.goto(front.url + mine)
        expect(page).to_have_url(re.compile(r"/connexion\?next=%2Fbeneficiaires%2F"))
        you.choose("mirena", "anne")
        expect(page).to_have_url(front.url + mine)

        # A double click writes once: the same form key posted twice.
        page.get_by_role("link", name="Écrire une note sociale").click()
        page.get_by_label("Note").fill("Rendez-vous pris au CPAS, à confirmer")
        page.get_by_role("button", name="Enregistrer la note").dblclick()
        expect(page.locator("#notes")).to_contain_text("Rendez-vous pris au CPAS")
        expect(page.locator("#notes li", has_text="Rendez-vous pris au CPAS")).to_have_count(1)
        notes = api(front, "mirena", "counsellor", "GET", f"/beneficiaries/{ours['id']}/notes/social")
        assert [n["text"] for n in notes].count("Rendez-vous pris au CPAS, à confirmer") == 1

        # A form posted without its CSRF token is refused, and nothing is written.
        answer = page.request.post(
            front.url + f"/beneficiaires/{ours['id']}/notes/social", form={"text": "sans jeton", "once": "x"}
        )
        assert answer.status == 400
        notes = api(front, "mirena", "counsellor", "GET", f"/beneficiaries/{ours['id']}/notes/social")
        assert "sans jeton" not in [n["text"] for n in notes]

        # The access log is the data-protection officer's page alone: absent from the counsellor's menu, refused.
        expect(page.get_by_role("link", name="Journal des accès")).to_have_count(0)
        assert page.goto(front.url + "/protection-des-donnees").status == 403
    finally:
        you.close()

    # MIRENA's data-protection officer reads who opened the file, by its reference, and nothing of MIREC's.
    officer = Visitor(front, chromium)
    page = officer.page
    try:
        officer.sign_in("mirena", "diane")
        expect(page).to_have_url(re.compile(r"/protection-des-donnees$"))
        page.get_by_label("Référence du dossier").fill(ours["id"])
        page.get_by_role("button", name="Filtrer").click()
        officer.audit()
        log = page.locator("main table")
        expect(log).to_contain_text("anne@mirena")
        expect(log).to_contain_text("Consultation du dossier")
        expect(log).to_contain_text("Note sociale écrite")
        expect(page.locator("main")).not_to_contain_text(ours["last_name"])  # references only
        page.goto(front.url + f"/protection-des-donnees?subject={theirs['id']}")
        expect(page.locator("main")).to_contain_text("Aucune entrée pour ces critères.")
        page.goto(front.url + "/protection-des-donnees?from=2026-13-01")
        expect(page.locator(".has-error .error-message")).to_contain_text("date")
        officer.audit()
        assert page.goto(front.url + f"/beneficiaires/{ours['id']}").status in (403, 404)
    finally:
        officer.close()


def the_employer_relations_agents_day(front, chromium):
    """Employer, contact, prospection visit with its next action, a vacancy with required competences found by
    job title, opened; ranked candidates with their explanations; a proposal through its states; at 360 px."""
    candidate = new_person(front, "mirec", counsellor_plan=True)
    you = Visitor(front, chromium, width=360)
    page = you.page
    company = DemoFactory(seed=fresh_seed()).employer("50000")
    try:
        you.sign_in("mirec", "eric")
        expect(page).to_have_url(re.compile(r"/entreprises$"))
        expect(page.get_by_role("link", name="Mon portefeuille")).to_have_count(0)  # not this role's
        page.get_by_role("link", name="Enregistrer une entreprise").click()
        page.get_by_label("Numéro d'entreprise (BCE)").fill(company["enterprise_number"])
        page.get_by_label("Dénomination").fill(company["name"])
        page.get_by_label("Code d'activité NACE-BEL").fill(company["nace"])
        page.get_by_label("Commune du siège d'exploitation").select_option("52011")
        you.audit()
        page.get_by_role("button", name="Enregistrer l'entreprise").click()
        expect(page.locator("h1")).to_have_text(company["name"])
        you.audit()

        page.get_by_role("link", name="Ajouter un contact").click()
        page.get_by_label("Nom").fill("Julie Lambert")
        page.get_by_label("Fonction").fill("Responsable RH")
        page.get_by_label("Téléphone").fill("071 12 34 56")
        page.get_by_role("button", name="Ajouter le contact").click()
        expect(page.locator("main")).to_contain_text("Julie Lambert")

        page.get_by_role("link", name="Noter une prospection").click()
        page.get_by_label("Compte rendu").fill("Visite du chantier, besoin de deux maçons au printemps")
        page.get_by_label("Prochaine action (facultatif)", exact=True).fill("Envoyer le référentiel métier")
        page.get_by_label("Échéance de la prochaine action").fill((date.today() + timedelta(days=7)).isoformat())
        you.audit()
        page.get_by_role("button", name="Enregistrer la prospection").click()
        expect(page.locator(".timeline")).to_contain_text("Envoyer le référentiel métier")
        you.audit()

        page.get_by_role("link", name="Créer une offre").click()
        page.get_by_label("Intitulé du poste").fill("maçon")
        page.get_by_role("button", name="Chercher le métier").click()
        page.get_by_role("link", name=re.compile(r"\(F1703\)")).first.click()
        title = f"Maçon coffreur {fresh_seed()}"
        page.get_by_label("Intitulé du poste").fill(title)
        page.get_by_label("Description du poste").fill("Gros oeuvre, chantiers de la région")
        page.get_by_label("Type de contrat").select_option("permanent")
        page.get_by_label("Commune du lieu de travail").select_option("52011")
        page.get_by_role("checkbox", name="Monter un mur en blocs", exact=True).check()
        page.get_by_role("checkbox", name="Essentielle : Monter un mur en blocs").check()
        you.audit()
        page.get_by_role("button", name="Créer l'offre en brouillon").click()
        expect(page.locator("h1")).to_have_text(title)
        page.get_by_role("button", name="Ouvrir l'offre").click()
        expect(page.get_by_role("status")).to_contain_text("Offre ouverte")
        vacancy_url = page.url

        def ranked():
            page.goto(vacancy_url)
            return page.locator(".card").count() > 0

        wait_until(ranked, timeout=40, interval=1, what="candidates ranked for the vacancy")
        card = page.locator(".card").first
        expect(card.locator(".why-yes")).to_contain_text("Monter un mur en blocs")  # the explanation
        expect(page.locator("main")).not_to_contain_text(candidate["last_name"])  # no file access: no names
        you.audit()
        card.get_by_role("button", name=re.compile("Proposer")).click()
        expect(page.get_by_role("status")).to_contain_text("Proposition faite")
        page.get_by_role("button", name="présentée", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text("présentée")
        page.get_by_role("button", name="refusée", exact=True).click()  # a refusal without its reason
        expect(page.get_by_role("status")).to_contain_text("Un refus se motive")
        page.get_by_label("Raison (pour un refus ou un retrait)").fill("Pas de permis de conduire")
        page.get_by_role("button", name="refusée", exact=True).click()
        expect(page.locator("#propositions ~ table")).to_contain_text("refusée")
        you.audit()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, f"the page scrolls sideways at 360 px ({width} px)"
    finally:
        you.close()


def a_conventions_signatures(front, chromium):
    """A project lead drafts a training project (two conventions), makes each ready to sign, records the
    signatures in order, activates them, enrols a trainee after a confirmed internship, and holds a committee."""
    employer, vacancy = open_vacancy(front, "mirec")
    trainee = new_person(front, "mirec")
    you = Visitor(front, chromium)
    page = you.page
    start = date.today() - timedelta(days=30)
    try:
        you.sign_in("mirec", "paula")
        page.get_by_role("link", name="Projets et conventions").click()
        you.audit()
        page.get_by_role("link", name="Créer un projet de formation").click()
        title = f"Maçons pour Gosselies {fresh_seed()}"
        page.get_by_label("Intitulé du projet").fill(title)
        page.get_by_label("Offre (poste vacant) à laquelle il répond").select_option(vacancy["id"])
        page.get_by_label("Intitulé du poste").fill("Maçon")
        page.get_by_label("Opérateur de formation").fill("Construform")
        page.get_by_label("Numéro BCE de l'opérateur").fill("0403.170.701")
        page.get_by_label("Référentiel de formation").fill("Maçon (SFMQ)")
        page.get_by_label("Cahier des charges").fill("Gros oeuvre")
        page.get_by_label("Début de la formation").fill(start.isoformat())
        you.audit()
        page.get_by_role("button", name="Créer le projet").click()
        expect(page.get_by_label("Fin de la formation")).to_have_attribute("aria-invalid", "true")  # forgotten
        expect(page).to_have_title(re.compile("^Erreur : "))
        you.audit()
        page.get_by_label("Fin de la formation").fill((start + timedelta(days=120)).isoformat())
        page.get_by_role("button", name="Créer le projet").click()
        expect(page.locator("h1")).to_have_text(title)
        project_url = page.url
        you.audit()

        for convention in ("Convention avec l'employeur", "Convention avec l'opérateur de formation"):
            page.goto(project_url)
            page.get_by_role("link", name=convention).click()
            page.get_by_role("button", name="Prête à signer").click()
            expect(page.locator(".tags")).to_contain_text("prête à signer")
            you.audit()
            steps = page.locator("ol.steps > li")
            count = steps.count()
            assert count == 2
            for i in range(count):
                expect(steps.nth(i)).to_contain_text("à signer maintenant")  # the first one still unsigned
                for later in range(i + 1, count):
                    expect(steps.nth(later)).to_contain_text("en attente")
                page.get_by_label("Nom du ou de la signataire").fill(f"Signataire {i + 1}")
                page.get_by_role("button", name="Enregistrer la signature").click()
                expect(steps.nth(i)).to_contain_text(f"signée par Signataire {i + 1}")
            expect(page.locator(".tags")).to_contain_text("signée")
            page.get_by_role("button", name="Activer la convention").click()
            expect(page.locator(".tags")).to_contain_text("active")
            you.audit()

        page.goto(project_url)
        page.get_by_role("link", name="Inscrire un·e stagiaire").click()
        page.get_by_label("Personne").select_option(trainee["id"])
        page.get_by_label("Début du stage de confirmation").fill((start - timedelta(days=15)).isoformat())
        page.get_by_label("Fin du stage de confirmation").fill((start - timedelta(days=5)).isoformat())
        page.get_by_label("Début de la formation").fill(start.isoformat())
        page.get_by_label("Fin prévue").fill((start + timedelta(days=110)).isoformat())
        page.get_by_label("Tuteur·rice en entreprise").fill("Jean Lemaire")
        you.audit()
        page.get_by_role("button", name="Inscrire").click()
        expect(page.get_by_role("status")).to_contain_text("inscription enregistrés")
        expect(page.locator("main")).to_contain_text(trainee["last_name"])
        # The trainee's file shows the internship and the training, each linked to its project.
        page.goto(front.url + f"/beneficiaires/{trainee['id']}")
        trainings = page.locator("section[aria-labelledby='formations']")
        expect(trainings).to_contain_text("Stage de confirmation")
        expect(trainings).to_contain_text("projet confirmé")
        expect(trainings).to_contain_text("en formation")
        expect(trainings).to_contain_text("Jean Lemaire")
        you.audit()
        page.goto(project_url)
        page.get_by_role("link", name="Enregistrer un comité").click()
        page.get_by_label("Comité d'accompagnement").check()
        for party in ("La Mission", "L'employeur"):
            page.get_by_label(party, exact=True).check()
        you.audit()
        page.get_by_role("button", name="Enregistrer le comité").click()
        expect(page.locator("main")).to_contain_text("Comité d'accompagnement")
        you.audit()
    finally:
        you.close()


def the_directors_figures(front, chromium):
    """The director sees the Mission's figures and submits the period; approving it is someone else's part
    (four eyes): the page offers it to the other director, who approves."""
    period = str(date.today().year)
    you = Visitor(front, chromium)
    page = you.page
    try:
        you.sign_in("mirec", "dora")
        expect(page).to_have_url(re.compile(r"/tableau-de-bord$"))
        expect(page.locator("table").first).to_contain_text("Personnes accompagnées")
        you.audit()
        page.get_by_role("button", name=f"Soumettre la période {period}").click()
        expect(page.get_by_role("status")).to_contain_text(f"Période {period} soumise")
        expect(page.locator("main")).to_contain_text("à approuver par une autre personne")
        expect(page.get_by_role("button", name=re.compile("^Approuver"))).to_have_count(0)
        you.audit()
        page.get_by_role("button", name="Se déconnecter").click()
        expect(page).to_have_url(re.compile("/connexion"))
        you.choose("mirec", "daniel")
        page.goto(front.url + "/tableau-de-bord")
        page.get_by_role("button", name=re.compile(f"^Approuver {period}")).click()
        expect(page.get_by_role("status")).to_contain_text(f"Période {period} approuvée")
        expect(page.locator("main table").last).to_contain_text("approuvée")
        you.audit()
        # A counsellor reads figures but neither submits nor approves: nothing of that on the page.
        page.get_by_role("button", name="Se déconnecter").click()
        you.choose("mirec", "anne")
        page.goto(front.url + "/tableau-de-bord")
        expect(page.get_by_role("button", name=re.compile("^Soumettre"))).to_have_count(0)
        you.audit()
    finally:
        you.close()


def finding_and_what_is_due(front, chromium):
    """The counsellor's caseload by stage with each person's next due item, a search by a name typed without
    accents and by a national number with dots, a wrong number refused beside its field, what is due overdue
    first, a person's assessments in the file; then the employer-relations agent at 360 px: an employer found
    by a name typed without accents and the prospection action due, and no page about people."""
    tag = fresh_seed()
    anne, eric = "anne@mirec", "eric@mirec"

    def as_anne(method, path, body=None):
        return api(front, "mirec", "counsellor", method, path, body, sub=anne)

    employer = api(
        front,
        "mirec",
        "employer_relations",
        "POST",
        "/employers",
        dict(DemoFactory(seed=tag).employer("50000"), name=f"Pâtisserie Lœwe {tag}"),
        sub=eric,
    )
    eloise = as_anne(
        "POST",
        "/beneficiaries",
        dict(
            DemoFactory(seed=tag).beneficiary("50000", registered_on=date.today() - timedelta(days=300)),
            first_name="Éloïse",
            last_name=f"Van den Bœuf {tag}",
        ),
    )
    marc_body = dict(DemoFactory(seed=tag + 1).beneficiary("50000"), first_name="Marc", last_name=f"Dupont {tag}")
    marc = as_anne("POST", "/beneficiaries", marc_body)
    today = date.today()
    as_anne(
        "POST",
        f"/beneficiaries/{eloise['id']}/outcomes/contract",
        {
            "signed_on": (today - timedelta(days=200)).isoformat(),
            "employer_id": employer["id"],
            "contract_type": "permanent",
            "hours_per_week": 38,
        },
    )
    as_anne(
        "POST",
        f"/beneficiaries/{marc['id']}/assessments",
        {"competences": [{"code": WALL, "level": 3, "kind": "technical", "source": "work"}]},
    )
    as_anne(
        "POST",
        f"/beneficiaries/{marc['id']}/plan",
        {
            "target_occupations": ["F1703"],
            "actions": [{"kind": "job_search", "description": "CV", "due": (today + timedelta(days=5)).isoformat()}],
            "contract_wishes": ["permanent"],
            "mobility_km": 30,
            "agreed_with_person": True,
        },
    )
    api(
        front,
        "mirec",
        "employer_relations",
        "POST",
        f"/employers/{employer['id']}/visits",
        {
            "kind": "call",
            "on": (today - timedelta(days=6)).isoformat(),
            "summary": "Besoin de deux vendeurs",
            "next_action": f"Rappeler la gérante {tag}",
            "next_action_due": (today - timedelta(days=1)).isoformat(),
        },
        sub=eric,
    )
    you = Visitor(front, chromium)
    page = you.page
    try:
        you.sign_in("mirec", "anne")
        expect(page.locator("h1")).to_have_text("Mon portefeuille")
        stages = page.get_by_role("navigation", name="Personnes par étape")
        expect(stages.get_by_role("link", name=re.compile(r"^Accueil \d+"))).to_be_visible()
        row = page.locator("tr", has_text=f"Van den Bœuf {tag}, Éloïse")
        if row.count() == 0:  # more people than one page: the next due item is checked on the person's stage
            page.get_by_role("link", name=re.compile(r"^Accueil \d+")).click()
        expect(row).to_contain_text("Suivi à six mois")
        expect(row).to_contain_text("en retard")
        you.audit()

        page.get_by_role("link", name="Rechercher", exact=True).click()
        page.get_by_label("Nom ou prénom").fill(f"eloise boeuf {tag}")
        page.get_by_role("button", name="Rechercher", exact=True).click()
        expect(page.locator("#results h2")).to_have_text("1 personne(s) trouvée(s)")
        expect(page.locator("#results")).to_contain_text(f"Van den Bœuf {tag}, Éloïse")
        you.audit()
        niss = marc_body["niss"]
        page.get_by_label("Nom ou prénom").fill("")
        page.get_by_label("Numéro de registre national ou BIS").fill(
            f"{niss[:2]}.{niss[2:4]}.{niss[4:6]}-{niss[6:9]}.{niss[9:]}"
        )
        page.get_by_role("button", name="Rechercher", exact=True).click()
        expect(page.locator("#results")).to_contain_text(f"Dupont {tag}, Marc")
        assert niss not in page.url
        page.get_by_label("Numéro de registre national ou BIS").fill("123")
        page.get_by_role("button", name="Rechercher", exact=True).click()
        expect(page).to_have_title(re.compile(r"^Erreur : "))
        expect(page.locator("#f-niss-error")).to_contain_text("Un numéro de registre national ou BIS a 11 chiffres.")
        expect(page.get_by_label("Numéro de registre national ou BIS")).to_have_value("123")
        you.audit()

        page.get_by_role("link", name="À faire", exact=True).click()
        rows = page.locator("main table tbody tr")
        expect(rows.filter(has_text=f"Van den Bœuf {tag}")).to_contain_text("en retard")
        expect(rows.filter(has_text=f"Dupont {tag}")).to_contain_text("Plan d'insertion à revoir")
        texts = rows.all_inner_texts()
        first_due = next(i for i, t in enumerate(texts) if "en retard" not in t)
        assert all("en retard" in t for t in texts[:first_due]), "overdue first"
        expect(page.locator("main")).not_to_contain_text(f"Rappeler la gérante {tag}")  # eric's, not hers
        you.audit()
        page.get_by_role("link", name="Toute la Mission").click()
        expect(page.locator("main")).to_contain_text(f"Dupont {tag}")
        expect(page.locator("main")).to_contain_text(f"Rappeler la gérante {tag}")  # she reads employers too
        you.audit()

        rows.filter(has_text=f"Dupont {tag}").get_by_role("link").click()
        evaluations = page.locator("section:has(#evaluations)")
        expect(evaluations).to_contain_text("1 compétence(s) acquise(s)")
        expect(evaluations).to_contain_text("Monter un mur en blocs")
        you.audit()
    finally:
        you.close()

    agent = Visitor(front, chromium, width=360)
    page = agent.page
    try:
        agent.sign_in("mirec", "eric")
        expect(page.get_by_role("link", name="Mon portefeuille")).to_have_count(0)
        expect(page.get_by_role("link", name="Rechercher", exact=True)).to_have_count(0)
        page.get_by_label("Nom de l'entreprise").fill(f"patisserie loewe {tag}")
        page.get_by_role("button", name="Rechercher").click()
        expect(page.locator("main table tbody tr")).to_have_count(1)
        expect(page.locator("main table")).to_contain_text(f"Pâtisserie Lœwe {tag}")
        agent.audit()
        page.get_by_label("Secteur (code NACE-BEL)").fill("bakery")
        page.get_by_role("button", name="Rechercher").click()
        expect(page.locator("#f-nace-error")).to_contain_text("Un code NACE-BEL ou son début")
        agent.audit()
        page.get_by_role("link", name="À faire", exact=True).click()
        expect(page.locator("main")).to_contain_text(f"Rappeler la gérante {tag}")
        expect(page.locator("main")).not_to_contain_text("Suivi à six mois")
        agent.audit()
    finally:
        agent.close()


# -- figures: InterMire's analyst and a Mission's director ---------------------------------------------------


def seed_people(front, mission: str, municipalities: list[str], gender: str = "F") -> None:
    """People registered today through the gateway, in the given municipalities (one each)."""
    for town in municipalities:
        body = dict(DemoFactory(seed=fresh_seed()).beneficiary("50000"), municipality=town, gender=gender)
        body["registered_on"] = date.today().isoformat()
        api(front, mission, "counsellor", "POST", "/beneficiaries", body)


def sector_table(front, name: str, period: str, columns: str):
    token = mint("seed-analyst", "intermire", ["intermire_analyst"])
    reply = requests.get(
        f"{front.gateway_url}/intermire/indicators/{name}",
        params={"period": period, "columns": columns},
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    return reply.json() if reply.status_code == 200 else None


def shown_cells(page) -> tuple[set[str], dict[str, str]]:
    """The table's protected cells (their ``row:column`` keys) and the figures it publishes."""
    protected = set(page.locator("td.protected").evaluate_all("els => els.map(e => e.dataset.cell)"))
    published = page.locator("td[data-cell]:not(.protected)").evaluate_all(
        "els => Object.fromEntries(els.map(e => [e.dataset.cell, e.innerText.trim()]))"
    )
    return protected, published


def exported(download, indicator: str, breakdown: str) -> tuple[set[str], list[str]]:
    """An export's protected cells of one table (as ``scope:category`` keys, ``scope:`` for a total) and
    every figure it publishes."""
    import csv

    rows = [r for r in csv.reader(open(download.path(), encoding="utf-8")) if len(r) == 7 and r[0] != "scope"]
    protected = {
        f"{scope}:{category if kind == breakdown else ''}"
        for scope, ind, _, kind, category, value, _ in rows
        if ind == indicator and kind in (breakdown, "total") and value == "c"
    }
    return protected, [r[5] for r in rows]


def assert_no_small_count(values) -> None:
    small = [v for v in values if v.replace("\u202f", "").strip() in ("1", "2", "3", "4")]
    assert not small, f"published counts from 1 to 4: {small}"


def the_analysts_figures(front, chromium):
    """InterMire's analyst: the sector's headline, a table by municipality with a protected cell marked and
    its reason, the table by gender against the CSV export's protected cells, the XLSX without a count from 1
    to 4, and the table at 360 px."""
    import io

    from openpyxl import load_workbook

    year = str(date.today().year)
    # MIRENA: three people in Châtelet and three in Courcelles, municipalities no other scenario uses.
    seed_people(front, "mirena", ["52012"] * 3 + ["52015"] * 3)
    seed_people(front, "mirec", ["52011"] * 3, gender="M")
    wait_until(
        lambda: (
            (t := sector_table(front, "people_accompanied", year, "municipality"))
            and (t["missions"].get("mirena", {}).get("total") or 0) >= 6
            and (t["protected"]["missions"]["mirena"]["cells"].get("52012"))
        ),
        90,
        1,
        "the people to reach InterMire's figures",
    )
    you = Visitor(front, chromium)
    page = you.page
    try:
        you.sign_in("intermire", "ines")
        expect(page).to_have_url(re.compile(r"/intermire$"))
        expect(page.locator("main")).to_contain_text("Personnes accompagnées")
        expect(page.locator("main")).to_contain_text(f"{int(year) - 1} :")  # beside a year earlier
        page.get_by_role("navigation", name="Navigation principale").get_by_role(
            "link", name="Tableaux et graphiques"
        ).click()
        page.get_by_label("Ventilation").select_option("municipality")
        page.get_by_role("button", name="Afficher").click()
        expect(page).to_have_url(re.compile("ventilation=municipality"))
        small = page.locator("td[data-cell='mirena:52012']")
        expect(small).to_have_class(re.compile("protected"))
        expect(small.locator("span[title]")).to_have_attribute("title", re.compile("moins de 5 personnes"))
        expect(page.locator("#legende")).to_contain_text("moins de 5 personnes")
        expect(page.locator("svg[role=img] title").first).to_contain_text("Personnes accompagnées")
        you.audit()
        protected, published = shown_cells(page)
        assert protected and "mirena:52012" in protected
        assert_no_small_count(published.values())

        page.get_by_label("Ventilation").select_option("gender")
        page.get_by_role("button", name="Afficher").click()
        expect(page).to_have_url(re.compile("ventilation=gender"))
        you.audit()
        protected, published = shown_cells(page)
        assert_no_small_count(published.values())
        with page.expect_download() as csv_file:
            page.get_by_role("link", name=re.compile(r"\(CSV\)")).click()
        in_export, figures = exported(csv_file.value, "people_accompanied", "gender")
        assert in_export == protected, (sorted(in_export ^ protected), "page and export disagree")
        assert_no_small_count(figures)
        with page.expect_download() as xlsx_file:
            page.get_by_role("link", name=re.compile(r"\(Excel")).click()
        with open(xlsx_file.value.path(), "rb") as f:  # openpyxl goes by the name's extension; a download has none
            book = load_workbook(io.BytesIO(f.read()), read_only=True)
        figures = []
        for sheet in (book["Indicators"], book["Youth Guarantee"]):  # the Definitions sheet holds no figure
            rows = list(sheet.iter_rows(values_only=True))
            at = rows[0].index("value")
            figures += [row[at] for row in rows[1:]]
        assert figures and "c" in figures and not [v for v in figures if isinstance(v, int) and 1 <= v <= 4]
    finally:
        you.close()
    phone = Visitor(front, chromium, width=360)
    try:
        phone.sign_in("intermire", "ines")
        phone.go(f"/intermire/tableaux?indicateur=people_accompanied&ventilation=municipality&periode={year}")
        expect(phone.page.locator("td.protected").first).to_be_visible()
    finally:
        phone.close()


def the_directors_tables(front, chromium):
    """A Mission's director: an indicator by gender as published, its protected cells the same as in the
    Mission's CSV export."""
    year = str(date.today().year)
    seed_people(front, "mirena", ["52021"] * 5)  # Fleurus: enough for the year to be publishable
    wait_until(
        lambda: api(front, "mirena", "director", "GET", f"/indicators/people_accompanied?period={year}")["total"] >= 5,
        60,
        0.5,
        "the Mission's figures",
    )
    you = Visitor(front, chromium)
    page = you.page
    try:
        you.sign_in("mirena", "dora")
        page.get_by_role("link", name="Tableaux et graphiques").click()
        page.get_by_label("Ventilation").select_option("gender")
        page.get_by_label("Période").fill(year)
        page.get_by_role("button", name="Afficher").click()
        expect(page.locator("table.figures caption")).to_contain_text("par genre")
        you.audit()
        protected, published = shown_cells(page)
        assert_no_small_count(published.values())
        with page.expect_download() as csv_file:
            page.get_by_role("link", name=re.compile(r"\(CSV\)")).click()
        in_export, figures = exported(csv_file.value, "people_accompanied", "gender")
        assert {"mirena" + key for key in protected} == in_export, "page and export disagree"
        assert_no_small_count(figures)
    finally:
        you.close()


def cross_tables_and_funders(front, chromium):
    """Two breakdowns, the funders' tables and the board's PDF: InterMire's municipality × quarter table with
    protected cells marked, its margin row published exactly as the one-breakdown table by quarter, no count
    from 1 to 4; the Youth Guarantee and ESF+ tables; the PDF's text with the protected mark and no count from 1
    to 4; the director's own cross table and funders' page. axe-core on every page."""
    import io

    from pypdf import PdfReader

    year = str(date.today().year)
    quarter = f"Q{(date.today().month - 1) // 3 + 1}"
    seed_people(front, "mirena", ["52018"] * 3 + ["52025"] * 3)  # Farciennes, Gerpinnes: no other scenario's
    wait_until(
        lambda: (
            (t := sector_table(front, "people_accompanied", year, "quarter"))
            and (t["missions"].get("mirena", {}).get("total") or 0) >= 6
        ),
        90,
        1,
        "the people to reach InterMire's figures",
    )
    you = Visitor(front, chromium)
    page = you.page
    try:
        you.sign_in("intermire", "ines")
        you.go(f"/intermire/tableaux?indicateur=people_accompanied&periode={year}")
        page.get_by_label("Ventilation").select_option("quarter")
        page.get_by_label("Lignes").select_option("municipality")
        page.get_by_role("button", name="Afficher").click()
        expect(page).to_have_url(re.compile("lignes=municipality"))
        expect(page.locator("table.figures caption")).to_contain_text("par trimestre et par commune")
        you.audit()
        protected, published = shown_cells(page)
        assert protected, "a municipality table of a few hundred people has small cells"
        assert_no_small_count(published.values())
        # the margin row is the one-breakdown table by quarter, as published (its sector row)
        one_way = sector_table(front, "people_accompanied", year, "quarter")
        hidden_there = {f"total:{q}" for q, why in one_way["protected"]["sector"]["cells"].items() if why}
        assert {k for k in protected if k.startswith("total:") and k != "total:"} == hidden_there
        margin = one_way["sector"]["cells"][quarter]
        if margin is not None:
            assert re.sub(r"\D", "", published[f"total:{quarter}"]) == str(margin)

        page.get_by_role("link", name="Tableaux des financeurs : Garantie Jeunesse et FSE+").click()
        expect(page.locator("h1")).to_contain_text("Tableaux des financeurs")
        expect(page.locator("table[data-table=youth] caption")).to_contain_text("moins de 25 ans")
        expect(page.locator("table[data-table=esf]")).to_contain_text("Personnes accompagnées")
        you.audit()
        shown = page.locator("table.figures td.num:not(.protected)").all_inner_texts()
        assert_no_small_count(shown)

        with page.expect_download() as pdf_file:
            page.get_by_role("link", name=re.compile(r"\(PDF\)")).click()
        with open(pdf_file.value.path(), "rb") as f:
            content = f.read()
        assert content.startswith(b"%PDF-")
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
        assert "secret statistique" in text and "Garantie Jeunesse" in text
        figures = re.findall(r"(?<![\w.\-/])\d{1,3}(?:\u00a0\d{3})*(?![\w\-/])", text)
        assert figures and not [f for f in figures if f in ("1", "2", "3", "4")], "a count from 1 to 4 in the PDF"
        assert re.search(r"(?<!\w)c(?!\w)", text.split("Par Mission")[1].split("Garantie Jeunesse")[0]) or not any(
            one_way["protected"]["missions"][m]["total"] for m in one_way["missions"]
        )
    finally:
        you.close()
    director = Visitor(front, chromium, width=360)
    try:
        director.sign_in("mirena", "dora")
        director.go(
            f"/tableau-de-bord/tableaux?indicateur=people_accompanied&ventilation=gender&lignes=quarter&periode={year}"
        )
        expect(director.page.locator("table.figures caption")).to_contain_text("par genre et par trimestre")
        protected, published = shown_cells(director.page)
        assert_no_small_count(published.values())
        director.go(f"/tableau-de-bord/financeurs?periode={year}")
        expect(director.page.locator("table[data-table=esf]")).to_be_visible()
    finally:
        director.close()


SCENARIOS = {
    "finding_and_what_is_due": finding_and_what_is_due,
    "counsellors_day": counsellors_day,
    "the_wall_between_missions": the_wall_between_missions,
    "the_employer_relations_agents_day": the_employer_relations_agents_day,
    "a_conventions_signatures": a_conventions_signatures,
    "the_directors_figures": the_directors_figures,
    "the_analysts_figures": the_analysts_figures,
    "the_directors_tables": the_directors_tables,
    "cross_tables_and_funders": cross_tables_and_funders,
}


def main(argv: list[str], scenarios: dict | None = None) -> int:
    """Run one scenario (``NAME WEB_URL GATEWAY_URL``) of ``scenarios`` (this module's unless given)."""
    name, web_url, gateway_url = argv
    front = SimpleNamespace(url=web_url, gateway_url=gateway_url)
    playwright, browser = launch_chromium()
    try:
        (scenarios or SCENARIOS)[name](front, browser)
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        browser.close()
        playwright.stop()
    print(f"scenario {name}: every step held")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
