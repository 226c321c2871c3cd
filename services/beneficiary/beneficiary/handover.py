"""The beneficiary service's transfer entrypoints, wiring only (``BeneficiaryService`` takes them in).

A person's file handed to another Mission with their consent: the request, the receiving Mission's list and
answer, and the one handler of every transfer event addressed to this Mission (a request, or the answer to
one of ours). The rules are in ``beneficiary.transfers``.
"""

from beneficiary import schemas, transfers
from contracts import transfer
from contracts.catalogue import load
from kit import forwarded
from kit.application import to_outbox
from kit.consumer import event_handler
from kit.entrypoint import entrypoint
from kit.inputs import load as load_through

ANY_TRANSFER = "be.mire.beneficiary.*.v1"  # on the transfers exchange only transfer events travel


def _listing(value: object) -> dict:
    return load_through(schemas.TransferListSchema(), value)


class Transfers:
    """Entrypoints of ``BeneficiaryService`` (nameko finds them on the class that inherits them)."""

    @entrypoint("beneficiary.transfer", payload=schemas.TransferRequestSchema)
    def request_transfer(self, beneficiary_id, payload):
        """Ask another Mission to take the file over, with the person's consent."""
        return transfers.request(*self.unit, self.site.code, self.site.missions, self._file(beneficiary_id), payload)

    @entrypoint("beneficiary.transfer", asked=_listing)
    def list_transfers(self, asked=None, page=1, page_size=25, purpose="transfer"):
        """The transfers received (by default) or sent, with what each moves; each one listed is audited."""
        return transfers.listing(
            self.unit.session,
            self.unit.actor,
            self.clock,
            asked["direction"],
            asked["status"],
            page,
            page_size,
            purpose,
        )

    @entrypoint("beneficiary.transfer")
    def accept_transfer(self, transfer_id):
        return transfers.accept(*self.unit, self.site.code, transfer_id)

    @entrypoint("beneficiary.transfer", payload=schemas.TransferDeclineSchema)
    def decline_transfer(self, transfer_id, payload):
        return transfers.decline(*self.unit, self.site.code, transfer_id, payload)

    @event_handler(ANY_TRANSFER, source="transfer", admit=forwarded.admit_transfer)
    def on_transfer(self, event):
        """Every transfer addressed to this Mission, through its one inbound queue, applied once; one that did
        not come from its source Mission's vhost through the transfers vhost, as the shovels' forward headers
        say, is dead-lettered with the reason before it reaches here (``kit.forwarded``)."""
        data = load(event, transfer.Transfer)
        with self.db.once(event) as session:
            if session is None:
                return
            sender = forwarded.sender_of(event.source)
            to_outbox(session, transfers.receive(session, self.clock, self.site.source, self.site.code, sender, data))
