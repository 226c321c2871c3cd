"""Referral routes: a local partner refers a person to the Mission and follows its own referrals' status; the
counsellors accept (an intake pre-filled from the referral) or decline (beneficiary.referrals)."""

from beneficiary import referral_schemas as rs
from marshmallow import fields, validate

from gateway.route import Route, by_id_body, page_args

R = "/missions/<code>/referrals"

ROUTES = [
    Route(
        "POST",
        R,
        "beneficiary.referral.submit",
        "beneficiary",
        "submit_referral",
        "A partner refers a person to the Mission, with the person's consent (422 without it; 409 when the same "
        "person's referral awaits its answer, or was declined and nothing is new)",
        lambda p, q, b: [b],
        body=rs.ReferralSchema,
        status=201,
    ),
    Route(
        "GET",
        R,
        "beneficiary.referral.read",
        "beneficiary",
        "list_referrals",
        "A partner: the referrals its organisation made and their status. The Mission's staff: the referrals "
        "received (by default those awaiting an answer; ?status=accepted or declined)",
        lambda p, q, b: [{"status": q.get("status")}, *page_args(q), q["purpose"]],
        query={"status": fields.String(validate=validate.OneOf(rs.REFERRAL_STATUSES))},
        personal=True,
        paginated=True,
    ),
    Route(
        "GET",
        R + "/<id>",
        "beneficiary.referral.read",
        "beneficiary",
        "get_referral",
        "One referral (a partner: only one its organisation made; any other is not found)",
        lambda p, q, b: [p["id"], q["purpose"]],
        personal=True,
    ),
    Route(
        "POST",
        R + "/<id>/accept",
        "beneficiary.referral.answer",
        "beneficiary",
        "accept_referral",
        "Accept a referral: the person's file is opened by intake, pre-filled with what the partner gave and "
        "completed by the body (every intake rule applies)",
        by_id_body(),
        body=rs.ReferralAcceptSchema,
    ),
    Route(
        "POST",
        R + "/<id>/decline",
        "beneficiary.referral.answer",
        "beneficiary",
        "decline_referral",
        "Decline a referral with a reason, which the partner reads",
        by_id_body(),
        body=rs.ReferralDeclineSchema,
    ),
    Route(
        "POST",
        "/missions/<code>/beneficiaries/<id>/referrer-consent",
        "beneficiary.record_consent",
        "beneficiary",
        "record_referrer_consent",
        "Record whether the person agrees that the partner who referred them be told whether they are in "
        "accompaniment or their path ended",
        by_id_body(),
        body=rs.ReferrerConsentSchema,
    ),
]
