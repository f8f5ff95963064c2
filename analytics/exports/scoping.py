"""What a regulator token may see: the items it may export, the organisations it may report on.

Items are scoped by the one scoping rule, ``Feedback.objects.visible_to``, as staff are.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from analytics.models import ApiToken
from feedback.choices import OrganisationKind
from feedback.models import Feedback, Organisation


def token_is_national(token: ApiToken) -> bool:
    """CQC and national clients (NHS England, national analysts) see every organisation."""
    return token.sees_england


def feedback_visible_to_token(token: ApiToken) -> QuerySet[Feedback]:
    """The items a token may export: the one scoping rule, as staff are scoped."""
    return Feedback.objects.visible_to(token)


def organisations_reported_by_token(token: ApiToken) -> QuerySet[Organisation]:
    """The organisations whose KO41 returns the token may read: trusts and ICBs in its scope."""
    orgs = Organisation.objects.filter(kind__in=[OrganisationKind.TRUST, OrganisationKind.ICB])
    if token_is_national(token):
        return orgs
    org = token.organisation
    if org.kind == OrganisationKind.ICB:
        return orgs.filter(Q(pk=org.pk) | Q(icb_id=org.pk))
    return orgs.filter(pk=org.pk)
