"""The peers page: comparable organisations ranked by the share of responses answered within
target. Other organisations' aggregate figures only, never an item."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from analytics.dashboard.filters import Filters
from analytics.dashboard.scopes import NATIONAL
from analytics.dashboard.tables import Table
from analytics.dashboard.targets import Due, histogram_sums, median_of, open_past_due
from analytics.models import MonthlyStat
from feedback.choices import OrganisationKind, TrustType
from feedback.models import Organisation

# An organisation is ranked among its peers once this many responses were due in the period.
MIN_TO_RANK = 10


@dataclass
class PeerFigures(Due):
    organisation: Organisation = field(kw_only=True)
    received: int = 0
    histogram: Counter[int] = field(default_factory=Counter)


@dataclass
class OrganisationFigures:
    """Every organisation's figures for the period, read once for all the peer tables."""

    sums: dict[int, Any]
    histograms: dict[int, Counter[int]]
    overdue: dict[int, int]


def organisation_figures(filters: Filters, today: dt.date | None = None) -> OrganisationFigures:
    today = today or timezone.localdate()
    rows = filters.of_service_and_kind(
        filters.totals_or_detail(
            filters.in_period(MonthlyStat.objects.filter(organisation__isnull=False))
        )
    )
    sums = {
        row["organisation_id"]: row
        for row in rows.values("organisation_id").annotate(
            on_time=Sum("due_on_time"), late=Sum("due_late"), received_n=Sum("received")
        )
    }
    overdue = open_past_due(filters.of_service_and_kind(NATIONAL.items()), today, filters.first)
    return OrganisationFigures(
        sums=sums,
        histograms=histogram_sums(rows, "response_days", by_organisation=True),
        overdue={
            row["handled_by_id"]: row["n"]
            for row in overdue.values("handled_by_id").annotate(n=Count("*"))
        },
    )


def _peer_figures(
    figures_by_org: OrganisationFigures,
    groups: dict[int, Organisation],
    key_of: dict[int, int],
) -> list[PeerFigures]:
    """Figures per peer; ``key_of`` maps each counted organisation to the peer it counts for."""
    figures = {pk: PeerFigures(organisation=org) for pk, org in groups.items()}
    for org_id, peer_id in key_of.items():
        peer = figures[peer_id]
        row = figures_by_org.sums.get(org_id)
        if row is not None:
            peer.on_time += row["on_time"] or 0
            peer.late += row["late"] or 0
            peer.received += row["received_n"] or 0
        peer.histogram.update(figures_by_org.histograms.get(org_id, Counter()))
        peer.overdue += figures_by_org.overdue.get(org_id, 0)
    return list(figures.values())


def _ranked_table(slug: str, title: str, peers: list[PeerFigures], subject_id: int | None) -> Table:
    ranked = sorted(
        peers,
        key=lambda p: (
            p.due < MIN_TO_RANK,
            -(p.compliance or 0),
            p.organisation.name,
        ),
    )
    table = Table(
        slug,
        title,
        [
            "Rank",
            "Organisation",
            "Responses due",
            "Within target (%)",
            "Median days to response",
            "Items received",
        ],
        note=f"Ranked by the share answered within target; organisations with fewer than "
        f"{MIN_TO_RANK} responses due are listed last, unranked.",
    )
    rank = 0
    for peer in ranked:
        rankable = peer.due >= MIN_TO_RANK
        rank += rankable
        name = peer.organisation.name + (" (you)" if peer.organisation.pk == subject_id else "")
        table.rows.append(
            [
                rank if rankable else "Not ranked",
                name,
                peer.due,
                peer.compliance,
                median_of(peer.histogram),
                peer.received,
            ]
        )
    return table


def _learn_from(peers: list[PeerFigures], subject_id: int | None) -> list[PeerFigures]:
    ranked = [p for p in peers if p.due >= MIN_TO_RANK and p.organisation.pk != subject_id]
    return sorted(ranked, key=lambda p: (-(p.compliance or 0), p.organisation.name))[:3]


def peers(filters: Filters) -> dict[str, Any]:
    """Comparable organisations, ranked, for the scope's subject."""
    subject = filters.scope.subject
    organisations = {o.pk: o for o in Organisation.objects.filter(is_active=True)}
    groups: list[tuple[str, str, dict[int, Organisation], dict[int, int]]] = []
    if subject is not None and subject.kind == OrganisationKind.TRUST:
        same_icb = {pk: o for pk, o in organisations.items() if o.icb_id == subject.icb_id}
        icb_name = organisations[subject.icb_id].name if subject.icb_id else "no ICB"
        groups.append(("peers-icb", f"Trusts in {icb_name}", same_icb, {pk: pk for pk in same_icb}))
        if subject.trust_type:
            same_type = {
                pk: o
                for pk, o in organisations.items()
                if o.kind == OrganisationKind.TRUST and o.trust_type == subject.trust_type
            }
            label = TrustType(subject.trust_type).label.lower()
            groups.append(
                (
                    "peers-type",
                    f"Other {label} trusts in England",
                    same_type,
                    {pk: pk for pk in same_type},
                )
            )
    elif subject is not None and subject.kind == OrganisationKind.ICB:
        icbs = {
            pk: o
            for pk, o in organisations.items()
            if o.kind == OrganisationKind.ICB and o.region_id == subject.region_id
        }
        groups.append(
            (
                "peers-icbs",
                "Integrated care boards in the same region, each with its trusts",
                icbs,
                _systems(organisations, icbs),
            )
        )
        trusts = {pk: o for pk, o in organisations.items() if o.icb_id == subject.pk}
        groups.append(
            ("peers-trusts", f"Trusts in {subject.name}", trusts, {pk: pk for pk in trusts})
        )
    else:
        icbs = {pk: o for pk, o in organisations.items() if o.kind == OrganisationKind.ICB}
        groups.append(
            (
                "peers-icbs",
                "Integrated care boards in England, each with its trusts",
                icbs,
                _systems(organisations, icbs),
            )
        )
        trusts = {pk: o for pk, o in organisations.items() if o.kind == OrganisationKind.TRUST}
        groups.append(("peers-trusts", "NHS trusts in England", trusts, {pk: pk for pk in trusts}))
    subject_id = subject.pk if subject is not None else None
    by_org = organisation_figures(filters)
    tables, learn = [], []
    for slug, title, members, key_of in groups:
        figures = _peer_figures(by_org, members, key_of)
        tables.append(_ranked_table(slug, title, figures, subject_id))
        learn.append((title, _learn_from(figures, subject_id)))
    return {"tables": tables, "learn_from": learn}


def _systems(
    organisations: dict[int, Organisation], icbs: dict[int, Organisation]
) -> dict[int, int]:
    """Each ICB and each of its trusts, mapped to the ICB."""
    key_of = {pk: pk for pk in icbs}
    for pk, org in organisations.items():
        if org.icb_id in icbs:
            key_of[pk] = org.icb_id
    return key_of
