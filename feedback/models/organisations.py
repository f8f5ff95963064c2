"""Organisations (NHS trusts, ICBs, the CQC, GP practices and the rest of the ODS directory), their
regions, and the staff who work for them; which organisations a viewer sees."""

from __future__ import annotations

from typing import Protocol

from django.contrib.auth.models import AbstractUser
from django.db import models

from feedback.choices import (
    PRACTICE_KINDS,
    OrganisationKind,
    Role,
    TrustType,
)


class Region(models.Model):
    """One of the seven NHS England regions that group the integrated care boards."""

    code = models.CharField(max_length=5, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """An NHS body: one that handles feedback (a trust, an integrated care board, the CQC, NHS
    England's national triage queue) or a primary care practice patients name as the place of
    care (its ICB handles the feedback).

    Loaded from the ODS directory (``manage.py import_ods``); the ODS code is the key everyone else
    uses for it.
    """

    ods_code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    trust_type = models.CharField(max_length=20, choices=TrustType.choices, blank=True)
    icb = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="trusts",
        limit_choices_to={"kind": OrganisationKind.ICB},
        help_text="The integrated care board a trust or practice sits in.",
    )
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT)
    postcode = models.CharField(max_length=10, blank=True)
    # The ODS address lines as people write them ("61 The Market Square, London"): shown beside a
    # practice's name so a patient can tell two of the same name apart, and searched by town.
    address = models.CharField(max_length=300, blank=True, default="", db_default="")
    # Four weeks is the national target; some organisations work to 25 working days instead.
    response_target_days = models.PositiveSmallIntegerField(default=28)
    response_target_working_days = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["kind", "name"]),
            models.Index(fields=["kind", "postcode"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.ods_code})"

    @property
    def is_practice(self) -> bool:
        """A GP, dental or pharmacy practice: a place of care, never a queue."""
        return self.kind in PRACTICE_KINDS


class User(AbstractUser):
    """A member of staff. Every account belongs to one organisation and sees only its queue."""

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    role = models.CharField(max_length=15, choices=Role.choices, default=Role.HANDLER)

    @property
    def sees_england(self) -> bool:
        """CQC staff oversee every organisation (dashboards); their queue is still the CQC's."""
        return self.organisation is not None and self.organisation.kind == OrganisationKind.CQC


class Viewer(Protocol):
    """Anyone items are shown to: a member of staff, or a regulator's API token."""

    @property
    def organisation(self) -> Organisation | None: ...

    @property
    def sees_england(self) -> bool: ...


def organisations_visible_to(viewer: Viewer) -> frozenset[int] | None:
    """The organisations whose queues ``viewer`` may see; None: every one (the CQC, a national
    token). An ICB sees its own queue and its trusts' (oversight of its system); a trust its own.
    Nobody else's queue, whatever the item is about: an item's provider never widens who sees it.
    """
    if viewer.sees_england:
        return None
    org = viewer.organisation
    if org is None:
        return frozenset()
    if org.kind == OrganisationKind.ICB:
        trusts = Organisation.objects.filter(icb_id=org.pk).values_list("pk", flat=True)
        return frozenset([org.pk, *trusts])
    return frozenset([org.pk])
