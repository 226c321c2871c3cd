"""The front office in a real browser against a real platform: the counsellor's day end to end, the wall between
Missions, the employer-relations agent's work, a convention's signatures, and the director's figures, and corrections.

One platform (MIREC, MIRENA and InterMire), one gateway and one front office serve the whole module
(``tests/web/browser.py``); the scenarios drive Debian's Chromium from one runner process of their own
(``tests/web/runner.py``; ``tests/web/scenarios.py`` says why not from pytest's), each in browser contexts of its
own, and check every page they visit with axe-core.
"""

import pytest

from tests.web.browser import ScenarioRunner

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def browser(front, tmp_path_factory):
    """One runner (one interpreter, one Chromium) for the module's scenarios (tests/web/runner.py)."""
    runner = ScenarioRunner(front, tmp_path_factory.mktemp("scenarios"))
    try:
        yield runner
    finally:
        runner.stop()


def run(browser, name: str, timeout: float = 240, module: str = "tests.web.scenarios"):
    held, output = browser.run(module, name, timeout)
    assert held, f"scenario {name} failed:\n{output[-6000:]}"
    assert f"scenario {name}: every step held" in output


def test_the_counsellors_day(browser):
    """Sign in, caseload, intake with one wrong national number corrected, assessment found by job title, plan
    from its gaps, a stage move, a note, a matching proposal hired, first contract, six-month check, exit."""
    run(browser, "counsellors_day")


def test_a_counsellor_of_one_mission_sees_nothing_of_another(browser):
    """Not in the caseload, and URL tampering answers the gateway's 404; also session expiry and a double click."""
    run(browser, "the_wall_between_missions")


def test_the_employer_relations_agents_day(browser):
    run(browser, "the_employer_relations_agents_day")


def test_a_conventions_signatures_in_order(browser):
    run(browser, "a_conventions_signatures")


def test_the_directors_figures_and_four_eyes_approval(browser):
    run(browser, "the_directors_figures")


def test_finding_people_and_employers_and_what_is_due(browser):
    """Caseload by stage with next due items, search by name and national number, what is due overdue first,
    a person's assessments; the agent's employer search and prospection actions due at 360 px."""
    run(browser, "finding_and_what_is_due")


def test_the_analysts_sector_figures_with_protected_cells_matching_the_exports(browser):
    run(browser, "the_analysts_figures")


def test_the_directors_tables_match_the_missions_export(browser):
    run(browser, "the_directors_tables")


def test_cross_tables_the_funders_tables_and_the_board_pdf(browser):
    """Municipality × quarter with its margin as the table by quarter, the Youth Guarantee and ESF+ pages, the
    board's PDF without a count from 1 to 4, the director's cross table at 360 px."""
    run(browser, "cross_tables_and_funders")


# Corrections (tests/web/correction_scenarios.py), on the same platform.
def test_a_person_corrected_and_a_stale_edit_refused(browser):
    run(browser, "a_person_corrected_and_a_stale_edit_refused", module="tests.web.correction_scenarios")


def test_an_employer_corrected_and_handed_over(browser):
    """The agent corrects the address (an error beside its field first); the director hands the employer over."""
    run(browser, "an_employer_corrected_and_handed_over", module="tests.web.correction_scenarios")


def test_a_contact_corrected_and_a_stale_edit_refused(browser):
    """The agent corrects a contact's function and phone (an error beside the phone first), reads the change in
    the contact's history, and is told who corrected the contact meanwhile when a colleague got there first."""
    run(browser, "a_contact_corrected_and_a_stale_edit_refused", module="tests.web.correction_scenarios")


def test_a_director_and_the_dpo_make_a_persons_copy_and_a_counsellor_may_not(browser):
    """A person's copy (GDPR art. 15): the director from the file with the JSON download, the DPO from the
    access log, a counsellor refused (tests/web/subject_access_scenario.py)."""
    run(browser, "a_persons_copy", timeout=300, module="tests.web.subject_access_scenario")


def test_a_provisional_identity_completed_and_merged(browser):
    """Intake without a number (a look-alike refused beside the name, then confirmed as another person), the
    identity completed on the file, and a second provisional file merged into the file that holds its number
    (tests/web/identity_scenario.py)."""
    run(browser, "a_provisional_identity_completed_and_merged", module="tests.web.identity_scenario")


def test_a_file_transferred_to_another_mission(browser):
    """« Transférer vers une autre Mission » refused without consent, then asked; MIRENA's director declines
    without a reason (refused), then accepts from « Transferts reçus »; MIREC's file is a closed record."""
    run(browser, "a_file_transferred_to_another_mission", module="tests.web.transfer_scenario")


def test_an_orientation_to_a_partner(browser):
    """« Orienter vers un partenaire » refused for a service withdrawn meanwhile and for sharing without consent,
    then made; its outcome « n'a pas abouti » refused without a reason, then recorded
    (tests/web/orientations_scenario.py)."""
    run(browser, "an_orientation_to_a_partner", module="tests.web.orientations_scenario")


def test_gaps_into_the_plan(browser):
    """« Ajouter les manques au plan » from a ranked vacancy (none ticked refused beside the list, then two gaps,
    one action changed) and from a target occupation (a stale plan version refused, then done on the reloaded
    plan); the file shows the new version's actions with their reasons (tests/web/gaps_scenario.py)."""
    run(browser, "gaps_into_the_plan", module="tests.web.gaps_scenario")


def test_a_partner_meeting(browser):
    """« Réunions partenaires »: a meeting planned from a project's page with two organisations of the partner
    directory (none chosen refused beside the list), its minutes (an attendance missing refused beside it), the
    meeting listed by the project and found by organisation, a correction made stale by a colleague's (409 said
    on the page) then done; a counsellor reads it with no action offered (tests/web/meetings_scenario.py)."""
    run(browser, "a_partner_meeting", module="tests.web.meetings_scenario")


def test_a_partners_referral_accepted_and_followed(browser, front):
    """A partner refers a person from « Mes orientations vers la Mission » (refused without consent, then sent);
    the counsellor accepts it from « Demandes reçues » into the intake pre-filled; the partner reads its status
    (tests/web/referrals_scenario.py). The partner's organisation is written into MIREC's directory first."""
    from datetime import UTC, datetime

    from employer.models import Partner
    from sqlalchemy.orm import Session

    from tests.web.referrals_scenario import PARTNER_ORGANISATION

    engine = front.platform.engine("mirec", "employer")
    try:
        with Session(engine) as s, s.begin():
            if s.get(Partner, PARTNER_ORGANISATION) is None:
                s.add(
                    Partner(
                        id=PARTNER_ORGANISATION,
                        name="CPAS de Charleroi",
                        partner_type="cpas",
                        municipalities=["52011"],
                        contact={},
                        created_at=datetime.now(UTC),
                        created_by="test",
                    )
                )
    finally:
        engine.dispose()
    run(browser, "a_partners_referral_accepted_and_followed", module="tests.web.referrals_scenario")


def test_a_partner_directory_kept_and_searched(browser):
    """« Partenaires »: an organisation added (a wrong BCE number refused beside its field), a service added (no
    need ticked refused beside the list), shared with InterMire, another service withdrawn and kept; a counsellor
    finds it by besoin, commune and public, without a button to change it (tests/web/partners_scenario.py)."""
    run(browser, "a_partner_directory_kept_and_searched", module="tests.web.partners_scenario")
