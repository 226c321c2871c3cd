"""The beneficiary service's orientation entrypoints, wiring only (``BeneficiaryService`` takes them in).

A person oriented to a partner's service from their plan, the outcome recorded, the orientations read.
The rules are in ``beneficiary.orientation_rules``, the use cases in ``beneficiary.orientations``.
"""

from beneficiary import orientations
from beneficiary.orientation_schemas import OrientationOutSchema, OrientationSchema, OutcomeSchema
from kit.entrypoint import entrypoint

ORIENT = "beneficiary.orient"


class Orientations:
    """Entrypoints of ``BeneficiaryService`` (nameko finds them on the class that inherits them)."""

    @entrypoint(
        ORIENT,
        payload=OrientationSchema,
        consult=orientations.partner_type_of,
        answer=OrientationOutSchema,
    )
    def orient(self, beneficiary_id, payload):
        """Orient the person to a partner's service (checked in the partner directory before anything is written)."""
        return orientations.orient(*self.unit, self._file(beneficiary_id), payload, self.unit.consulted)

    @entrypoint(ORIENT, payload=OutcomeSchema, answer=OrientationOutSchema)
    def record_orientation_outcome(self, beneficiary_id, orientation_id, payload):
        """Attended, done, not taken up (with a reason) or cancelled, on the version read (409 otherwise)."""
        return orientations.record_outcome(*self.unit, self._file(beneficiary_id), orientation_id, payload)

    @entrypoint("beneficiary.read", answer=OrientationOutSchema(many=True))
    def list_orientations(self, beneficiary_id, purpose="accompaniment"):
        return orientations.listing(*self._reader, beneficiary_id, purpose)
