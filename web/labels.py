"""The French words of the field (DOMAIN.md) for the platform's codes: stages, target groups, reasons…

Each label is a gettext message id (marked with ``N_``), translated where it is
shown. The codes themselves come from the services' vocabularies.
"""

from web.i18n import N_

STAGES = {
    "accueil": N_("Accueil"),
    "orientation": N_("Orientation / projet professionnel"),
    "remise_a_niveau": N_("Remise à niveau"),
    "preformation": N_("Préformation"),
    "formation": N_("Formation"),
    "outillage": N_("Outillage recherche d'emploi"),
    "placement": N_("Placement"),
    "suivi": N_("Suivi"),
}
STATUSES = {
    "active": N_("en parcours"),
    "dropped_out": N_("abandon"),
    "exited": N_("sorti·e"),
    "transferred": N_("transféré·e"),
}
# Where a partner's referral stands, in the words the partner reads (beneficiary.referrals): past "accepted"
# only if the person agreed that the partner be told.
REFERRAL_STATUSES = {
    "received": N_("reçue, en attente de la réponse de la Mission"),
    "accepted": N_("acceptée"),
    "declined": N_("refusée"),
    "in_accompaniment": N_("acceptée : la personne est accompagnée par la Mission"),
    "ended": N_("acceptée : l'accompagnement est terminé"),
}
# Where a transfer of a file to another Mission stands.
TRANSFER_STATUSES = {"requested": N_("en attente de réponse"), "accepted": N_("accepté"), "declined": N_("refusé")}
TARGET_GROUPS = {
    "low_qualification": N_("Peu qualifié·e"),
    "long_term_unemployed": N_("Chômage de longue durée"),
    "disability": N_("Handicap"),
    "social_aid": N_("Bénéficiaire de l'aide sociale"),
    "neet_youth": N_("Jeune NEET (Garantie Jeunesse)"),
    "refugee_newcomer": N_("Réfugié·e / primo-arrivant·e"),
    "justice_measure": N_("Justiciable"),
    "single_parent": N_("Parent seul"),
    "priority_neighbourhood": N_("Quartier prioritaire"),
}
GENDERS = {"F": N_("Femme"), "M": N_("Homme"), "X": N_("X (autre)")}
# Which kind of identity number a person's file holds (beneficiary.enums.NISS_KINDS).
NISS_KINDS = {
    "national_register": N_("Numéro de registre national"),
    "bis": N_("Numéro BIS"),
    "provisional": N_("Identité provisoire (pas encore de numéro)"),
}
REFERRERS = {
    "self": N_("Démarche personnelle"),
    "forem": N_("Le Forem"),
    "actiris": N_("Actiris"),
    "cpas": N_("CPAS"),
    "ale": N_("ALE"),
    "adl": N_("ADL"),
    "insertion_operator": N_("Opérateur d'insertion"),
    "training_operator": N_("Opérateur de formation"),
    "justice_service": N_("Service de justice"),
    "aviq": N_("AViQ"),
    "neighbourhood_board": N_("Régie de quartier"),
    "other": N_("Autre"),
}
CONTRACT_TYPES = {
    "permanent": N_("CDI"),
    "fixed_term": N_("CDD"),
    "temp": N_("Intérim"),
    "article_60": N_("Article 60"),
    "apprenticeship": N_("Apprentissage"),
    "other": N_("Autre"),
}
PLAN_ACTIONS = {
    "remise_a_niveau": N_("Remise à niveau"),
    "confirmation_internship": N_("Stage de confirmation"),
    "alternating_training": N_("Formation alternée"),
    "job_search": N_("Recherche d'emploi"),
    "other": N_("Autre"),
}
COMPETENCE_SOURCES = {"training": N_("Formation"), "work": N_("Expérience de travail"), "other": N_("Autre")}
COMPETENCE_KINDS = {"technical": N_("Technique"), "behavioural": N_("Comportementale")}
DROPOUT_REASONS = {
    "health": N_("Santé"),
    "family": N_("Raisons familiales"),
    "found_job_alone": N_("Emploi trouvé seul·e"),
    "moved": N_("Déménagement"),
    "motivation": N_("Motivation"),
    "training_unsuited": N_("Formation inadaptée"),
    "unreachable": N_("Injoignable"),
    "other": N_("Autre"),
}
EXIT_REASONS = {
    "durable_employment": N_("Emploi durable"),
    "training_elsewhere": N_("Formation ailleurs"),
    "moved": N_("Déménagement"),
    "end_of_accompaniment": N_("Fin de l'accompagnement"),
    "other": N_("Autre"),
}
FOLLOWUP_SOURCES = {
    "phone": N_("Téléphone"),
    "employer": N_("Employeur"),
    "person": N_("La personne"),
    "dimona": N_("Dimona"),
    "other": N_("Autre"),
}
TRANSITION_KINDS = {
    "entered": N_("Entrée"),
    "moved": N_("Changement d'étape"),
    "reentered": N_("Retour en parcours"),
    "dropped_out": N_("Abandon"),
    "exited": N_("Sortie"),
    "reopened": N_("Réouverture du dossier (nouvel épisode)"),
}
PROPOSAL_STATES = {
    "proposed": N_("proposée"),
    "presented": N_("présentée"),
    "interview": N_("entretien"),
    "hired": N_("engagé·e"),
    "rejected": N_("refusée"),
    "withdrawn": N_("retirée"),
}
# Where a proposal may go from each state (the matching service decides; this only offers the buttons).
PROPOSAL_NEXT = {
    "proposed": ("presented", "withdrawn"),
    "presented": ("interview", "rejected", "withdrawn"),
    "interview": ("hired", "rejected", "withdrawn"),
}
VACANCY_STATUSES = {
    "draft": N_("brouillon"),
    "open": N_("ouverte"),
    "partially_filled": N_("partiellement pourvue"),
    "filled": N_("pourvue"),
    "closed": N_("clôturée"),
    "cancelled": N_("annulée"),
}
CONTACT_KINDS = {"visit": N_("Visite"), "call": N_("Appel"), "email": N_("E-mail"), "event": N_("Événement")}
CONVENTION_STATUSES = {
    "draft": N_("brouillon"),
    "ready_to_sign": N_("prête à signer"),
    "partially_signed": N_("signée en partie"),
    "signed": N_("signée"),
    "active": N_("active"),
    "superseded": N_("remplacée"),
    "completed": N_("terminée"),
    "cancelled": N_("annulée"),
    "terminated": N_("résiliée"),
}
ROLES = {
    "counsellor": N_("Conseiller·ère"),
    "social_worker": N_("Travailleur·euse social·e"),
    "project_lead": N_("Chef·fe de projet"),
    "employer_relations": N_("Chargé·e de relations entreprises"),
    "director": N_("Direction"),
    "intermire_analyst": N_("Analyste InterMire"),
    "dpo": N_("Délégué·e à la protection des données"),
    "partner": N_("Partenaire"),
}
# Orientations to a partner's service (beneficiary.orientations): what came of it, what is shared (the partner's
# type is the directory's, PARTNER_TYPES below).
ORIENTATION_OUTCOMES = {
    "attended": N_("s'est rendu·e au rendez-vous"),
    "done": N_("réalisée"),
    "not_taken_up": N_("n'a pas abouti"),
    "cancelled": N_("annulée"),
}
ORIENTATION_STATUSES = {"planned": N_("rendez-vous prévu"), **ORIENTATION_OUTCOMES}
ORIENTATION_SHARED = {
    "contact_details": N_("ses coordonnées"),
    "orientation_reason": N_("l'objet de l'orientation"),
    "plan_goal": N_("l'objectif de son plan"),
}
# What the audit trail records (beneficiary.application.audit), as the data-protection officer reads it.
AUDIT_ACTIONS = {
    "beneficiary.register": N_("Accueil (ouverture du dossier)"),
    "beneficiary.referral.submit": N_("Orientation envoyée par un partenaire"),
    "beneficiary.referral.read": N_("Consultation d'une orientation"),
    "beneficiary.referral.answer": N_("Réponse à une orientation"),
    "beneficiary.read": N_("Consultation du dossier"),
    "beneficiary.list": N_("Dans une liste de personnes"),
    "beneficiary.search": N_("Dans les résultats d'une recherche"),
    "beneficiary.caseload": N_("Dans un portefeuille"),
    "beneficiary.due": N_("Dans la liste « À faire »"),
    "beneficiary.plans": N_("Consultation des plans d'insertion"),
    "beneficiary.pathway": N_("Consultation du parcours"),
    "beneficiary.assessments": N_("Consultation des évaluations"),
    "beneficiary.assess": N_("Évaluation des compétences"),
    "beneficiary.agree_plan": N_("Plan d'insertion convenu"),
    "beneficiary.move_stage": N_("Changement d'étape"),
    "beneficiary.record_outcome": N_("Contrat, suivi ou sortie enregistré"),
    "beneficiary.record_consent": N_("Accord de transmission enregistré ou retiré"),
    "beneficiary.reopen": N_("Dossier rouvert (nouvel épisode)"),
    "beneficiary.notes.social.write": N_("Note sociale écrite"),
    "beneficiary.notes.social.read": N_("Notes sociales lues"),
    "beneficiary.notes.pedagogical.write": N_("Note pédagogique écrite"),
    "beneficiary.notes.pedagogical.read": N_("Notes pédagogiques lues"),
    "beneficiary.erase": N_("Effacement du dossier"),
    "beneficiary.register.confirmed_other_person": N_("Accueil provisoire confirmé : une autre personne"),
    "beneficiary.complete_identity": N_("Identité complétée"),
    "beneficiary.merge": N_("Fusion d'un dossier provisoire"),
    "beneficiary.orient": N_("Orientation vers un partenaire, ou sa suite"),
    "beneficiary.orientations": N_("Consultation des orientations"),
}
# Why it was read (the ``purpose`` each page gives the gateway).
AUDIT_PURPOSES = {
    "accompaniment": N_("Accompagnement"),
    "caseload": N_("Portefeuille"),
    "search": N_("Recherche"),
    "due": N_("Échéances"),
    "matching": N_("Mise à l'emploi"),
    "convention": N_("Conventions"),
    "erasure": N_("Effacement"),
}
# What falls due ("échéances"), from the beneficiary and employer services.
DUE_KINDS = {
    "six_month_check": N_("Suivi à six mois"),
    "plan_review": N_("Plan d'insertion à revoir"),
    "prospection_next_action": N_("Action de prospection"),
    "training_end": N_("Fin de formation à clôturer"),
    "committee": N_("Comité d'accompagnement"),
}
INTERNSHIP_OUTCOMES = {"confirmed": N_("projet confirmé"), "reoriented": N_("réorientation")}
TRAINEE_STATUSES = {
    "in_training": N_("en formation"),
    "dropped_out": N_("abandon"),
    "completed": N_("formation terminée"),
    "hired": N_("engagé·e"),
    "not_hired": N_("non engagé·e"),
}
COMMITTEE_KINDS = {"follow_up": N_("Comité d'accompagnement"), "pedagogical": N_("Comité pédagogique")}
# The partner directory (employer.partners): kinds of organisation, needs a service addresses, a service's status.
PARTNER_TYPES = {
    "cpas": N_("CPAS"),
    "ale": N_("ALE (agence locale pour l'emploi)"),
    "oisp": N_("OISP / opérateur de formation"),
    "school": N_("École"),
    "commune_service": N_("Service communal"),
    "health_social_service": N_("Service de santé ou social"),
    "employer_federation": N_("Fédération d'employeurs"),
    "union": N_("Syndicat"),
    "other": N_("Autre organisation"),
}
NEEDS = {
    "housing": N_("Logement"),
    "health": N_("Santé"),
    "childcare": N_("Garde d'enfants"),
    "mobility": N_("Mobilité"),
    "debt": N_("Dettes"),
    "language": N_("Langue française"),
    "training": N_("Formation"),
    "social_aid": N_("Aide sociale"),
    "legal": N_("Aide juridique"),
    "other": N_("Autre besoin"),
}
PARTNER_SERVICE_STATUSES = {"offered": N_("proposé"), "withdrawn": N_("retiré")}

