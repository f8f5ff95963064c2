from __future__ import annotations

from typing import ClassVar

from django.db import models


class BareRow(models.Model):
    """One request to the bare endpoint of the load bench: the text it carried, nothing else."""

    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    # Spelled out: mypy's Django plugin reads the product's settings, which do not install this app.
    objects: ClassVar[models.Manager[BareRow]] = models.Manager()

    def __str__(self) -> str:
        return f"bare row {self.pk}"
