"""French first: the gettext catalogues (Babel) and the Belgian formats of dates and numbers.

Message ids are the French texts the Missions read (DOMAIN.md's words), so a
label missing from a catalogue still shows in French; ``translations/en``
carries the English. Catalogues are read from their ``.po`` files at start
(compiled in memory): no build step, nothing binary in the repository.
``pybabel extract -F web/babel.cfg`` and ``pybabel update`` keep them in step
with the templates (web/README.md).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

LANGUAGES = ("fr", "en")
# Number locales: CLDR's fr_BE groups thousands with a dot (5.879), while the Missions and their funders write
# 5 879 (DOMAIN.md), which is plain French's narrow no-break space; English groups with a comma.
LOCALES = {"fr": "fr", "en": "en"}
HERE = Path(__file__).resolve().parent / "translations"
# Where the Missions are: every instant a page shows is in Belgian time.
BELGIUM = ZoneInfo("Europe/Brussels")


def load_translations(lang: str) -> Translations:
    po = HERE / lang / "LC_MESSAGES" / "messages.po"
    with open(po, "rb") as f:
        catalog = read_po(f, locale=lang)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def N_(text: str) -> str:
    """Marks a text for extraction; translated where it is shown."""
    return text


def _as_date(value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        return (
            datetime.fromisoformat(text.replace("Z", "+00:00")).date() if "T" in text else date.fromisoformat(text[:10])
        )
    except ValueError:
        return None


def format_day(value) -> str:
    """07/12/2026, in both languages (Belgian usage)."""
    d = _as_date(value)
    return d.strftime("%d/%m/%Y") if d else ""


def format_moment(value) -> str:
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    # The services answer instants in UTC; the Missions read Belgian time (summer time included).
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BELGIUM).strftime("%d/%m/%Y %H:%M")


def format_number(value, lang: str = "fr") -> str:
    """5 879 (a narrow no-break space between thousands in French), 5,879 in English."""
    if value is None or value == "":
        return ""
    return format_decimal(value, locale=LOCALES.get(lang, "fr"))


def format_ratio(value, lang: str = "fr") -> str:
    """0.724 → 72,4 %."""
    if value is None or value == "":
        return ""
    return format_percent(value, "#,##0.0 %", locale=LOCALES.get(lang, "fr"))
