"""Which agency a fact concerns, and which disclosure lets it go there.

The rule, in words (``contracts/README.md`` says the same):

* A region names its agency: Wallonia → Le Forem, Brussels → Actiris.
  Flanders (and abroad) names none: VDAB is not a consumer of this platform.
* A fact about a **person** concerns the agencies of the person's region of
  residence and, for a contract, of the job's region (both where both apply).
  It goes to such an agency only while a *legal basis* is on record for it
  (a legal basis reaches no further than the agency's own region), and to any
  agency for which the person's *consent* is on record, whatever the region
  (that is how a Flemish resident's events reach Le Forem: by consent only).
  Either way the record must hold the agency's own file reference: without it
  the agency could not recognise the person, and nothing is sent.
* A **convention** (organisations only, no person) goes to the agency of the
  job's region, given by the employer convention's workplace; when the
  convention does not say where the job is, to no agency (never a guess).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

REGION_AGENCY = {"wallonia": "forem", "brussels": "actiris"}


class DisclosureRecord(Protocol):
    agency: str
    basis: str
    agency_reference: str | None
    withdrawn_on: object


def agencies_of(regions: Iterable[str | None]) -> set[str]:
    """The agencies the given regions name (Flanders and unknown name none)."""
    return {REGION_AGENCY[r] for r in regions if r in REGION_AGENCY}


def person_recipients(disclosures: Iterable[DisclosureRecord], regions: Iterable[str | None]) -> list[DisclosureRecord]:
    """The disclosures under which a fact about a person goes out, one per agency at most."""
    concerned = agencies_of(regions)
    chosen: dict[str, DisclosureRecord] = {}
    for d in disclosures:
        if d.withdrawn_on is not None or not d.agency_reference or d.agency in chosen:
            continue
        if d.basis == "consent" or d.agency in concerned:
            chosen[d.agency] = d
    return [chosen[a] for a in sorted(chosen)]


def convention_recipients(job_region: str | None) -> list[str]:
    """The agency a convention goes to: the job's region's (none when the region is unknown or Flemish)."""
    return sorted(agencies_of([job_region]))