# The services' validation messages (English, in the code) as French message ids; the start of a message is
# enough, since some end with the value's details. An unknown message is shown as it came.
ERROR_MESSAGES = (
    ("Missing data for required field", N_("Ce champ est obligatoire.")),
    ("Field may not be null", N_("Ce champ est obligatoire.")),
    ("Not a valid date", N_("Ce n'est pas une date valide.")),
    ("Not a valid integer", N_("Ce n'est pas un nombre entier.")),
    ("Not a valid email", N_("Ce n'est pas une adresse e-mail valide.")),
    ("Must be one of", N_("Choisissez une des valeurs proposées.")),
    ("Length must be between", N_("La longueur de ce texte n'est pas permise.")),
    ("Shorter than minimum length", N_("Ce champ est obligatoire.")),
    ("Must be greater than or equal", N_("Cette valeur est trop petite.")),
    ("Must be less than or equal", N_("Cette valeur est trop grande.")),
    ("Must be greater than or equal to 1 and less than or equal to 4", N_("Un niveau de 1 à 4.")),
    (
        "not a valid Belgian identity number",
        N_("Ce numéro n'est ni un numéro de registre national ni un numéro BIS valide."),
    ),
    ("unknown municipality", N_("Commune inconnue : choisissez-la dans la liste.")),
    ("the correction changes nothing", N_("Rien à corriger : chaque valeur est déjà celle du dossier.")),
    ("nothing to correct", N_("Rien à corriger : modifiez au moins un champ.")),
    ("birth date is after the intake date", N_("La date de naissance est postérieure à la date d'accueil.")),
    ("is already the employer's account manager", N_("C'est déjà le gestionnaire de ce compte.")),
    ("four digits", N_("Un code postal a quatre chiffres, par exemple 6000.")),
    ("birth date is in the future", N_("La date de naissance est dans le futur.")),
    ("birth date is more than 100 years ago", N_("La date de naissance remonte à plus de 100 ans.")),
    ("intake date is in the future", N_("La date d'accueil est dans le futur.")),
    ("intake date is before birth", N_("La date d'accueil précède la naissance.")),
    ("is before the intake", N_("Cette date précède l'accueil.")),
    ("is in the future", N_("Cette date est dans le futur.")),
    ("not a phone number", N_("Ce n'est pas un numéro de téléphone.")),
    ("the check is due from", N_("Le suivi à six mois n'est pas encore dû (six mois après la signature).")),
    ("a plan is agreed with the person", N_("Le plan se convient avec la personne : cochez quand elle l'accepte.")),
    ("already at stage", N_("La personne est déjà à cette étape.")),
    ("the file is closed", N_("Le dossier est clôturé (sortie).")),
    ("already exited", N_("La sortie est déjà enregistrée.")),
    ("unknown occupation code", N_("Métier inconnu : cherchez-le par son intitulé.")),
    ("unknown competence code", N_("Compétence inconnue.")),
    ("a proposal rejected needs a reason", N_("Un refus se motive : indiquez la raison.")),
    ("not a valid Belgian enterprise number", N_("Ce numéro d'entreprise (BCE) n'est pas valide.")),
    ("Unknown field", N_("Champ inconnu.")),
    (
        "a file with the same last name, first name and birth date exists",
        N_(
            "Un dossier existe déjà avec ces nom, prénom et date de naissance : complétez-le, ou cochez « C'est une "
            "autre personne »."
        ),
    ),
    (
        "a national register or BIS number is required, or choose a provisional identity",
        N_("Indiquez un numéro de registre national ou BIS, ou cochez « Pas encore de numéro »."),
    ),
    (
        "a provisional identity takes no number",
        N_("Une identité provisoire n'a pas de numéro : videz le champ ou décochez « Pas encore de numéro »."),
    ),
    (
        "the identity of this file is already complete",
        N_("L'identité de ce dossier est déjà complète : son numéro ne change plus."),
    ),
    (
        "a file with this number exists in this Mission",
        N_("Un dossier de la Mission a déjà ce numéro : fusionnez-y ce dossier provisoire."),
    ),
    ("is not the file of this Mission that holds this number", N_("Ce dossier n'a pas ce numéro.")),
    (
        "both files record a first contract",
        N_("Les deux dossiers ont un premier contrat : corrigez l'un d'eux avant de fusionner."),
    ),
    (
        "both files hold a disclosure to",
        N_("Les deux dossiers ont un accord de transmission vers la même agence : retirez-en un avant de fusionner."),
    ),
    ("a national or BIS number has 11 digits", N_("Un numéro de registre national ou BIS a 11 chiffres.")),
    ("give at least one letter or digit of the name", N_("Donnez au moins une lettre ou un chiffre du nom.")),
    ("REFNIS code expected", N_("Commune inconnue : choisissez-la dans la liste.")),
    ("is before registered_from", N_("Cette date précède le début de la période.")),
    ("a NACE-BEL code or its start", N_("Un code NACE-BEL ou son début, par exemple 43 ou 43.2.")),
    ("an enterprise number has 10 digits", N_("Un numéro d'entreprise (BCE) a 10 chiffres.")),
    # Referrals in (beneficiary.referral_schemas, beneficiary.referrals).
    (
        "the person's consent to being referred is required",
        N_("L'accord de la personne est nécessaire pour l'orienter."),
    ),
    (
        "so that the Mission can reach the person",
        N_("Indiquez un téléphone ou une adresse e-mail, pour que la Mission puisse joindre la personne."),
    ),
    (
        "refer them again only with something new",
        N_("La Mission a refusé cette orientation : ne la renvoyez qu'avec un élément nouveau (raison, public cible)."),
    ),
    (
        "referral of this person is awaiting",
        N_("Une orientation de cette personne attend déjà la réponse de la Mission."),
    ),
    ("this referral was", N_("Cette orientation a déjà reçu une réponse.")),
    ("Not a valid URL", N_("Ce n'est pas une adresse web valide (https://…).")),
    ("this service is already withdrawn", N_("Ce service est déjà retiré.")),
    ("the organisation is already published", N_("L'organisation est déjà partagée avec InterMire.")),
    ("the organisation is not published", N_("L'organisation n'est pas partagée avec InterMire.")),
    # Gaps into the plan (beneficiary.domain.gap_choice_errors, beneficiary.gaps, PlanGapsSchema).
    ("not missing for this source", N_("Cette compétence ne manque pas pour cette offre ou ce métier.")),
    ("the person already holds this competence", N_("La personne a déjà cette compétence (dernière évaluation).")),
    ("chosen twice", N_("Compétence choisie deux fois.")),
    ("choose from 1 to 30 missing competences", N_("Cochez au moins une compétence manquante (30 au plus).")),
    ("the plan changed since it was read", N_("Le plan a changé depuis que vous l'avez lu : rechargez-le.")),
    ("no plan is agreed in this episode yet", N_("Aucun plan n'est encore convenu : convenez d'abord un plan.")),
    (
        "no partner service with this reference",
        N_("Aucun service proposé par un partenaire de la Mission ne porte cette référence (ou il a été retiré)."),
    ),
    ("the person's consent is required to share", N_("Le consentement de la personne est requis pour partager.")),
    ("say why the orientation was not taken up", N_("Dites pourquoi l'orientation n'a pas abouti.")),
    ("its outcome is final", N_("La suite de cette orientation est déjà définitive.")),
    ("an orientation cannot go from", N_("Cette suite ne peut pas suivre celle déjà enregistrée.")),
    ("this orientation was changed", N_("Quelqu'un a enregistré une suite entre-temps : rechargez la page.")),
    ("the appointment is more than", N_("Le rendez-vous doit tomber dans les 90 jours passés ou l'année à venir.")),
)


