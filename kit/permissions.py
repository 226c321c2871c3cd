"""The one permission table (the policy of who may do what): which roles may take which action.

Actions are ``<service>.<verb>``. The gateway enforces this table on every
route and the services enforce it again on every call (``kit.actor``); a
role absent from an action's set may not take it. Roles are those of
DOMAIN.md: counsellor, social_worker, project_lead, employer_relations,
director, intermire_analyst, the Mission's data-protection officer (dpo, who
reviews the audit trail and answers a person's access request, nothing else), and the agencies (forem, actiris)
which reach no personal data. A local partner's staff (``partner``, scoped to one organisation of the
Mission's partner directory by its token) may refer people to the Mission and follow the status of its own
referrals, nothing else.
"""

COUNSELLOR_TEAM = frozenset({"counsellor", "social_worker", "project_lead", "director"})
MISSION_STAFF = COUNSELLOR_TEAM | {"employer_relations"}

POLICY: dict[str, frozenset[str]] = {
    # Beneficiary files: the counsellor team of the Mission.
    "beneficiary.register": frozenset({"counsellor", "director"}),
    "beneficiary.read": COUNSELLOR_TEAM,
    "beneficiary.update": frozenset({"counsellor", "director"}),
    "beneficiary.assess": frozenset({"counsellor", "project_lead"}),
    "beneficiary.agree_plan": frozenset({"counsellor"}),
    "beneficiary.move_stage": frozenset({"counsellor", "project_lead", "director"}),
    "beneficiary.record_outcome": frozenset({"counsellor", "director"}),
    "beneficiary.record_consent": frozenset({"counsellor", "director"}),
    # Re-opening a closed file (a new episode): as intake, since it is one.
    "beneficiary.reopen": frozenset({"counsellor", "director"}),
    "beneficiary.erase": frozenset({"director"}),
    # A provisional identity (no number at intake) completed by those who take people in; folding it into the
    # file that already holds the number is the same people's call, traced (beneficiary.identity).
    "beneficiary.complete_identity": frozenset({"counsellor", "director"}),
    "beneficiary.merge": frozenset({"counsellor", "director"}),
    # Hand a file to another Mission (with the person's consent), and answer the transfers received.
    "beneficiary.transfer": frozenset({"counsellor", "director"}),
    # Orient a person to a partner's service from their plan, and record its outcome (beneficiary.orientations):
    # those who follow the person day to day.
    "beneficiary.orient": frozenset({"counsellor", "social_worker", "project_lead"}),
    # Accompaniment notes: only those who write them read them (and the counsellor who follows the person).
    "beneficiary.notes.social": frozenset({"social_worker", "counsellor"}),
    "beneficiary.notes.pedagogical": frozenset({"project_lead", "counsellor"}),
    # Sensitive target-group evidence (disability, justice measure, social-aid details).
    "beneficiary.sensitive_evidence": frozenset({"counsellor", "social_worker"}),
    # The audit trail of who read or changed whose file: the Mission's data-protection officer alone.
    "beneficiary.audit_review": frozenset({"dpo"}),
    # Referrals in (beneficiary.referrals): a partner refers a person; the partner sees only its organisation's
    # referrals and their status, the counsellors and the direction the queue they accept or decline.
    "beneficiary.referral.submit": frozenset({"partner"}),
    "beneficiary.referral.read": frozenset({"partner", "counsellor", "director"}),
    "beneficiary.referral.answer": frozenset({"counsellor", "director"}),
    "employer.register": frozenset({"employer_relations", "director"}),
    # Corrections of an employer's details and its contacts (kit.corrections); its account manager is
    # reassigned by the Mission's direction, who shares out the employers.
    "employer.update": frozenset({"employer_relations", "director"}),
    "employer.reassign": frozenset({"director"}),
    "employer.read": frozenset({"employer_relations", "counsellor", "project_lead", "director"}),
    "employer.vacancy.write": frozenset({"employer_relations", "director"}),
    "employer.vacancy.fill": frozenset({"employer_relations", "counsellor", "director"}),
    "employer.import": frozenset({"employer_relations", "director"}),
    "employer.contact.erase": frozenset({"employer_relations", "director"}),
    # Conventions: drafted by project leads and employer-relations agents, signed for the Mission by its staff.
    "convention.read": COUNSELLOR_TEAM | {"employer_relations"},
    "convention.write": frozenset({"project_lead", "employer_relations", "director"}),
    "convention.sign": frozenset({"director", "project_lead", "employer_relations"}),
    "convention.enrol": frozenset({"counsellor", "project_lead", "director"}),
    "convention.committee": frozenset({"project_lead", "director"}),
    # Meetings with partner organisations (the CLAIS forum): planned and minuted by those who run the projects
    # and the partner network; read by the Mission's staff (convention.read).
    "convention.meeting.write": frozenset({"project_lead", "employer_relations", "director"}),
    # Matching: ranking and proposals, by those who place people and those who know the employers.
    "matching.read": frozenset({"counsellor", "employer_relations", "project_lead", "director"}),
    "matching.propose": frozenset({"counsellor", "employer_relations", "director"}),
    # Whether a reference names a record of this Mission (kit.references): asked by another service on
    # behalf of whoever writes the reference; answers existence only, no personal data.
    "beneficiary.reference": MISSION_STAFF,
    # A partner's own referral names its organisation: checked on the partner's behalf.
    "employer.reference": MISSION_STAFF | {"partner"},
    # The partner directory (employer.partners): kept by employer-relations agents and the direction, read
    # by all the Mission's staff; publishing to InterMire is the same people's call.
    "employer.partner.write": frozenset({"employer_relations", "director"}),
    "employer.partner.read": MISSION_STAFF,
    # Agency replay: the Mission's direction (or the platform acting for it) re-sends an agency's events.
    "beneficiary.agency_replay": frozenset({"director"}),
    # Sector key rotation: the platform re-derives a Mission's pseudonyms for it (passerelle rotate-sector-key).
    "beneficiary.rekey_pseudonyms": frozenset({"director"}),
    "convention.agency_replay": frozenset({"director"}),
    "reporting.read": frozenset({"director", "counsellor"}),
    "reporting.sector": frozenset({"intermire_analyst"}),
    # A Mission's figures for funders: its director exports, submits and (someone else) approves a period.
    "reporting.export": frozenset({"director"}),
    "reporting.submit": frozenset({"director"}),
    "reporting.approve": frozenset({"director"}),
    # InterMire: sector aggregates only, never a Mission's file.
    "reporting.sector_export": frozenset({"intermire_analyst"}),
    # The retention schedule (kit.retention): the site's direction, or the platform acting for it
    # (`passerelle retention`, the CronJob). There is no operator role: the platform acts as the director does.
    "retention.apply": frozenset({"director"}),
    # Subject access (GDPR art. 15): a copy of everything each service holds about one person, for the
    # Mission's direction or its data-protection officer, who answer the person's request.
    "beneficiary.subject_access": frozenset({"director", "dpo"}),
    "convention.subject_access": frozenset({"director", "dpo"}),
    "matching.subject_access": frozenset({"director", "dpo"}),
}


def allowed_roles(action: str) -> frozenset[str]:
    return POLICY.get(action, frozenset())
