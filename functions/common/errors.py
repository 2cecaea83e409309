"""One domain exception hierarchy. The API maps it to HTTP responses in one place (api/handler.py)."""

from __future__ import annotations


class HookwireError(Exception):
    """Base of every error Hookwire raises on purpose. `status` is the HTTP status it maps to."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Unauthorized(HookwireError):
    status = 401
    code = "unauthorized"


class Forbidden(HookwireError):
    status = 403
    code = "forbidden"


class NotFound(HookwireError):
    status = 404
    code = "not_found"


class Conflict(HookwireError):
    status = 409
    code = "conflict"


class BadRequest(HookwireError):
    status = 400
    code = "bad_request"


class ValidationFailed(HookwireError):
    status = 422
    code = "validation_failed"


class PayloadTooLarge(HookwireError):
    status = 413
    code = "payload_too_large"


class TooManyRequests(HookwireError):
    """A per-tenant abuse limit was reached; `retry_after_seconds` becomes the Retry-After header."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after_seconds: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after_seconds = retry_after_seconds


class DependencyFailure(HookwireError):
    """An AWS call failed. Always raised `from` the SDK error so the cause is kept."""

    status = 503
    code = "dependency_unavailable"


class PermanentMessageError(HookwireError):
    """A queue message that can never succeed (unparseable, unknown tenant). It ends in the DLQ."""

    status = 400
    code = "permanent_message_error"


class EventRejected(PermanentMessageError):
    """An events-queue message whose event the ingest rules refuse; `field` names what is wrong."""

    code = "event_rejected"


class _RecordNotFound(NotFound):
    """A record the request names does not exist: the message and `field` name it the same way for every
    kind of record (`field` is the id's name in paths and bodies)."""

    record: str
    id_field: str

    def __init__(self, record_id: str) -> None:
        super().__init__(f"{self.record} {record_id} not found", field=self.id_field)


class TenantNotFound(_RecordNotFound):
    record, id_field = "tenant", "tenant_id"


class TokenNotFound(_RecordNotFound):
    record, id_field = "token", "token_id"


class EventTypeNotFound(_RecordNotFound):
    record, id_field = "event type", "event_type"


class HookNotFound(_RecordNotFound):
    record, id_field = "hook", "hook_id"


class EventNotFound(_RecordNotFound):
    record, id_field = "event", "event_id"


class ExecutionNotFound(_RecordNotFound):
    record, id_field = "execution", "execution_id"
