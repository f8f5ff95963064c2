"""Joint complaints (NHS complaints regulation 9, issue 18 item 6, ADR 0018).

A complaint about several organisations (a hospital and the community team, a GP and a trust) is
handled jointly: the organisation handling the item is the lead; it invites partners, each of
which sees the item (read only) and adds its part of the findings; the lead sends one coordinated
response, which names every organisation involved. The response clock is the lead's: nothing
here reads or writes it.

Every change is audited on the item in the same transaction. The CQC does not run joint NHS
complaints: an item in its queue takes no partners, and it is never one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from feedback import clocks
from feedback.audit import audit_record
from feedback.choices import TERMINAL_STATUSES, OrganisationKind, Route, Status
from feedback.errors import IllegalTransition, InvalidFeedback, NotPermitted
from feedback.models import Feedback, JointPartner, Organisation, User
from feedback.services.transitions import item_locked

REASON_MAX_LENGTH = 500
FINDINGS_MAX_LENGTH = 10000

NOT_LEAD = (
    "Only the lead organisation (the one handling the item) invites or removes partners of a "
    "joint complaint."
)
NOT_PARTNER = "Only a partner organisation of this joint complaint adds its part of the findings."


def joint_refusal(item: Feedback) -> str | None:
    """Why no partner can be invited to ``item`` now, or None."""
    if item.route == Route.CQC or (
        item.handled_by is not None and item.handled_by.kind == OrganisationKind.CQC
    ):
        return (
            "The CQC does not run joint NHS complaints: it acts on the risk and the NHS "
            "organisations answer the complaint. Reroute it to the lead NHS organisation first."
        )
    if not clocks.has_clock(item.kind):
        return (
            f"A {item.get_kind_display().lower()} has no response: only complaints and concerns "
            "are handled jointly."
        )
    if item.duplicate_of_id is not None:
        return f"It was merged into #{item.duplicate_of_id}: make that one joint instead."
    if item.status in TERMINAL_STATUSES or item.status == Status.RESPONDED:
        return "The final response has been sent or the item is closed: it can no longer be joint."
    return None


def _lead(item: Feedback, actor: User) -> None:
    if actor.organisation_id is None or actor.organisation_id != item.handled_by_id:
        raise NotPermitted(NOT_LEAD)


def joint_partner_invite(
    *, feedback: Feedback, organisation: Organisation, reason: str, actor: User
) -> JointPartner:
    """Invite ``organisation`` as a partner of the lead's complaint, saying why. Audited."""
    reason = " ".join(reason.split())
    with transaction.atomic():
        item = item_locked(feedback)
        _lead(item, actor)
        refusal = joint_refusal(item)
        if refusal:
            raise IllegalTransition(refusal)
        errors: dict[str, str] = {}
        if organisation.pk == item.handled_by_id:
            errors["organisation"] = (
                f"{organisation.name} is the lead organisation: choose another organisation."
            )
        elif organisation.kind == OrganisationKind.CQC:
            errors["organisation"] = "The CQC does not take part in joint NHS complaints."
        elif not organisation.is_active:
            errors["organisation"] = f"{organisation.name} is closed in the ODS directory."
        elif JointPartner.objects.filter(feedback=item, organisation=organisation).exists():
            errors["organisation"] = f"{organisation.name} is already a partner."
        if not reason:
            errors["reason"] = "Say why this organisation is part of the complaint."
        elif len(reason) > REASON_MAX_LENGTH:
            errors["reason"] = f"The reason must be {REASON_MAX_LENGTH} characters or fewer."
        if errors:
            raise InvalidFeedback(errors)
        partner = JointPartner.objects.create(
            feedback=item, organisation=organisation, reason=reason, invited_by=actor
        )
        audit_record(
            feedback=item,
            actor=actor,
            action="joint_partner_invited",
            to_value=organisation.ods_code,
            detail={"reason": reason, "organisation": organisation.name},
        )
    return partner


def joint_partner_remove(*, feedback: Feedback, organisation: Organisation, actor: User) -> None:
    """Take back an invitation: only the lead, and only before the partner added its part
    (a partner's findings, once given, stay part of the coordinated response). Audited."""
    with transaction.atomic():
        item = item_locked(feedback)
        _lead(item, actor)
        partner = (
            JointPartner.objects.select_for_update()
            .filter(feedback=item, organisation=organisation)
            .first()
        )
        if partner is None:
            raise InvalidFeedback({"organisation": f"{organisation.name} is not a partner."})
        if partner.has_contributed:
            raise IllegalTransition(
                f"{organisation.name} has added its part of the findings: it stays a partner."
            )
        if item.status in TERMINAL_STATUSES or item.status == Status.RESPONDED:
            raise IllegalTransition("The final response has been sent or the item is closed.")
        partner.delete()
        audit_record(
            feedback=item,
            actor=actor,
            action="joint_partner_removed",
            from_value=organisation.ods_code,
            detail={"organisation": organisation.name},
        )


