"""Integrity across services: a reference is accepted only when it names something of the same Mission.

A service that records a reference to another service's record (a contract naming an employer, a vacancy
filled by a person, a project for a vacancy of an employer, an internship or an enrolment of a person)
asks the owning service, at the moment of the write, which of the references exist; a dangling one, or
one of another Mission (which the owning service of this Mission's vhost simply does not hold), is
refused as a field-level ``ValidationFailed`` (422) before anything is written.

Why an RPC check and not a local read model fed by events: the owner is the only authority (a read model
lags behind it, so a person registered a second ago would be refused, and one erased a second ago
accepted); the check costs one RPC per write, only on writes; and it needs no new queue, table or
replay. Its price is a dependency at write time: each check has its own budget (``CHECK_TIMEOUT``), and
an owner that does not answer within it, or is not running, makes the write fail (504 or 503 through the
gateway) with nothing written, never accepted unchecked. The owner answers only to the caller's identity,
through the policy actions ``<owner>.reference`` (every Mission role; no InterMire or agency role), and
says only whether an identifier exists: no personal data crosses. Matching is the exception: it keeps a
read model of vacancies and candidates for ranking anyway, and a proposal needs the vacancy and person
there, so it judges references by that model (same 422).

A reference checked here can still be erased between the check and the commit; erasure is rare, audited
and followed by an erasure event the other services consume, which is what cleans up after it.

This module is the rule, free of nameko: ``check`` takes a ``lookup(kind, ids)`` function;
``rpc_lookup`` builds one from the service's ``TimedRpcProxy`` dependencies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from kit.errors import ValidationFailed

CHECK_TIMEOUT = 3.0
MAX_IDS = 100

# What each kind of reference names, which service owns it, and the RPC that says which exist.
OWNERS: dict[str, tuple[str, str]] = {
    "beneficiary": ("beneficiary", "known_beneficiaries"),
    "employer": ("employer", "known_employers"),
    "vacancy": ("employer", "known_vacancies"),
    # The partner directory: each answers the organisation's type (a service: its organisation's), and a
    # service only while it is still offered.
    "partner": ("employer", "known_partners"),
    "partner_service": ("employer", "known_partner_services"),
}
NOUNS = {
    "beneficiary": "person",
    "employer": "employer",
    "vacancy": "vacancy",
    "partner": "partner organisation",
    "partner_service": "partner service",
}

Lookup = Callable[[str, list[str]], Mapping[str, str | None]]


@dataclass(frozen=True)
class Ref:
    """``field`` of the payload names a ``kind`` of record by ``id`` (None: the optional field is absent).

    ``of`` is, for a vacancy, the employer it must belong to (the id given in the same payload) and
    ``of_field`` the field that gave it.
    """

    field: str
    kind: str
    id: str | None
    of: str | None = None
    of_field: str | None = None


def check(refs: Iterable[Ref], lookup: Lookup) -> None:
    """Raise ``ValidationFailed`` naming each field whose reference does not exist in this Mission.

    ``lookup(kind, ids)`` answers, for the ids that exist, ``{id: owner}`` (a vacancy's employer; a partner's
    or a partner service's organisation type; None for the other kinds). One lookup per kind, whatever the
    number of references.
    """
    refs = [r for r in refs if r.id is not None]
    wanted: dict[str, set[str]] = defaultdict(set)
    for ref in refs:
        if ref.kind not in OWNERS:
            raise ValueError(f"unknown kind of reference: {ref.kind}")
        wanted[ref.kind].add(ref.id)  # type: ignore[arg-type]  # None filtered out above
    found = {kind: dict(lookup(kind, sorted(ids))) for kind, ids in wanted.items()}
    errors: dict[str, list[str]] = {}
    for ref in refs:
        known = found[ref.kind]
        if ref.id not in known:
            errors.setdefault(ref.field, []).append(f"no {NOUNS[ref.kind]} with this reference in this Mission")
        elif ref.of is not None and known[ref.id] != ref.of:
            errors.setdefault(ref.field, []).append(
                f"this {NOUNS[ref.kind]} is not one of the {ref.of_field or 'owner'} given"
            )
    if errors:
        raise ValidationFailed(errors)


def known(ids: object, existing: Callable[[list[str]], Mapping[str, str | None]]) -> dict[str, str | None]:
    """The owner's side: validate the asked ids (strings, at most ``MAX_IDS``), answer those that exist."""
    if not isinstance(ids, list) or len(ids) > MAX_IDS or not all(isinstance(i, str) and 0 < len(i) <= 64 for i in ids):
        raise ValidationFailed({"ids": [f"a list of at most {MAX_IDS} references is expected"]})
    return dict(existing(ids)) if ids else {}


def rpc_lookup(proxies: Mapping[str, object]) -> Lookup:
    """A lookup that asks each owning service (``proxies``: service name -> its ``TimedRpcProxy``)."""

    def lookup(kind: str, ids: list[str]) -> Mapping[str, str | None]:
        service, method = OWNERS[kind]
        return getattr(proxies[service], method)(ids)

    return lookup
