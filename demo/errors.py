"""Why demo items cannot be made."""

from feedback.errors import DomainError


class SyntheticDataError(DomainError):
    """Synthetic items cannot be made: no organisation directory, or a count out of range."""