def error_message(message: str) -> str:
    text = str(message)
    for start, label in ERROR_MESSAGES:
        if text.startswith(start) or start in text:
            return label
    return text


# The label of each form field, by its name, for the error summary ("Nom : Ce champ est obligatoire."):
# the summary comes before the fields, so it cannot read their labels.
FIELD_LABELS = {
    "niss": N_("Numéro de registre national"),
    "into": N_("Dossier existant"),
    "contract": N_("Premier contrat"),
    "disclosures": N_("Accords de transmission"),
    "target_groups": N_("Publics cibles"),
    "account_manager": N_("Gestionnaire du compte"),
    "street": N_("Rue et numéro"),
    "postal_code": N_("Code postal"),
    "first_name": N_("Prénom"),
    "last_name": N_("Nom"),
    "birth_date": N_("Date de naissance"),
    "gender": N_("Genre"),
    "municipality": N_("Commune"),
    "registered_on": N_("Date d'accueil"),
    "phone": N_("Téléphone"),
    "email": N_("Adresse e-mail"),
    "referrer_type": N_("Envoyé·e par"),
    "referrer_organisation": N_("Organisation qui oriente"),
    "assessed_on": N_("Date de l'évaluation"),
    "have": N_("Compétences déjà acquises"),
    "target_occupations": N_("Métier visé"),
    "missing": N_("Compétences à acquérir"),
    "actions": N_("Actions"),
    "contract_wishes": N_("Contrats souhaités"),
    "hours_wish": N_("Heures par semaine souhaitées"),
    "mobility_km": N_("Mobilité (km)"),
    "available_from": N_("Disponible à partir du"),
    "agreed_with_person": N_("Accord de la personne"),
    "to": N_("Nouvelle étape"),
    "why": N_("Pourquoi"),
    "reason": N_("Raison"),
    "text": N_("Note"),
    "signed_on": N_("Signé le"),
    "employer_id": N_("Employeur"),
    "contract_type": N_("Type de contrat"),
    "hours_per_week": N_("Heures par semaine"),
    "workplace_municipality": N_("Commune du lieu de travail"),
    "checked_on": N_("Vérifié le"),
    "still_employed": N_("Toujours en emploi"),
    "source": N_("Source de l'information"),
    "enterprise_number": N_("Numéro d'entreprise (BCE)"),
    "name": N_("Nom"),
    "nace": N_("Code d'activité NACE-BEL"),
    "function": N_("Fonction"),
    "kind": N_("Type"),
    "on": N_("Date"),
    "summary": N_("Compte rendu"),
    "next_action": N_("Prochaine action"),
    "next_action_due": N_("Échéance de la prochaine action"),
    "title": N_("Intitulé"),
    "description": N_("Description"),
    "posts": N_("Nombre de postes"),
    "start_date": N_("Début"),
    "end_date": N_("Fin"),
    "post_title": N_("Intitulé du poste"),
    "hires_committed": N_("Engagements promis"),
    "operator_name": N_("Opérateur de formation"),
    "operator_number": N_("Numéro BCE de l'opérateur"),
    "training_profile": N_("Référentiel de formation"),
    "specification": N_("Cahier des charges"),
    "hours_centre": N_("Heures en centre"),
    "hours_work": N_("Heures en entreprise"),
    "trainees_planned": N_("Stagiaires prévus"),
    "vacancy_id": N_("Offre"),
    "beneficiary_id": N_("Personne"),
    "planned_end": N_("Fin prévue"),
    "tutor_name": N_("Tuteur·rice en entreprise"),
    "internship_start": N_("Début du stage de confirmation"),
    "internship_end": N_("Fin du stage de confirmation"),
    "signer_name": N_("Nom du ou de la signataire"),
    "held_on": N_("Tenu le"),
    "attendees": N_("Parties présentes"),
    "period": N_("Période"),
    "version": N_("Version"),
    "service_id": N_("Service du partenaire"),
    "purpose": N_("Objet de l'orientation"),
    "appointment_on": N_("Date du rendez-vous"),
    "shared": N_("Ce qui est partagé"),
    "consent": N_("Consentement de la personne"),
    "outcome": N_("Suite"),
    "q": N_("Nom"),
    "bce": N_("Numéro BCE"),
    "commune": N_("Commune"),
    "stage": N_("Étape du parcours"),
    "status": N_("Statut"),
    "target_group": N_("Public cible"),
    "counsellor": N_("Conseiller·ère"),
    "registered_from": N_("Accueil à partir du"),
    "registered_to": N_("Accueil jusqu'au"),
    "inform_referrer": N_("Informer le partenaire"),
    "partner_type": N_("Type d'organisation"),
    "municipalities": N_("Communes desservies"),
    "needs": N_("Besoins"),
    "conditions": N_("Conditions"),
    "opening_hours": N_("Heures d'ouverture"),
    "contact_phone": N_("Téléphone"),
    "contact_email": N_("Adresse e-mail"),
    "contact_website": N_("Site web"),
    "contact_address": N_("Adresse"),
    "besoin": N_("Besoin"),
    "public": N_("Public cible"),
    "published": N_("Partage avec InterMire"),
    "type": N_("Type d'organisation"),
}


