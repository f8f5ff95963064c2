"""Domain errors raised by services; views and the API turn them into messages and status codes."""

from __future__ import annotations


class DomainError(Exception):
    """A request that the rules of the domain do not allow."""


class InvalidFeedback(DomainError):
    """Submitted feedback that cannot be accepted; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class IllegalTransition(DomainError):
    """A status change that the workflow does not allow from the item's current status."""


class SubmissionKeyReused(DomainError):
    """A submission key already used for different content (a client's Idempotency-Key)."""


class NotPermitted(DomainError):
    """A step the user's organisation may not take on an item it can see (a joint complaint's
    partner inviting others, or the lead adding a partner's part): 403 in the API."""