def joint_contribution_save(*, feedback: Feedback, actor: User, findings: str) -> JointPartner:
    """Add or change the actor's organisation's part of the findings, until the lead responds.
    Audited (the text itself stays on the partner's row)."""
    findings = findings.replace("\r\n", "\n").strip()
    with transaction.atomic():
        item = item_locked(feedback)
        organisation_id = actor.organisation_id
        partner = None
        if organisation_id is not None and organisation_id != item.handled_by_id:
            partner = (
                JointPartner.objects.select_for_update()
                .filter(feedback=item, organisation_id=organisation_id)
                .first()
            )
        if partner is None:
            raise NotPermitted(NOT_PARTNER)
        if item.status in TERMINAL_STATUSES or item.status == Status.RESPONDED:
            raise IllegalTransition(
                "The lead organisation has sent the final response: the findings can no longer "
                "be changed."
            )
        if not findings:
            raise InvalidFeedback({"findings": "Enter your organisation's part of the findings."})
        if len(findings) > FINDINGS_MAX_LENGTH:
            raise InvalidFeedback(
                {"findings": f"The findings must be {FINDINGS_MAX_LENGTH:,} characters or fewer."}
            )
        changed = partner.has_contributed
        partner.findings = findings
        partner.contributed_by = actor
        partner.contributed_at = timezone.now()
        partner.save()
        audit_record(
            feedback=item,
            actor=actor,
            action="joint_findings_changed" if changed else "joint_findings_added",
            to_value=partner.organisation.ods_code,
            detail={"characters": len(findings)},
        )
    return partner


# --- Reads ---------------------------------------------------------------------------------------


def joint_partners_of(feedback: Feedback) -> list[JointPartner]:
    """The item's partners, in the order invited."""
    return list(
        JointPartner.objects.filter(feedback=feedback)
        .select_related("organisation", "invited_by", "contributed_by")
        .order_by("invited_at", "pk")
    )


@dataclass(frozen=True)
class JointView:
    """A joint complaint as one viewer may see it: the lead, the partners (another partner's
    findings only for the lead), and who is still to add their part."""

    lead: Organisation | None
    partners: list[JointPartner]
    is_lead: bool
    own: JointPartner | None  # the viewer's organisation as a partner

    @property
    def waiting_for(self) -> list[Organisation]:
        return [p.organisation for p in self.partners if not p.has_contributed]

    @property
    def all_contributed(self) -> bool:
        return not self.waiting_for


def joint_view(*, feedback: Feedback, user: User) -> JointView:
    partners = joint_partners_of(feedback)
    is_lead = user.organisation_id is not None and user.organisation_id == feedback.handled_by_id
    own = next((p for p in partners if p.organisation_id == user.organisation_id), None)
    return JointView(lead=feedback.handled_by, partners=partners, is_lead=is_lead, own=own)


def joint_response_problem(partners: Sequence[JointPartner]) -> str | None:
    """Why the lead cannot send the coordinated response yet (one of the item's ``partners``
    has not added its part), or None. Removing a partner who has nothing to add is the way on
    (audited)."""
    waiting = [p.organisation.name for p in partners if not p.has_contributed]
    if not waiting:
        return None
    one = len(waiting) == 1
    return (
        f"This is a joint complaint and {organisation_names(waiting)} "
        f"{'has' if one else 'have'} not added {'its' if one else 'their'} part of the findings: "
        "the one response must cover every organisation. Ask them to add it, or remove a "
        "partner that has nothing to add."
    )


def organisation_names(names: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def joint_partner_names(item: Feedback) -> str:
    """The partners' names for the ``{partner_organisations}`` placeholder; "" when the item is
    not joint."""
    return organisation_names(
        [
            name
            for name in JointPartner.objects.filter(feedback=item)
            .order_by("invited_at", "pk")
            .values_list("organisation__name", flat=True)
        ]
    )


def _folded(text: str) -> str:
    return text.replace("\u2019", "'").casefold()


def joint_response_text(
    item: Feedback, response_text: str, partners: Sequence[JointPartner]
) -> str:
    """The coordinated response as the complainant is sent it: it names every organisation
    involved (the lead and the item's ``partners``). When the lead's text does not name them
    all, a closing paragraph does."""
    names = [p.organisation.name for p in partners]
    if not names or item.handled_by is None:
        return response_text
    everyone = [item.handled_by.name, *names]
    text = _folded(response_text)
    if all(_folded(name) in text for name in everyone):
        return response_text
    return (
        f"{response_text}\n\nThis is one response for all the organisations involved in your "
        f"complaint: {organisation_names(everyone)}. {item.handled_by.name} coordinated it."
    )


def joint_on_reroute(*, item: Feedback, to: Organisation, actor: User | None) -> None:
    """A rerouted joint complaint: the new lead is no longer its own partner, and an item sent
    to the CQC is no longer joint (the CQC does not run joint complaints). Each partner taken
    off is audited, with its findings kept in the audit row. Called inside the reroute's
    transaction."""
    partners = JointPartner.objects.filter(feedback=item).select_related("organisation")
    if to.kind != OrganisationKind.CQC:
        partners = partners.filter(organisation=to)
    for partner in partners:
        audit_record(
            feedback=item,
            actor=actor,
            action="joint_partner_removed",
            from_value=partner.organisation.ods_code,
            detail={
                "organisation": partner.organisation.name,
                "reason": (
                    "rerouted to the CQC" if to.kind == OrganisationKind.CQC else "now the lead"
                ),
                "findings": partner.findings,
            },
        )
        partner.delete()
