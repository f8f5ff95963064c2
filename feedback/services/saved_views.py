"""Saved queue views: a handler's filters and sort under a name, private or shared with the team."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.db import IntegrityError, transaction

from feedback.errors import InvalidFeedback
from feedback.models import SavedView, User

NAME_MAX_LENGTH = 60
# What a view may hold: the queue's filters, search and sort (anything else is dropped).
VIEW_PARAMETERS = frozenset(
    {"q", "status", "kind", "sentiment", "sentiment_label", "theme", "risk", "assignee", "due",
     "check", "ordering"}
)  # fmt: skip


def saved_view_create(*, user: User, name: str, query: str, shared: bool = False) -> SavedView:
    """Save the queue's current filters as ``name`` for ``user`` (and their team if shared)."""
    name = " ".join(name.split())
    errors: dict[str, str] = {}
    if "\x00" in name:
        errors["name"] = "Remove the null character from the name."
    elif not name:
        errors["name"] = "Enter a name for the view."
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = f"The name must be {NAME_MAX_LENGTH} characters or fewer."
    pairs = [(k, v) for k, v in parse_qsl(query) if k in VIEW_PARAMETERS and v]
    if not pairs:
        errors["query"] = "Choose a filter, a search or a sort before saving a view."
    kept = urlencode(pairs)
    if len(kept) > 500:
        errors["query"] = "The filters are too long to save (at most 500 characters)."
    organisation = user.organisation
    if organisation is None:
        errors["name"] = "Only staff of an organisation have a queue to save views of."
    if errors or organisation is None:
        raise InvalidFeedback(errors)
    try:
        with transaction.atomic():
            return SavedView.objects.create(
                organisation=organisation,
                owner=user,
                name=name,
                query=kept,
                shared=shared,
            )
    except IntegrityError as exc:
        raise InvalidFeedback({"name": f"You already have a view called {name}."}) from exc


def saved_view_delete(*, user: User, pk: int) -> None:
    """Delete one of the user's own views (a shared view is its owner's to delete)."""
    deleted, _ = SavedView.objects.filter(pk=pk, owner=user).delete()
    if not deleted:
        raise InvalidFeedback({"view": "You can only delete views you saved."})
