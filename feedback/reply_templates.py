"""Reply templates: the wording a handler starts from when asking the complainant for information
or writing the final response, with placeholders filled from the item.

The shipped defaults are plain English in the NHS's tone; each organisation's managers add their
own (staff/templates/). The final response names the Parliamentary and Health Service Ombudsman,
as the response itself must.
"""

from __future__ import annotations

import string
from typing import NamedTuple

# The steps with text a template can fill: the step's name and the form field it fills.
TEMPLATE_STEPS: dict[str, tuple[str, str]] = {
    "request-information": ("Asking the complainant for information", "note"),
    "request-consent": ("Asking for the patient's consent", "note"),
    "respond": ("Final response", "response_text"),
}
# What a template may use, and what each holds.
PLACEHOLDERS: dict[str, str] = {
    "patient_name": "the complainant's name (or 'Dear patient' wording when none was given)",
    "on_behalf_of": (
        "when someone wrote for the patient: the patient's name ('the patient' when none was given)"
    ),
    "reference": "the item's number, like 1234",
    "received_date": "the day the feedback was received, like 3 December 2026",
    "response_due": "the response date, like 31 December 2026",
    "handler_name": "your name",
    "organisation": "your organisation's name",
    "communication_needs": (
        "the formats and support the patient needs, like 'large print, an interpreter (Polish)' "
        "('none recorded' when they gave none)"
    ),
    "partner_organisations": (
        "the partner organisations of a joint complaint, like 'Whittington Health NHS Trust and "
        "Camden GP Federation' (empty when the complaint is not joint)"
    ),
}
OMBUDSMAN = "Ombudsman"


class Template(NamedTuple):
    key: str  # "default-..." for the shipped ones, the database id for an organisation's own
    step: str
    name: str
    body: str


DEFAULTS: tuple[Template, ...] = (
    Template(
        "default-information",
        "request-information",
        "Asking for more information",
        "Dear {patient_name},\n\nThank you for your complaint (reference {reference}), which we "
        "received on {received_date}. To look into it properly we need a little more "
        "information from you:\n\n[what you need]\n\nPlease reply through your tracking link "
        "or to this letter. We have paused the time we take to reply until we hear from you, "
        "and we will restart it as soon as you answer.\n\nYours sincerely,\n{handler_name}\n"
        "{organisation}",
    ),
    Template(
        "default-consent",
        "request-consent",
        "Asking for the patient's consent",
        "Dear {patient_name},\n\nThank you for your complaint (reference {reference}) about the "
        "care of {on_behalf_of}, which we received on {received_date}.\n\nBecause it is about "
        "someone else's care, we need {on_behalf_of}'s agreement before we can look at their "
        "records and tell you what we find. Please ask them to read, sign and date the enclosed "
        "consent form, and send it back to us. You can post it, or add a photo of it through "
        "your tracking link.\n\nIf they cannot agree because they lack capacity to decide, or "
        "if they have died, or if they are a child and you have parental responsibility, please "
        "tell us so instead.\n\nWe have paused the time we take to reply until we have their "
        "answer. If they do not agree, we will still look into your concerns, but we will not "
        "be able to share their personal information with you.\n\nYours sincerely,\n"
        "{handler_name}\n{organisation}",
    ),
    Template(
        "default-response",
        "respond",
        "Final response",
        "Dear {patient_name},\n\nThank you for your complaint (reference {reference}), which we "
        "received on {received_date}. I am sorry for the distress this has caused.\n\n"
        "What happened:\n[what the investigation found]\n\nWhat we have done:\n[apologies, "
        "changes made, lessons learnt]\n\nIf you are not satisfied with this response, please "
        "contact us and we will try to resolve it. You can also ask the Parliamentary and "
        "Health Service Ombudsman to look at your complaint. It is free and independent: "
        "www.ombudsman.org.uk or 0345 015 4033.\n\nYours sincerely,\n{handler_name}\n"
        "{organisation}",
    ),
    Template(
        "default-joint-response",
        "respond",
        "Final response to a joint complaint",
        "Dear {patient_name},\n\nThank you for your complaint (reference {reference}), which we "
        "received on {received_date}. Because it is about care from more than one organisation, "
        "{organisation} has looked into it together with {partner_organisations}, and this is "
        "our one response for all of us. I am sorry for the distress this has caused.\n\n"
        "What happened:\n[what each organisation's investigation found]\n\nWhat we have done:\n"
        "[apologies, changes made, lessons learnt]\n\nIf you are not satisfied with this "
        "response, please contact us and we will try to resolve it. You can also ask the "
        "Parliamentary and Health Service Ombudsman to look at your complaint. It is free and "
        "independent: www.ombudsman.org.uk or 0345 015 4033.\n\nYours sincerely,\n"
        "{handler_name}\n{organisation}",
    ),
)


def placeholder_problem(body: str) -> str | None:
    """Why ``body`` cannot be a template (an unknown placeholder, a stray brace), or None."""
    try:
        parsed = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(body)
            if name is not None
        ]
    except ValueError:
        return "A { or } is not closed: write placeholders like {patient_name}."
    fields = [name for name, _, _ in parsed]
    if any(spec or conversion for _, spec, conversion in parsed):
        return "Write placeholders as the name alone in braces, like {patient_name}."
    unknown = sorted({name for name in fields if name not in PLACEHOLDERS})
    if unknown:
        known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        return f"Unknown placeholder {{{unknown[0]}}}: use {known}."
    return None


def render(body: str, values: dict[str, str]) -> str:
    """The template with its placeholders filled (every placeholder has a value)."""
    return body.format_map({name: values.get(name, "") for name in PLACEHOLDERS})
