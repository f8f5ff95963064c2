"""Which body should act on a piece of feedback: the CQC, the ICB or the NHS trust.

A pure module of the reader package: no Django, no database, no model inference. The worker, the
CSV tool and the triage evaluation hand it what the patient told us and what the analyser found;
it returns the route, the id of the rule that fired and the evidence a complaints handler reads to
see why (DOMAIN.md, "Routing"). Its words (routes, risk flags, kinds, service types, the patient's
safety answers) are ``analytics.ml.vocabulary``'s; its phrase tables are
``analytics.ml.routing_phrases``.

Rules, first match wins:

1. CQC: a safeguarding concern, the use of Mental Health Act powers, or a serious current risk
   to safety. Raised by tested phrase rules on the patient's text, by the analyser's theme
   (``safeguarding``, ``mental_health_act``) or by its risk score at or above
   ``RISK_SCORE_THRESHOLD``. Order: safeguarding, Mental Health Act, serious risk.
2. ICB: primary care, commissioning, the patient asked for the commissioner, or no trust named.
3. Trust: everything else, including compliments and suggestions about a trust.

A missed safeguarding item is far worse than a false alarm (a CQC handler reroutes a false alarm
in one audited step), so the phrase rules lean to recall; they still drop the common false alarms
(negation, substance-misuse services, "the outpatients section", "hit the nail on the head", a
"wait" called abusive) because a CQC queue full of rudeness and long waits hides the real cases.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from analytics.ml.risk import RISK_SCORE_THRESHOLD
from analytics.ml.routing_phrases import (
    COMMISSIONING_PHRASES,
    NEGATION_BEFORE,
    NEGATION_WINDOW,
    RISK_MASKS,
    RISK_PHRASES,
    Phrase,
)
from analytics.ml.triage import TriageReading
from analytics.ml.vocabulary import (
    PRIMARY_CARE_SERVICES,
    SAFETY_ANSWERS_FOR_CQC,
    Kind,
    RiskFlag,
    Route,
    SafetyAnswer,
    ServiceType,
)

# Themes whose presence alone raises a risk flag (serious risk has no theme in the framework).
RISK_THEMES: Mapping[str, str] = MappingProxyType(
    {
        "safeguarding": RiskFlag.SAFEGUARDING.value,
        "mental_health_act": RiskFlag.MENTAL_HEALTH_ACT.value,
    }
)

# Themes shown as supporting evidence for a commissioning match. They never route on their own:
# the model puts "funding" on "the NHS needs more money" too, and a trust complaint misrouted to
# the ICB costs as much as the reverse.
COMMISSIONING_THEMES: tuple[str, ...] = ("funding", "existence_of_services", "choice_of_services")

# CQC rules in precedence order, with the id of the rule each flag fires.
CQC_RULES: tuple[tuple[str, str], ...] = (
    (RiskFlag.SAFEGUARDING.value, "cqc_safeguarding"),
    (RiskFlag.MENTAL_HEALTH_ACT.value, "cqc_mental_health_act"),
    (RiskFlag.SERIOUS_RISK.value, "cqc_serious_risk"),
)

_NO_SCORES: Mapping[str, float] = MappingProxyType({})
# The labels routing quotes in its evidence ("service type: GP practice").
_SERVICE_LABELS: Mapping[str, str] = MappingProxyType({s.value: s.label for s in ServiceType})
_SAFETY_ANSWER_LABELS: Mapping[str, str] = MappingProxyType(
    {a.value: a.label for a in SafetyAnswer}
)


@dataclass(frozen=True)
class RoutingInput:
    """What routing needs to know about one piece of feedback, and what the analyser found."""

    text: str
    kind: str  # a Kind value
    service_type: str = ""  # a ServiceType value, or "" when the patient did not say
    wants_commissioner: bool = False  # the patient asked for the ICB to handle it
    has_provider: bool = False  # the patient named the NHS trust that gave the care
    # The FFT question is the organisation's wording, not the patient's, so it is never scanned
    # for risk phrases (a question such as "Did you feel safe?" would otherwise raise a flag).
    question: str = ""
    themes: Sequence[str] = ()  # theme slugs the analyser found
    # Analyser probabilities keyed by RiskFlag value; empty when the model was unavailable.
    risk_scores: Mapping[str, float] = field(default_factory=dict)
    # The patient's answer to "Is anyone at risk of harm?" (a SafetyAnswer value, "" not asked).
    safety_answer: str = ""
    # The triage reader's probabilities and cut-offs; None when the model was unavailable (the
    # phrase rules and the patient's answers still route).
    triage: TriageReading | None = None


@dataclass(frozen=True)
class RouteDecision:
    """Where an item goes, which rule sent it there, why, and every risk flag it raised."""

    route: Route
    rule: str  # stable rule id, e.g. "cqc_safeguarding"; stored on the item and audited
    evidence: tuple[str, ...]  # human-readable reasons, most important first
    risk_flags: frozenset[str]  # every RiskFlag raised, even when a higher rule fired first
    # Possible risks a person should check (the reader unsure, or the patient not sure): the
    # route stands, the item is flagged.
    check_flags: frozenset[str] = frozenset()


_PLAIN_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def _normalise(text: str) -> str:
    """The text with typographic quotes made plain; same length, so spans map to the original."""
    return text.translate(_PLAIN_QUOTES)


def _mask(text: str, masks: Iterable[re.Pattern[str]]) -> str:
    """The text with every false-alarm phrase blanked out, keeping character positions."""
    chars = list(text)
    for mask in masks:
        for match in mask.finditer(text):
            # A non-space, non-word filler: no phrase can match across it or inside it.
            chars[match.start() : match.end()] = "\x00" * (match.end() - match.start())
    return "".join(chars)


def _negated(text: str, start: int) -> bool:
    """True when a negation ("no", "never", "wasn't") governs the phrase starting at ``start``."""
    return NEGATION_BEFORE.search(text[max(0, start - NEGATION_WINDOW) : start]) is not None


def _quote(original: str, start: int, end: int) -> str:
    words = " ".join(original[start:end].split())
    return words if len(words) <= 80 else words[:77] + "..."


def _phrase_evidence(original: str, scanned: str, phrases: Iterable[Phrase]) -> list[str]:
    """``phrase: "..."`` evidence for every non-negated match of ``phrases`` in ``scanned``.

    In text order; overlapping matches ("section 17" and "section 17 leave") are quoted as one
    passage so the handler reads each once.
    """
    spans: set[tuple[int, int]] = set()
    for phrase in phrases:
        for match in phrase.pattern.finditer(scanned):
            if not (phrase.negatable and _negated(scanned, match.start())):
                spans.add(match.span())
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    evidence: list[str] = []
    for start, end in merged:
        item = f'phrase: "{_quote(original, start, end)}"'
        if item not in evidence:
            evidence.append(item)
    return evidence


def _usable_score(value: object) -> float | None:
    """The score as a float, or None when it is missing, not a number or not finite."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    score = float(value)
    return score if math.isfinite(score) else None


