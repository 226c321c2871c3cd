"""Keyed pseudonyms: the only form in which a person leaves a Mission.

HMAC-SHA256 of the national register number under the sector key, so the
same person followed by two Missions gets the same pseudonym (InterMire
counts them once, a Mission can see that someone is already followed
elsewhere), while nobody without the key can test a guessed number against
it, as they could with a plain hash. The key is named by ``key_id()``, its
fingerprint, which travels with every pseudonym (ARCHITECTURE.md, "Sector
key rotation").

The key is ``PASSERELLE_SECTOR_KEY``; the one written below is a development
key (``kit.mode``): outside development mode a process that needs the key and
has none stops at start. The InterMire site reads pseudonyms only and never
holds the key: its process calls ``forbid_key`` first, after which asking for
the key is a programming error that fails loudly instead of silently hashing.
"""

import hashlib
import hmac

from kit import mode

SECTOR_KEY_ENV = "PASSERELLE_SECTOR_KEY"
_DEVELOPMENT_KEY = "embedded-development-sector-key"

_forbidden: str | None = None


class KeyForbidden(RuntimeError):
    """This process must not hold the sector key (the InterMire site)."""


def forbid_key(reason: str) -> None:
    """From now on this process never reads the sector key; ``sector_key()`` raises ``KeyForbidden``."""
    global _forbidden
    _forbidden = reason


def sector_key() -> bytes:
    if _forbidden:
        raise KeyForbidden(f"{SECTOR_KEY_ENV} may not be used here: {_forbidden}")
    return mode.secret(SECTOR_KEY_ENV, _DEVELOPMENT_KEY).encode()


def key_id() -> str:
    """The sector key's identifier: a fingerprint that names the key and says nothing about it.

    Travels with every pseudonym (``pseudonym_key``), so a reader knows which key made it and a
    rotation (``beneficiary.rekey_pseudonyms``) knows which pseudonyms are still to re-derive.
    """
    return hmac.new(sector_key(), b"passerelle key id", hashlib.sha256).hexdigest()[:12]


def pseudonym(national_number: str) -> str:
    digits = "".join(ch for ch in national_number if ch.isdigit())
    return hmac.new(sector_key(), digits.encode(), hashlib.sha256).hexdigest()[:32]
