"""marshmallow schemas of meetings with partner organisations (``convention.meetings``).

There is no field for a person: a meeting names projects, partner organisations and the Mission's own staff
present, never a job seeker (their situation is discussed in their file, not in a forum's minutes).
"""

from marshmallow import RAISE, Schema, fields, validate

from convention.meeting_rules import ATTENDANCE
from kit.corrections import CorrectionBody, version_field

REF = validate.Length(1, 36, error="a reference of 1 to 36 characters is expected")
TIME = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="a time as HH:MM is expected")


class _Strict(Schema):
    class Meta:
        unknown = RAISE  # status, version and minutes are never mass-assigned


class AgendaItemSchema(_Strict):
    title = fields.String(required=True, validate=validate.Length(2, 200))
    detail = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 2000))


class MeetingSchema(_Strict):
    """A meeting planned: what, when, where, about which projects, with which organisations, its agenda."""

    title = fields.String(required=True, validate=validate.Length(2, 200))
    held_on = fields.Date(required=True, metadata={"description": "the day of the meeting"})
    starts_at = fields.String(load_default=None, allow_none=True, validate=TIME)
    place = fields.String(required=True, validate=validate.Length(2, 200))
    project_ids = fields.List(
        fields.String(validate=REF),
        load_default=list,
        validate=validate.Length(0, 20, error="at most twenty projects"),
        metadata={"description": "the Mission's projects the meeting concerns"},
    )
    partner_ids = fields.List(
        fields.String(validate=REF),
        required=True,
        validate=validate.Length(1, 40, error="one to forty organisations"),
        metadata={"description": "the partner organisations invited (the partner directory's references)"},
    )
    agenda = fields.List(
        fields.Nested(AgendaItemSchema),
        required=True,
        validate=validate.Length(1, 30, error="one to thirty items"),
        metadata={"description": "the items in the order of the meeting"},
    )


class MeetingAttendanceSchema(_Strict):
    partner_id = fields.String(required=True, validate=REF)
    status = fields.String(required=True, validate=validate.OneOf(ATTENDANCE))


class MeetingStaffSchema(_Strict):
    """One of the Mission's staff present (not a partner's staff, not a person followed)."""

    name = fields.String(required=True, validate=validate.Length(2, 200))
    function = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 100))


class MeetingDecisionSchema(_Strict):
    text = fields.String(required=True, validate=validate.Length(2, 2000))
    acts = fields.String(
        required=True,
        validate=REF,
        metadata={"description": '"mission", or the reference of the organisation invited that acts'},
    )
    due_on = fields.Date(required=True, metadata={"description": "by when"})


class MinutesSchema(_Strict):
    """What a meeting's minutes record: attendance of every organisation invited, staff present, decisions."""

    attendance = fields.List(fields.Nested(MeetingAttendanceSchema), required=True, validate=validate.Length(1, 40))
    staff_present = fields.List(
        fields.Nested(MeetingStaffSchema),
        required=True,
        validate=validate.Length(1, 30, error="one to thirty of the Mission's staff"),
    )
    decisions = fields.List(fields.Nested(MeetingDecisionSchema), load_default=list, validate=validate.Length(0, 50))


class MinutesCorrectionSchema(CorrectionBody, MinutesSchema):
    """A correction of closed minutes: the parts that change, and the version read (409 if corrected since)."""

    version = version_field("meeting")


class MeetingFilterSchema(Schema):
    """A listing's filters: by project, by organisation invited, by date (inclusive)."""

    project_id = fields.String(load_default=None, allow_none=True, validate=REF)
    partner_id = fields.String(load_default=None, allow_none=True, validate=REF)
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10**6))
    page_size = fields.Integer(load_default=25, validate=validate.Range(1, 100))


# -- what the service answers ----------------------------------------------------
class MeetingOutSchema(Schema):
    id = fields.String()
    title = fields.String()
    held_on = fields.Date()
    starts_at = fields.String()
    place = fields.String()
    status = fields.String()
    version = fields.Integer()
    agenda = fields.List(fields.Dict())
    created_at = fields.DateTime()
    created_by = fields.String()
    closed_at = fields.DateTime()
    closed_by = fields.String()
