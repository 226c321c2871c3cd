"""The beneficiary service's data-protection entrypoints, wiring only (``BeneficiaryService`` takes them in).

What the Mission does as controller of the personal data it holds rather than to accompany a person: erasure,
the sector key's rotation, the audit trail and its unusual readers for the data-protection officer, the
retention schedule and subject access. The rules are in their nameko-free modules (``application``,
``rekey``, ``unusual``, ``retention``, ``access``); a second module keeps ``service.py`` to the path itself.
"""

from nameko.timer import timer

from beneficiary import access, rekey, retention, schemas, unusual
from beneficiary import application as app
from kit import metrics
from kit.entrypoint import entrypoint
from kit.retention import load_dry_run, load_periods


class DataProtection:
    """Entrypoints of ``BeneficiaryService`` (nameko finds them on the class that inherits them)."""

    @entrypoint("beneficiary.erase", answer=lambda _, erased: {"erased": erased})
    def erase(self, beneficiary_id):
        return app.erase(*self.unit, beneficiary_id)

    @entrypoint("beneficiary.rekey_pseudonyms", session=False)
    def rekey_pseudonyms(self, limit=500):
        """Sector key rotation: one batch of people re-derived under the current key (``beneficiary.rekey``)."""
        return rekey.rekey(self.db, self.site.source, max(1, min(int(limit), 5000)))

    @entrypoint("beneficiary.audit_review", reads=True, args=schemas.AuditQuerySchema)
    def list_audit(self, subject=None, user=None, since=None, until=None, page=1, page_size=50):
        return app.audit_entries(self.unit.session, subject, user, since, until, page, page_size)

    @entrypoint("beneficiary.audit_review", reads=True)
    def unusual_access(self, files=None):
        """Who opened ``files`` or more files outside their caseload in 24 hours (``beneficiary.unusual``)."""
        return unusual.readers(self.unit.session, self.clock.now(), files or unusual.THRESHOLD)

    @timer(interval=metrics.DUE_INTERVAL, eager=True)
    def measure_unusual(self):
        """``passerelle_unusual_readers``, for the data-protection officer's alert."""
        with self.db.session() as session:
            metrics.UNUSUAL_READERS.labels(self.name).set(len(unusual.readers(session, self.clock.now())))

    @entrypoint("retention.apply", session=False)
    def apply_retention(self, periods=None, dry_run=True):
        """The Mission's retention schedule (``beneficiary.retention``): closed files erased, old audit,
        outbox and inbox rows purged; with ``dry_run`` (the default) only what would go is answered."""
        checked, dry = load_periods(periods), load_dry_run(dry_run)
        return retention.apply(self.db.transaction, self.unit.actor, self.clock, self.site.source, checked, dry)

    @entrypoint("beneficiary.subject_access")
    def subject_access(self, beneficiary_id):
        """Everything this service holds about one person (GDPR art. 15; ``beneficiary.access``), audited."""
        return access.export(self.unit.session, self.unit.actor, self.clock, beneficiary_id)
