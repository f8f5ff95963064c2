"""The organisation directory as the generator sees it, and the clocks cached by day."""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate

from demo.errors import SyntheticDataError
from feedback import clocks
from feedback.choices import (
    OrganisationKind,
    ServiceType,
    TrustType,
)
from feedback.models import Organisation
from feedback.selectors import CQC_ODS_CODE

# --- The organisation directory -----------------------------------------------------------------


@dataclass(frozen=True)
class _Org:
    pk: int
    ods_code: str
    kind: str
    trust_type: str
    icb_id: int | None
    response_target_days: int
    response_target_working_days: bool
    # How quickly this organisation's complaints team works: < 1 faster than most, > 1 slower.
    pace: float
    weight: float


# Service types each kind of trust provides, with their shares.
_SERVICES_BY_TRUST_TYPE: dict[str, tuple[tuple[str, float], ...]] = {
    TrustType.ACUTE: ((ServiceType.ACUTE, 1.0),),
    TrustType.SPECIALIST: ((ServiceType.ACUTE, 0.85), (ServiceType.MENTAL_HEALTH, 0.15)),
    TrustType.MENTAL_HEALTH: ((ServiceType.MENTAL_HEALTH, 0.8), (ServiceType.COMMUNITY, 0.2)),
    TrustType.COMMUNITY: ((ServiceType.COMMUNITY, 1.0),),
    TrustType.AMBULANCE: (
        (ServiceType.AMBULANCE, 0.5),
        (ServiceType.NHS_111, 0.25),
        (ServiceType.PATIENT_TRANSPORT, 0.25),
    ),
    "": ((ServiceType.ACUTE, 1.0),),
}
_TRUST_TYPE_WEIGHT: dict[str, float] = {
    TrustType.ACUTE: 3.0,
    TrustType.AMBULANCE: 2.0,
    TrustType.MENTAL_HEALTH: 1.5,
    TrustType.COMMUNITY: 1.0,
    TrustType.SPECIALIST: 0.7,
}
_PRIMARY_SERVICES = (
    (ServiceType.GP, 0.6),
    (ServiceType.DENTAL, 0.2),
    (ServiceType.PHARMACY, 0.12),
    (ServiceType.OPTOMETRY, 0.08),
)


class _Directory:
    """Trusts, ICBs and the CQC, in ODS code order so a seed means the same on any database."""

    def __init__(self, rng: random.Random, focus: Sequence[str] = ()) -> None:
        rows = (
            Organisation.objects.filter(is_active=True)
            .order_by("ods_code")
            .values_list(
                "pk",
                "ods_code",
                "kind",
                "trust_type",
                "icb_id",
                "response_target_days",
                "response_target_working_days",
            )
        )
        orgs = []
        for pk, ods, kind, trust_type, icb_id, days, working in rows:
            size = rng.lognormvariate(0, 0.6)
            pace = min(1.8, max(0.55, rng.lognormvariate(0, 0.25)))
            weight = _TRUST_TYPE_WEIGHT.get(trust_type, 1.0) * size
            orgs.append(_Org(pk, ods, kind, trust_type, icb_id, days, working, pace, weight))
        self.by_pk = {o.pk: o for o in orgs}
        self.trusts = [o for o in orgs if o.kind == OrganisationKind.TRUST]
        self.icbs = [o for o in orgs if o.kind == OrganisationKind.ICB]
        cqc = [o for o in orgs if o.ods_code == CQC_ODS_CODE]
        if not self.trusts or not self.icbs or not cqc:
            raise SyntheticDataError(
                "The organisation directory is not loaded (trusts, ICBs and the CQC are needed): "
                "run `manage.py import_ods` first."
            )
        self.cqc = cqc[0]
        self.mental_health = [o for o in self.trusts if o.trust_type == TrustType.MENTAL_HEALTH]
        self._trust_cum = list(accumulate(o.weight for o in self.trusts))
        self._icb_cum = list(accumulate(o.weight for o in self.icbs))
        by_code = {o.ods_code: o for o in orgs}
        unknown = [code for code in focus if code not in by_code]
        if unknown:
            raise SyntheticDataError(f"No active organisation has the ODS code {unknown[0]}.")
        self.focus = [by_code[code] for code in focus]
        wrong = [
            o.ods_code
            for o in self.focus
            if o.kind not in (OrganisationKind.TRUST, OrganisationKind.ICB)
        ]
        if wrong:
            raise SyntheticDataError(
                f"{wrong[0]} is not a trust or an ICB: only they have queues of their own here."
            )

    def trust(self, rng: random.Random) -> _Org:
        return self.trusts[bisect.bisect(self._trust_cum, rng.random() * self._trust_cum[-1])]

    def icb(self, rng: random.Random) -> _Org:
        return self.icbs[bisect.bisect(self._icb_cum, rng.random() * self._icb_cum[-1])]


# --- Clocks: feedback.clocks' own rules, cached by day (a million items fall on some 730 days) --

_acknowledge_due = cache(clocks.acknowledge_due_from)
_response_due = cache(clocks.response_due_from)
_statutory_due = cache(clocks.statutory_due_from)