def field_label(name: str) -> str | None:
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    if name.startswith("level-"):
        return N_("Niveau")
    if name.startswith("tg-") and name.endswith("-evidence"):
        return N_("Justificatif")
    if name.startswith("kind-"):  # the action a missing competence becomes (web/views/gaps.py)
        return N_("Action")
    if name == "gap":
        return N_("Compétences manquantes")
    if name == "plan_version":
        return N_("Plan actuel")
    if name.startswith("action-"):
        return FIELD_LABELS["actions"]
    return None


# Meetings with partner organisations (convention.meeting_rules, kit.references): the service's refusals in
# the field's words.
ERROR_MESSAGES += (
    ("this organisation was not invited", N_("Cette organisation n'était pas invitée à la réunion.")),
    ("this organisation's attendance is already given", N_("La présence de cette organisation est déjà indiquée.")),
    (
        "say whether each organisation invited came",
        N_("Indiquez pour chaque organisation invitée si elle était présente, excusée ou absente."),
    ),
    ("acts on a decision", N_("C'est la Mission ou une organisation invitée qui agit sur une décision.")),
    ("a decision is due on or after", N_("L'échéance d'une décision ne peut précéder le jour de la réunion.")),
    ("the minutes are already recorded", N_("Le compte rendu est déjà enregistré : corrigez-le.")),
    ("the meeting is planned for", N_("La réunion n'a pas encore eu lieu : enregistrez son compte rendu ensuite.")),
    ("the meeting has no minutes yet", N_("La réunion n'a pas encore de compte rendu : enregistrez-le d'abord.")),
    ("this organisation is already invited", N_("Cette organisation est déjà invitée.")),
    (
        "no partner organisation with this reference",
        N_("Aucune organisation de l'annuaire des partenaires de la Mission ne porte cette référence."),
    ),
    ("no project with this reference", N_("Aucun projet de la Mission ne porte cette référence.")),
    ("one to forty organisations", N_("Invitez au moins une organisation (quarante au plus).")),
    ("one to thirty items", N_("L'ordre du jour compte au moins un point (trente au plus).")),
    ("one to thirty of the Mission's staff", N_("Indiquez au moins une personne de la Mission présente.")),
    ("a time as HH:MM", N_("Une heure au format HH:MM.")),
    (
        "this meeting was changed",
        N_("Ce compte rendu a été corrigé depuis que vous l'avez lu : rechargez-le et corrigez-le à nouveau."),
    ),
)
# What an agency told the Mission about a person (contracts.agency.inbound), by event type.
AGENCY_FACTS = {
    "be.mire.agency.jobseeker_status_changed.v1": N_("Inscription comme demandeur d'emploi"),
    "be.mire.agency.training_entered.v1": N_("Entrée en formation"),
    "be.mire.agency.training_exited.v1": N_("Sortie de formation"),
    "be.mire.agency.employment_started.v1": N_("Début d'emploi confirmé"),
    "be.mire.agency.employment_ended.v1": N_("Fin d'emploi confirmée"),
    "be.mire.agency.six_month_verification_answered.v1": N_("Réponse à la vérification à six mois"),
}
AGENCIES = {"forem": N_("Le Forem"), "actiris": N_("Actiris")}
