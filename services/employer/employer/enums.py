"""The employer service's vocabularies."""

SIZE_BANDS = ("1-4", "5-9", "10-19", "20-49", "50-99", "100-249", "250+")
CONTACT_KINDS = ("visit", "call", "email", "event")
NEED_KINDS = ("explicit", "surfaced")  # said by the employer, or surfaced by the agent during the visit
CONTRACT_TYPES = ("permanent", "fixed_term", "temp", "article_60", "apprenticeship", "other")
# Negotiated by the Mission, or imported from Le Forem's public offers.
MISSION_SOURCE, FOREM_SOURCE = "mission", "forem"
VACANCY_SOURCES = (MISSION_SOURCE, FOREM_SOURCE)

# Vacancy lifecycle.
DRAFT, OPEN, PARTIALLY_FILLED, FILLED, CLOSED, CANCELLED = (
    "draft",
    "open",
    "partially_filled",
    "filled",
    "closed",
    "cancelled",
)
CANCEL_REASONS = ("need_disappeared", "filled_elsewhere", "employer_withdrew", "duplicate", "other")