def detect_risks(
    text: str,
    *,
    themes: Sequence[str] = (),
    risk_scores: Mapping[str, float] = _NO_SCORES,
    triage: TriageReading | None = None,
) -> dict[str, tuple[str, ...]]:
    """Every risk flag the item raises, mapped to its evidence; flags not raised are absent.

    A flag is raised by the triage reader (its probability at or above the label's cut-off), by
    a phrase rule on ``text``, or by its theme in ``themes``; without a triage reading, by the
    theme heads' score at or above ``RISK_SCORE_THRESHOLD``. Keys come in CQC precedence order.
    """
    original = _normalise(text)
    scanned = _mask(original, RISK_MASKS)
    theme_set = set(themes)
    risks: dict[str, tuple[str, ...]] = {}
    for flag, _rule in CQC_RULES:
        evidence = _phrase_evidence(original, scanned, RISK_PHRASES[flag])
        evidence += [
            f"theme: {slug}" for slug, f in RISK_THEMES.items() if f == flag and slug in theme_set
        ]
        if triage is not None:
            if triage.raised(flag):
                evidence.insert(0, f"model: {flag} {triage.score(flag):.2f}")
        else:
            score = _usable_score(risk_scores.get(flag))
            if score is not None and score >= RISK_SCORE_THRESHOLD:
                evidence.append(f"model: {flag} {score:.2f}")
        if evidence:
            risks[flag] = tuple(evidence)
    return risks


def commissioning_evidence(text: str, *, themes: Sequence[str] = ()) -> tuple[str, ...]:
    """Evidence that the item is about commissioning (funding, CHC, local availability, ...).

    Empty when no commissioning phrase matched; commissioning themes only add to a phrase match.
    """
    original = _normalise(text)
    evidence = _phrase_evidence(original, original, COMMISSIONING_PHRASES)
    if evidence:
        evidence += [f"theme: {slug}" for slug in COMMISSIONING_THEMES if slug in themes]
    return tuple(evidence)


def _service_label(service_type: str) -> str:
    return _SERVICE_LABELS.get(service_type, service_type)


def _context(item: RoutingInput) -> list[str]:
    """Facts about the item a handler wants next to any decision: kind and service type."""
    facts = [f"kind: {item.kind}"] if item.kind else []
    if item.service_type:
        facts.append(f"service type: {_service_label(item.service_type)}")
    return facts


# Whether a phrase rule or a theme alone sends an item to the CQC when the triage reader has read
# it (True), or asks a person to check it, quoting the matched words (False). Without a reading the
# rules always route. Decided out of fold (bench/triage_rules_oof.py, docs/adr/0012).
RULES_ROUTE_BESIDE_READER = False


