"""Errors that cross RPC intact, so the gateway can answer field by field.

nameko rebuilds a remote exception from its registry when the class is
registered with ``deserialize_to_instance``; these carry JSON-safe arguments only, and
never personal data or note text (error messages reach logs and clients).
"""

from typing import Any

from nameko.exceptions import RpcTimeout, UnknownService, deserialize_to_instance

# A service that calls another one inside a call (kit.references' checks) passes on the other's silence
# as what it is, so the gateway answers 504 or 503 rather than a remote crash's 502.
deserialize_to_instance(RpcTimeout)
deserialize_to_instance(UnknownService)


@deserialize_to_instance
class ValidationFailed(Exception):
    """Input refused; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, Any]):
        super().__init__(errors)
        self.errors = errors


@deserialize_to_instance
class NotFound(Exception):
    def __init__(self, what: str, ref: str):
        super().__init__(what, ref)
        self.what, self.ref = what, ref


@deserialize_to_instance
class Conflict(Exception):
    """The write clashes with an existing record; ``existing`` points to it, and ``field`` (when given) names the
    input the clash is about, so that a form shows the message beside it."""

    def __init__(self, message: str, existing: str | None = None, field: str | None = None):
        super().__init__(message, existing, field)
        self.message, self.existing, self.field = message, existing, field or None


@deserialize_to_instance
class FileExists(Conflict):
    """An intake of a person already on file: names the file, and whether it can be re-opened (it is closed)
    or is still followed, so the caller re-opens it rather than duplicate the person."""

    def __init__(self, existing: str, file_status: str):
        # nameko rebuilds the exception from its arguments, as text: the state travels as a word, not a bool.
        Exception.__init__(self, existing, file_status)
        self.existing, self.file_status = existing, str(file_status)
        self.reopenable = self.file_status == "closed"
        self.message = (
            "a file with this national register number exists in this Mission and is closed: re-open it "
            "(a new episode) instead of a new intake"
            if self.reopenable
            else "a file with this national register number exists in this Mission and is still followed"
        )

    @property
    def details(self) -> dict[str, object]:
        """What the gateway adds to the 409 answer: the file's state, and whether it can be re-opened."""
        return {"file_status": self.file_status, "reopenable": self.reopenable}


@deserialize_to_instance
class Forbidden(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@deserialize_to_instance
class Busy(Exception):
    """Too much heavy work running already: try again after ``retry_after`` seconds (503 at the gateway)."""

    def __init__(self, message: str, retry_after: int = 1):
        super().__init__(message, retry_after)
        self.message, self.retry_after = message, int(retry_after)  # nameko sends arguments as text


@deserialize_to_instance
class DeadlineExceeded(Exception):
    """The caller's deadline passed: the work stopped, nobody was waiting for its answer (504 at the gateway)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# What a service refuses on purpose (answered 4xx, or 503/504 for work it will not do or did not finish
# in its caller's time): logged as one INFO line, not as an error (kit/logs.py).
REFUSALS = (ValidationFailed, NotFound, Conflict, Forbidden, Busy, DeadlineExceeded)
