"""Unusual access to files: who opened many files outside their own caseload lately. Free of nameko.

The audit trail (``beneficiary.models.Audit``) holds every read of a file. A counsellor opens the files of the
people they follow; colleagues open others now and then (a replacement, a committee, the director). A user who
opens many files that are not theirs in a short time is what a data-protection officer wants to hear of: it is
how curiosity or a leaked account shows. The service counts it every minute (``passerelle_unusual_readers``,
alert ``PasserelleUnusualFileAccess``) and answers the officer who it is (``readers``).

Only opening a file counts (its page, notes, path, plans, assessments): appearing in a list (search results, a
caseload, what is due) is not reading it. A file counts once per user, however often it was opened.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from beneficiary.models import Audit, Beneficiary

# What opens a file, as audited by beneficiary.application.
OPENING = (
    "beneficiary.read",
    "beneficiary.pathway",
    "beneficiary.plans",
    "beneficiary.assessments",
    "beneficiary.notes.social.read",
    "beneficiary.notes.pedagogical.read",
)
WINDOW = timedelta(hours=24)
# Distinct files outside one's caseload within the window from which access is unusual: a counsellor covering
# for an absent colleague opens a few a day; a director preparing a committee, a dozen.
THRESHOLD = int(os.environ.get("PASSERELLE_UNUSUAL_READS", "25"))


def readers(session, now: datetime, threshold: int = THRESHOLD, window: timedelta = WINDOW) -> list[dict]:
    """Users who opened at least ``threshold`` distinct files outside their caseload in ``window`` before
    ``now``, the most first: [{"user", "files"}]."""
    files = func.count(func.distinct(Audit.subject))
    rows = session.execute(
        select(Audit.actor, files)
        .join(Beneficiary, Beneficiary.id == Audit.subject)
        .where(
            Audit.at >= now - window,
            Audit.action.in_(OPENING),
            or_(Beneficiary.counsellor.is_(None), Beneficiary.counsellor != Audit.actor),
        )
        .group_by(Audit.actor)
        .having(files >= threshold)
        .order_by(files.desc(), Audit.actor)
    ).all()
    return [{"user": user, "files": n} for user, n in rows]