def route_feedback(item: RoutingInput, *, rules_route: bool | None = None) -> RouteDecision:
    """Route one item to the CQC, the ICB or the trust; the first matching rule wins.

    ``rules_route``: see ``RULES_ROUTE_BESIDE_READER`` (its value when None)."""
    risks = detect_risks(
        item.text, themes=item.themes, risk_scores=item.risk_scores, triage=item.triage
    )
    rule_checks: dict[str, tuple[str, ...]] = {}
    if rules_route is None:
        rules_route = RULES_ROUTE_BESIDE_READER
    if item.triage is not None and not rules_route:
        rule_checks = {
            flag: evidence
            for flag, evidence in risks.items()
            if not any(e.startswith("model:") for e in evidence)
        }
        risks = {flag: ev for flag, ev in risks.items() if flag not in rule_checks}
    flags = frozenset(risks)
    checks = _check_flags(item, risks) | frozenset(rule_checks)

    # Rule 1: CQC. The Mental Health Act rule is about complaints on the use of the Act's powers
    # (DOMAIN.md: the CQC acts on complaints about the use of the Act); a compliment that mentions
    # being sectioned is not one, so it goes on down the rules with the flag still recorded.
    # Safeguarding and serious risk go to the CQC whatever the kind: thanks can carry a disclosure.
    noted: list[str] = [f"check {flag}: {e}" for flag, ev in rule_checks.items() for e in ev]
    if item.safety_answer in SAFETY_ANSWERS_FOR_CQC:
        if item.safety_answer == SafetyAnswer.DETAINED:
            flags = flags | {RiskFlag.MENTAL_HEALTH_ACT.value}
        evidence = [f"patient answered: {_SAFETY_ANSWER_LABELS[item.safety_answer]}"]
        evidence += [f"also {f}: {e}" for f, ev in risks.items() for e in ev]
        return RouteDecision(Route.CQC, "cqc_patient_answer", tuple(evidence), flags)
    for flag, rule in CQC_RULES:
        if flag not in risks:
            continue
        if flag == RiskFlag.MENTAL_HEALTH_ACT and item.kind == Kind.COMPLIMENT:
            noted.append(f"{flag} flag raised, not sent to the CQC: a compliment, not a complaint")
            continue
        others = [f"also {f}: {e}" for f, ev in risks.items() if f != flag for e in ev]
        return RouteDecision(
            route=Route.CQC, rule=rule, evidence=(*risks[flag], *others), risk_flags=flags
        )

    # Rule 2: ICB.
    triage = item.triage
    primary_care_read = triage is not None and triage.raised("primary_care")
    if item.service_type in PRIMARY_CARE_SERVICES or primary_care_read:
        if item.service_type in PRIMARY_CARE_SERVICES:
            evidence = [f"service type: {_service_label(item.service_type)}"]
        else:
            evidence = [f"model: primary_care {triage.score('primary_care'):.2f}"]  # type: ignore[union-attr]
        evidence.append("primary care: the ICB handles commissioner complaints about it")
        return RouteDecision(Route.ICB, "icb_primary_care", (*evidence, *noted), flags, checks)
    # A compliment that mentions continuing healthcare thanks the team that arranged it; it is
    # not a commissioning question, so it stays with the provider (or falls to the rules below).
    commissioning = (
        commissioning_evidence(item.text, themes=item.themes)
        if item.kind != Kind.COMPLIMENT
        else ()
    )
    if triage and triage.raised("commissioning") and item.kind != Kind.COMPLIMENT:
        commissioning = (
            f"model: commissioning {triage.score('commissioning'):.2f}",
            *commissioning,
        )
    if commissioning:
        return RouteDecision(
            Route.ICB, "icb_commissioning", (*commissioning, *noted), flags, checks
        )
    asks = triage is not None and triage.raised("asks_commissioner")
    if item.wants_commissioner or asks:
        evidence = (
            ["patient asked for the commissioner"]
            if item.wants_commissioner
            else [f"model: asks for the commissioner {triage.score('asks_commissioner'):.2f}"]  # type: ignore[union-attr]
        )
        evidence += _context(item)
        return RouteDecision(Route.ICB, "icb_patient_request", (*evidence, *noted), flags, checks)
    if not item.has_provider:
        evidence = ["no NHS trust named: the commissioner handles it", *_context(item)]
        return RouteDecision(Route.ICB, "icb_no_provider", (*evidence, *noted), flags, checks)

    # Rule 3: the trust that gave the care.
    evidence = ["NHS trust named; no CQC or ICB rule matched", *_context(item)]
    return RouteDecision(Route.TRUST, "trust_default", (*evidence, *noted), flags, checks)


def _check_flags(item: RoutingInput, risks: Mapping[str, tuple[str, ...]]) -> frozenset[str]:
    """What a person should check: CQC labels the reader is unsure of (none it raised), and a
    patient who was not sure whether anyone is at risk."""
    checks = set()
    if item.triage is not None:
        checks |= {flag for flag, _ in CQC_RULES if flag not in risks and item.triage.unsure(flag)}
    if item.safety_answer == SafetyAnswer.UNSURE:
        checks.add("patient_unsure")
    return frozenset(checks)
