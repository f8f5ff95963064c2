"""Scopes: the queues a dashboard covers, and which of them each member of staff may choose.

A trust's staff see their trust; an ICB's staff their own queue and their trusts'; the CQC's
staff every organisation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from feedback.choices import OrganisationKind
from feedback.models import Feedback, Organisation, User


@dataclass(frozen=True)
class Scope:
    """A set of queues: one organisation's, an ICB's and its trusts', or every one (None)."""

    key: str
    label: str
    organisation_ids: frozenset[int] | None
    subject: Organisation | None = None  # the trust or ICB in focus; None for England

    @property
    def level(self) -> str:
        if self.subject is None:
            return "national"
        if self.subject.kind == OrganisationKind.ICB and self.key.startswith("icb:"):
            return "icb"
        return "organisation"

    def items(self) -> QuerySet[Feedback]:
        items = Feedback.objects.filter(handled_by__isnull=False)
        if self.organisation_ids is not None:
            items = items.filter(handled_by_id__in=self.organisation_ids)
        return items

    def can_open(self, user: User, item_organisation_id: int | None) -> bool:
        """Whether a dashboard links the item to its page: only for the queue that handles it."""
        return user.organisation_id == item_organisation_id


def _organisation_scope(org: Organisation) -> Scope:
    return Scope(f"org:{org.ods_code}", org.name, frozenset([org.pk]), org)


def _system_scope(icb: Organisation, trusts: Iterable[Organisation]) -> Scope:
    ids = frozenset([icb.pk, *(t.pk for t in trusts)])
    return Scope(f"icb:{icb.ods_code}", f"{icb.name} and its trusts", ids, icb)


NATIONAL = Scope("england", "Every organisation in England", None)


def scopes_for(user: User) -> list[Scope]:
    """The scopes the user may choose, the default first (one query for the directory)."""
    org = user.organisation
    if org is None:
        return []
    if org.kind == OrganisationKind.TRUST:
        return [_organisation_scope(org)]
    directory = list(Organisation.objects.order_by("name"))
    trusts_of: dict[int, list[Organisation]] = defaultdict(list)
    for other in directory:
        if other.kind == OrganisationKind.TRUST and other.icb_id is not None:
            trusts_of[other.icb_id].append(other)
    if org.kind == OrganisationKind.ICB:
        return [
            _system_scope(org, trusts_of[org.pk]),
            Scope(f"org:{org.ods_code}", f"{org.name} (its own queue)", frozenset([org.pk]), org),
            *(_organisation_scope(t) for t in trusts_of[org.pk]),
        ]
    scopes = [NATIONAL, _organisation_scope(org)]
    scopes += [
        _system_scope(icb, trusts_of[icb.pk])
        for icb in directory
        if icb.kind == OrganisationKind.ICB
    ]
    scopes += [_organisation_scope(t) for t in directory if t.kind == OrganisationKind.TRUST]
    return scopes
