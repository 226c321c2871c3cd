"""The beneficiary service's referral entrypoints, wiring only (``BeneficiaryService`` takes them in).

A local partner refers a person to the Mission; the counsellors accept (an intake) or decline; the partner
follows the status of its own referrals. The rules are in ``beneficiary.referrals``.
"""

from collections.abc import Mapping
from typing import Any

from beneficiary import referral_schemas as schemas
from beneficiary import referrals
from kit.entrypoint import entrypoint
from kit.inputs import load
from kit.references import rpc_lookup


def _listing(value: object) -> dict:
    return load(schemas.ReferralListSchema(), value)


def _completed(value: object) -> Any:
    """The counsellor's completion of the intake, checked for shape and kept as sent (JSON values): it is
    loaded as an intake once merged with what the partner gave (``referrals.intake_from``)."""
    load(schemas.ReferralAcceptSchema(), value)
    return dict(value) if isinstance(value, dict) else {}


def _partner_type(service: Any, **_: Any) -> str | None:
    """The caller's organisation as the Mission's partner directory knows it (asked before any transaction)."""
    actor = service.caller.actor
    known: Mapping[str, str | None] = rpc_lookup({"employer": service.employer})("partner", [actor.organisation])
    return referrals.partner_type_of(actor, known)


class Referrals:
    """Entrypoints of ``BeneficiaryService`` (nameko finds them on the class that inherits them)."""

    @entrypoint("beneficiary.referral.submit", payload=schemas.ReferralSchema, consult=_partner_type)
    def submit_referral(self, payload):
        """A partner refers a person, with their consent (422 without); 409 for the same person again."""
        return referrals.submit(*self.unit, payload, self.unit.consulted)

    @entrypoint("beneficiary.referral.read", asked=_listing)
    def list_referrals(self, asked=None, page=1, page_size=25, purpose="referral"):
        """A partner's own referrals with their status, or the Mission's queue of referrals; each audited."""
        return referrals.listing(
            self.unit.session, self.unit.actor, self.clock, asked["status"], page, page_size, purpose
        )

    @entrypoint("beneficiary.referral.read")
    def get_referral(self, referral_id, purpose="referral"):
        return referrals.one(self.unit.session, self.unit.actor, self.clock, referral_id, purpose)

    @entrypoint("beneficiary.referral.answer", payload=_completed)
    def accept_referral(self, referral_id, payload):
        """The referral becomes an intake, pre-filled with what the partner gave."""
        return referrals.accept(*self.unit, referral_id, payload)

    @entrypoint("beneficiary.referral.answer", payload=schemas.ReferralDeclineSchema)
    def decline_referral(self, referral_id, payload):
        return referrals.decline(*self.unit, referral_id, payload)

    @entrypoint("beneficiary.record_consent", payload=schemas.ReferrerConsentSchema)
    def record_referrer_consent(self, beneficiary_id, payload):
        """Whether the person agrees that the partner who referred them be told where they stand."""
        return referrals.record_inform_referrer(self.unit.session, self._file(beneficiary_id), payload)
