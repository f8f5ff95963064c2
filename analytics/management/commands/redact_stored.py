"""Redact items analysed before redaction was stored (or all of them, after a better redactor)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from analytics.redaction import IdentityTerms, redact
from feedback.choices import AnalysisState
from feedback.models import Feedback, Identity


class Command(BaseCommand):
    help = (
        "Store the redacted text of analysed items that have none yet (--all: of every analysed "
        "item), in batches; exports then stream the stored text."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="redact every item again")
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        items = Feedback.objects.filter(analysis_state=AnalysisState.DONE)
        if not options["all"]:
            items = items.filter(text_redacted="")
        done = 0
        last = 0
        while True:
            batch = list(
                items.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", "text")[: options["batch"]]
            )
            if not batch:
                break
            identities = {
                i.feedback_id: IdentityTerms(i.name, i.email, i.phone, i.nhs_number, i.patient_name)
                for i in Identity.objects.filter(feedback_id__in=[pk for pk, _ in batch])
            }
            with transaction.atomic():
                for pk, text in batch:
                    Feedback.objects.filter(pk=pk).update(
                        text_redacted=redact(text, identities.get(pk))
                    )
            done += len(batch)
            last = batch[-1][0]
            self.stdout.write(f"{done} items redacted")
        self.stdout.write(f"done: {done} items")
