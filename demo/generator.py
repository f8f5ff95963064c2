"""One demo item at a time, from one random stream."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from analytics.ml.heads import sentiment_label
from demo.directory import _Directory, _Org
from demo.tables import (
    _CHANNELS,
    _CQC_FLAGS,
    _CQC_RULE,
    _CQC_SHARE,
    _KINDS,
    _PATIENT_AGE_TABLE,
    _PRIMARY_SERVICE_TABLE,
    _RISK_FIELD,
    _SENTIMENTS_FOR_KIND,
    _SERVICE_LABEL,
    _SERVICE_TABLES,
    _Item,
    _nhs_number,
    _pick,
)
from demo.texts import (
    _COMMISSIONING_TEXTS,
    _CQC_TEXTS,
    _FIRST_NAMES,
    _IDENTIFIER_EXTRAS,
    _LAST_NAMES,
    _PATIENT_REQUEST_SUFFIX,
    _THEME_SLUGS,
    _Text,
)
from demo.workflow import _complaint_workflow, _other_workflow
from feedback import clocks
from feedback.choices import (
    FFT_QUESTION,
    AnalysisState,
    Channel,
    ComplainantStatus,
    Consent,
    Kind,
    OrganisationKind,
    Relationship,
    Route,
    Status,
)

# A representative's relationship and the patient's consent (mostly given, some not needed).
_RELATIONSHIPS = tuple(Relationship.values[:-1])  # "someone else" needs words of their own
_CONSENTS = (Consent.GIVEN,) * 6 + (Consent.DIED, Consent.LACKS_CAPACITY)

# Model versions by age: items analysed before the current model was trained show the one before.
PREVIOUS_MODEL_VERSION = "minilm-l6-heads-20260301-3b1c9e20"
CURRENT_MODEL_SINCE_DAYS = 240


@dataclass
class _Generator:
    """Makes items one at a time from one random stream."""

    rng: random.Random
    directory: _Directory
    texts: list[_Text]
    now: dt.datetime
    years: int
    current_model: str
    focus_share: float = 0.0
    _pools: dict[int | None, list[_Text]] = field(default_factory=dict, init=False)
    _days: list[dt.date] = field(default_factory=list, init=False)
    _day_weights: list[float] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        for text in self.texts:
            self._pools.setdefault(text.sentiment, []).append(text)
        today = clocks.local_date(self.now)
        first = clocks.add_months(today, -12 * self.years)
        count = (today - first).days + 1
        self._days = [first + dt.timedelta(days=i) for i in range(count)]
        # Volume grows a little over the period, is lower at weekends and varies day to day.
        self._day_weights = [
            (0.8 + 0.4 * i / max(1, count - 1))
            * (0.6 if day.weekday() >= 5 else 1.0)
            * self.rng.uniform(0.85, 1.15)
            for i, day in enumerate(self._days)
        ]
        self._current_since = self.now - dt.timedelta(days=CURRENT_MODEL_SINCE_DAYS)

    # Parts ---------------------------------------------------------------------------------

    def _moments(self, count: int) -> Iterator[dt.datetime]:
        """``count`` moments of receipt, oldest first, shared out over the days by their weight.

        Oldest first, as items arrive in a live service: the table's rows then lie in the order
        of receipt, as they do in production, and reads by date behave as they would there.
        """
        rng = self.rng
        now = self.now.astimezone(clocks.LONDON)
        today = now.date()
        shares = list(accumulate(self._day_weights))
        made = 0
        for day, share in zip(self._days, shares, strict=True):
            upto = round(count * share / shares[-1])
            n, made = upto - made, upto
            if n <= 0:
                continue
            if day == today:
                elapsed = now.hour * 3600 + now.minute * 60 + now.second
                seconds = [rng.randrange(max(1, elapsed)) for _ in range(n)]
            else:
                seconds = [
                    rng.randrange(7 * 3600, 23 * 3600)
                    if rng.random() < 0.9
                    else rng.randrange(24 * 3600)
                    for _ in range(n)
                ]
            for second in sorted(seconds):
                yield dt.datetime(
                    day.year,
                    day.month,
                    day.day,
                    second // 3600,
                    second // 60 % 60,
                    second % 60,
                    tzinfo=clocks.LONDON,
                )

    def _text(self, kind: str) -> _Text:
        rng = self.rng
        pool = self._pools.get(_pick(rng, _SENTIMENTS_FOR_KIND[kind])) or self._pools.get(None)
        if not pool:
            pool = self.texts
        return pool[rng.randrange(len(pool))]

    def _identity(self, kind: str, channel: str) -> tuple[str, str, str, str] | None:
        rng = self.rng
        if channel in (Channel.PHONE, Channel.LETTER):
            share = 0.9
        elif channel == Channel.FFT_IMPORT:
            share = 0.02
        elif kind in (Kind.COMPLAINT, Kind.CONCERN):
            share = 0.55
        else:
            share = 0.12
        if rng.random() >= share:
            return None
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        email = f"{first.lower()}.{last.lower()}{rng.randrange(100)}@example.com"
        if rng.random() < 0.25:
            email = ""
        # Ofcom's range for drama: never a real person's number.
        phone = f"07700 900{rng.randrange(1000):03d}" if rng.random() < 0.7 else ""
        nhs_number = _nhs_number(rng) if rng.random() < 0.5 else ""
        return (f"{first} {last}", email, phone, nhs_number)

    def _place(self, kind: str) -> dict[str, Any]:
        """Provider, area, service type and the routing decision, as routing would make it."""
        rng = self.rng
        directory = self.directory
        # A share of the items goes to the organisations in focus (the demo accounts' own), so
        # their queues and dashboards fill as a busy trust's or ICB's would.
        forced = None
        if directory.focus and rng.random() < self.focus_share:
            forced = rng.choice(directory.focus)
            if forced.kind == OrganisationKind.ICB:
                return self._primary_care(forced)
        roll = rng.random()
        cqc_share = _CQC_SHARE[kind]
        if roll < cqc_share:
            flag = _pick(rng, _CQC_FLAGS)
            if forced is not None:
                trust = forced
            elif flag == "mental_health_act" and directory.mental_health:
                trust = rng.choice(directory.mental_health)
            else:
                trust = directory.trust(rng)
            text, phrase, themes = rng.choice(_CQC_TEXTS[flag])
            evidence = [f'phrase: "{phrase}"', *(f"theme: {t}" for t in themes if t == flag)]
            return {
                "provider": trust,
                "area_id": trust.icb_id,
                "service_type": self._trust_service(trust),
                "handler": directory.cqc,
                "route": Route.CQC,
                "rule": _CQC_RULE[flag],
                "evidence": evidence,
                "flag": flag,
                "text": _Text(text, "", 5, themes),
            }
        roll -= cqc_share
        if roll < 0.16 and forced is None:
            return self._primary_care(directory.icb(rng))
        roll -= 0.16
        trust = forced or directory.trust(rng)
        service = self._trust_service(trust)
        trust_icb = directory.by_pk.get(trust.icb_id) if trust.icb_id else None
        context = [f"kind: {kind}", f"service type: {_SERVICE_LABEL[service]}"]
        place: dict[str, Any] = {
            "provider": trust,
            "area_id": trust.icb_id,
            "service_type": service,
            "handler": trust,
            "route": Route.TRUST,
            "rule": "trust_default",
            "evidence": ["NHS trust named; no CQC or ICB rule matched", *context],
        }
        if trust_icb is None or kind not in (Kind.COMPLAINT, Kind.CONCERN):
            return place
        if roll < 0.03:
            text, phrase, themes = rng.choice(_COMMISSIONING_TEXTS)
            place.update(
                handler=trust_icb,
                route=Route.ICB,
                rule="icb_commissioning",
                evidence=[f'phrase: "{phrase}"', *(f"theme: {t}" for t in themes)],
                text=_Text(text, "", 4, themes),
            )
        elif roll < 0.04:
            place.update(
                handler=trust_icb,
                route=Route.ICB,
                rule="icb_patient_request",
                evidence=["patient asked for the commissioner", *context],
                wants_commissioner=True,
            )
        elif roll < 0.05:
            place.update(
                provider=None,
                handler=trust_icb,
                route=Route.ICB,
                rule="icb_no_provider",
                evidence=["no NHS trust named: the commissioner handles it", *context],
            )
        return place

    def _primary_care(self, icb: _Org) -> dict[str, Any]:
        service = _pick(self.rng, _PRIMARY_SERVICE_TABLE)
        return {
            "provider": None,
            "area_id": icb.pk,
            "service_type": service,
            "handler": icb,
            "route": Route.ICB,
            "rule": "icb_primary_care",
            "evidence": [
                f"service type: {_SERVICE_LABEL[service]}",
                "primary care: the ICB handles commissioner complaints about it",
            ],
        }

    def _trust_service(self, trust: _Org) -> str:
        table = _SERVICE_TABLES.get(trust.trust_type, _SERVICE_TABLES[""])
        return str(table[0][0] if len(table[0]) == 1 else _pick(self.rng, table))

    def _themes(self, text: _Text, kind: str) -> list[tuple[str, float]]:
        rng = self.rng
        slugs = list(text.themes)
        if not slugs:
            if kind == Kind.COMPLIMENT:
                slugs = ["positive_experience"]
            elif kind in (Kind.COMPLAINT, Kind.CONCERN):
                slugs = ["negative_experience"]
            if rng.random() < 0.5:
                slugs.append(rng.choice(_THEME_SLUGS))
        # The model misses a theme now and then.
        kept = [s for s in dict.fromkeys(slugs) if rng.random() < 0.92]
        return [(slug, round(rng.uniform(0.45, 0.99), 3)) for slug in kept]

    # The item ------------------------------------------------------------------------------

    def items(self, count: int) -> Iterator[_Item]:
        for received in self._moments(count):
            yield self.item(received)

    def item(self, received: dt.datetime) -> _Item:
        rng = self.rng
        kind = _pick(rng, _KINDS)
        channel = _pick(rng, _CHANNELS[kind])
        place = self._place(kind)
        text: _Text = place.get("text") or self._text(kind)
        identity = self._identity(kind, channel)
        body = text.text
        if "wants_commissioner" in place:
            body += _PATIENT_REQUEST_SUFFIX
        # What the worker stores as the redacted text once it has read the item: the comments
        # come anonymised (the shared FFT file), so only the details added here are replaced.
        redacted = body
        extra = rng.random()
        if identity is not None and extra < 0.06:
            # Writers put their own details in the text: the export must redact them.
            name, _email, phone, _nhs = identity
            body += f" Please call me on {phone}." if phone else f" My name is {name}."
            redacted += " Please call me on [PHONE]." if phone else " My name is [NAME]."
        elif extra < 0.09:
            first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
            extra_text = rng.choice(_IDENTIFIER_EXTRAS)
            body += extra_text.format(first=first, last=last)
            redacted += extra_text.format(first="[NAME]", last="[NAME]").replace(
                "SW1A 1AA", "[POSTCODE]"
            )
        question = ""
        fft_rating = None
        if channel in (Channel.FFT_IMPORT, Channel.PAPER):
            question = text.question or FFT_QUESTION
        if channel in (Channel.FFT_IMPORT, Channel.PAPER, Channel.WEB):
            fft_rating = text.fft_rating
        provider: _Org | None = place["provider"]
        values: dict[str, Any] = {
            "kind": kind,
            "channel": channel,
            "service_type": place["service_type"],
            "provider_id": provider.pk if provider else None,
            "area_id": place["area_id"],
            "wants_commissioner": "wants_commissioner" in place,
            "question": question,
            "fft_rating": fft_rating,
            "text": body,
            "received_at": received,
        }
        if kind == Kind.COMPLAINT and rng.random() < 0.7:
            # The optional KO41 questions: most complainants answer them.
            values["complainant_status"] = (
                ComplainantStatus.ON_BEHALF if rng.random() < 0.3 else ComplainantStatus.PATIENT
            )
            values["patient_age"] = _pick(rng, _PATIENT_AGE_TABLE)
            if values["complainant_status"] == ComplainantStatus.ON_BEHALF:
                # Who they are to the patient and the patient's consent, taken from what is
                # already drawn so the random sequence (and every figure after it) is unchanged.
                values["relationship"] = _RELATIONSHIPS[len(body) % len(_RELATIONSHIPS)]
                values["consent"] = _CONSENTS[received.minute % len(_CONSENTS)]
        themes: list[tuple[str, float]] = []
        if received > self.now - dt.timedelta(hours=24) and rng.random() < 0.03:
            # Still in the analysis queue (a backlog while the worker was down): not routed yet.
            values["analysis_state"] = AnalysisState.QUEUED
            values["status"] = Status.RECEIVED
            return _Item(values, themes, identity)
        analysed_at = received + dt.timedelta(seconds=rng.randint(3, 120))
        if analysed_at > self.now:
            # Received in the last moments: the worker has not read it yet.
            values["analysis_state"] = AnalysisState.QUEUED
            values["status"] = Status.RECEIVED
            return _Item(values, themes, identity)
        values.update(
            analysis_state=AnalysisState.DONE,
            analysed_at=analysed_at,
            analysis_attempts=1,
            text_redacted=redacted,
            # The FFT questions are the organisations' published wording: nothing to replace.
            question_redacted=question,
        )
        if rng.random() < 0.005:
            values["needs_review"] = True  # the model was unavailable: routed by the rules alone
        else:
            sentiment = text.sentiment or _pick(rng, _SENTIMENTS_FOR_KIND[kind])
            if rng.random() < 0.25:  # the model is right about 70% of the time
                sentiment = min(5, max(1, sentiment + rng.choice((-1, 1))))
            values.update(
                sentiment=sentiment,
                sentiment_label=sentiment_label(sentiment),
                sentiment_confidence=round(rng.betavariate(6, 2), 3),
                model_version=(
                    self.current_model
                    if received >= self._current_since
                    else PREVIOUS_MODEL_VERSION
                ),
            )
            themes = self._themes(text, kind)
        handler: _Org = place["handler"]
        route: str = place["route"]
        rule: str = place["rule"]
        evidence: list[str] = place["evidence"]
        flag = place.get("flag")
        if flag:
            values[_RISK_FIELD[flag]] = True
            if provider is not None and rng.random() < 0.2:
                # A CQC handler judged it a false alarm and sent it to the trust; the flag stays.
                handler, route, rule = provider, Route.TRUST, "rerouted"
                evidence = [*evidence, "rerouted by staff: no safeguarding or safety risk found"]
        elif route == Route.TRUST and rng.random() < 0.01 and provider and provider.icb_id:
            handler = self.directory.by_pk[provider.icb_id]
            route, rule = Route.ICB, "rerouted"
            evidence = [*evidence, "rerouted by staff: about a service the ICB commissions"]
        values.update(
            handled_by_id=handler.pk,
            route=route,
            route_rule=rule,
            route_evidence=evidence,
            routed_at=analysed_at,
        )
        if kind in (Kind.COMPLAINT, Kind.CONCERN):
            _complaint_workflow(
                self.rng, self.now, values, kind, received, handler, str(place["service_type"])
            )
        else:
            _other_workflow(self.rng, self.now, values, received)
        return _Item(values, themes, identity)
