"""Keyed pseudonyms: the only form in which a person leaves a Mission.

HMAC-SHA256 of the national register number under the sector key, so the
same person followed by two Missions gets the same pseudonym (InterMire
counts them once, a Mission can see that someone is already followed
elsewhere), while nobody without the key can test a guessed number against
it, as they could with a plain hash.
"""

import hashlib
import hmac
import os

SECTOR_KEY_ENV = "PASSERELLE_SECTOR_KEY"
_DEVELOPMENT_KEY = "embedded-development-sector-key"


def sector_key() -> bytes:
    return os.environ.get(SECTOR_KEY_ENV, _DEVELOPMENT_KEY).encode()


def pseudonym(national_number: str) -> str:
    digits = "".join(ch for ch in national_number if ch.isdigit())
    return hmac.new(sector_key(), digits.encode(), hashlib.sha256).hexdigest()[:32]
