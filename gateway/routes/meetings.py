"""Meeting routes: the Mission's meetings with its partner organisations (the CLAIS forum), served by the
convention service, which owns the projects they concern.

A meeting is planned (``POST /meetings``), then its minutes are recorded once
(``POST /meetings/{id}/minutes``: attendance, staff present, decisions), which closes it; closed minutes
change only by a correction naming the version read (``PATCH /meetings/{id}/minutes``, 409 when stale).
Lists filter by project, organisation invited and date; a project's meetings are ``?project_id=``.
"""

from convention import meeting_schemas as ms
from marshmallow import fields, validate

from gateway.route import ID_PATTERN, Route, body_only, by_id, by_id_body, page_args

M = "/missions/<code>/meetings"


def _day(query: dict, name: str) -> str | None:
    # Dates cross the RPC as ISO text (plain JSON), loaded again by the service's schema.
    value = query.get(name)
    return value.isoformat() if value is not None else None


ROUTES = [
    Route(
        "GET",
        M,
        "convention.read",
        "convention",
        "list_meetings",
        "Meetings with partner organisations, the latest first (by project, organisation invited, dates)",
        lambda p, q, b: (
            [q.get("project_id"), q.get("partner_id"), _day(q, "date_from"), _day(q, "date_to")] + page_args(q)
        ),
        paginated=True,
        query={
            "project_id": fields.String(validate=validate.Regexp(ID_PATTERN)),
            "partner_id": fields.String(validate=validate.Regexp(ID_PATTERN)),
            "date_from": fields.Date(metadata={"description": "held on or after"}),
            "date_to": fields.Date(metadata={"description": "held on or before"}),
        },
    ),
    Route(
        "POST",
        M,
        "convention.meeting.write",
        "convention",
        "plan_meeting",
        "Plan a meeting with partner organisations: projects, organisations invited, agenda",
        body_only,
        body=ms.MeetingSchema,
        status=201,
    ),
    Route(
        "GET",
        M + "/<id>",
        "convention.read",
        "convention",
        "get_meeting",
        "A meeting: agenda, organisations invited and their attendance, staff present, decisions, corrections",
        by_id(),
    ),
    Route(
        "POST",
        M + "/<id>/minutes",
        "convention.meeting.write",
        "convention",
        "record_minutes",
        "Record a held meeting's minutes (attendance, staff present, decisions): the meeting is closed",
        by_id_body(),
        body=ms.MinutesSchema,
    ),
    Route(
        "PATCH",
        M + "/<id>/minutes",
        "convention.meeting.write",
        "convention",
        "correct_minutes",
        "Correct closed minutes, naming the version read (409 if corrected since)",
        by_id_body(),
        body=ms.MinutesCorrectionSchema,
    ),
]
