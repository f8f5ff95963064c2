"""Managers keep their organisation's reply templates; handlers fill one in for an item."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from feedback.choices import Role
from feedback.errors import InvalidFeedback
from feedback.labels import communication_needs_text
from feedback.models import Feedback, ReplyTemplate, User
from feedback.reply_templates import (
    OMBUDSMAN,
    TEMPLATE_STEPS,
    placeholder_problem,
    render,
)
from feedback.services import joint, workflow

NAME_MAX_LENGTH = 80
BODY_MAX_LENGTH = {"request-information": 2000, "request-consent": 2000, "respond": 20000}


def _manager(user: User) -> int:
    """The manager's organisation; refused for anyone else."""
    if user.role != Role.MANAGER or user.organisation_id is None:
        raise InvalidFeedback(
            {"template": "Only a manager of the organisation edits its templates."}
        )
    return user.organisation_id


def reply_template_save(
    *, user: User, step: str, name: str, body: str, pk: int | None = None
) -> ReplyTemplate:
    """Create or change one of the organisation's templates, checked as the reply would be."""
    organisation_id = _manager(user)
    name = " ".join(name.split())
    body = body.replace("\r\n", "\n").strip()
    errors: dict[str, str] = {}
    if "\x00" in name + body:
        errors["body"] = "Remove the null character from the template."
    if step not in TEMPLATE_STEPS:
        errors["step"] = "Choose the step the template is for."
    if not name:
        errors["name"] = "Enter a name for the template."
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = f"The name must be {NAME_MAX_LENGTH} characters or fewer."
    limit = BODY_MAX_LENGTH.get(step, 2000)
    if not body:
        errors["body"] = "Enter the wording of the template."
    elif len(body) > limit:
        errors["body"] = f"The wording must be {limit:,} characters or fewer."
    elif problem := placeholder_problem(body):
        errors["body"] = problem
    elif step == "respond" and OMBUDSMAN.lower() not in body.lower():
        errors["body"] = (
            "A final response must tell the complainant they can go to the Parliamentary and "
            "Health Service Ombudsman."
        )
    if errors:
        raise InvalidFeedback(errors)
    try:
        with transaction.atomic():
            if pk is None:
                return ReplyTemplate.objects.create(
                    organisation_id=organisation_id,
                    step=step,
                    name=name,
                    body=body,
                    updated_by=user,
                )
            template = ReplyTemplate.objects.select_for_update().get(
                pk=pk, organisation_id=organisation_id
            )
            template.step, template.name, template.body = step, name, body
            template.updated_by, template.updated_at = user, timezone.now()
            template.save()
            return template
    except ReplyTemplate.DoesNotExist as exc:
        raise InvalidFeedback({"template": "No such template in your organisation."}) from exc
    except IntegrityError as exc:
        raise InvalidFeedback({"name": f"There is already a template called {name}."}) from exc


def reply_template_delete(*, user: User, pk: int) -> None:
    organisation_id = _manager(user)
    deleted, _ = ReplyTemplate.objects.filter(pk=pk, organisation_id=organisation_id).delete()
    if not deleted:
        raise InvalidFeedback({"template": "No such template in your organisation."})


def reply_template_fill(*, item: Feedback, user: User, body: str, reveal_name: bool = True) -> str:
    """The template's wording for this item. Filling in the complainant's name reads their
    contact details, so it is recorded in the audit trail as viewing them."""
    name = patient = ""
    if reveal_name and ("{patient_name}" in body or "{on_behalf_of}" in body):
        identity = workflow.identity_reveal(feedback=item, actor=user)
        name = identity.name if identity and identity.name else ""
        patient = identity.patient_name if identity and identity.patient_name else ""
    values = {
        "patient_name": name or "Sir or Madam",
        "on_behalf_of": patient or "the patient",
        "reference": str(item.pk),
        "received_date": f"{timezone.localtime(item.received_at):%-d %B %Y}",
        "response_due": f"{item.response_due:%-d %B %Y}" if item.response_due else "",
        "handler_name": user.get_full_name() or user.get_username(),
        "organisation": item.handled_by.name if item.handled_by else "",
        "communication_needs": (
            communication_needs_text(
                item.communication_needs, item.interpreter_language, capitalise=False
            )
            if item.communication_needs
            else "none recorded"
        ),
        "partner_organisations": joint.joint_partner_names(item),
    }
    return render(body, values)
