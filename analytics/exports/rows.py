"""Export rows: database values turned into what a regulator may see.

A row never carries a direct identifier: the item's key becomes a keyed pseudonym, the free text
is redacted (with the writer's own identity as well as by pattern), and staff free text
(responses, reasons, routing evidence) is left out altogether. ``ExportRowBuilder.records``
gives dicts (JSON pages, NDJSON); ``ExportRowBuilder.csv_lines`` gives the same rows as CSV.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from analytics.exports.cells import CSV_TEXT, RISKY_FIRST, csv_line, csv_quoted, csv_safe
from analytics.exports.query import EXPORT_COLUMNS, ROW_PICK
from analytics.pseudonym import pseudonymiser
from analytics.redaction import IdentityTerms, redact
from feedback.choices import AnalysisState, ComplainantStatus, OrganisationKind, RiskFlag
from feedback.models import Organisation

_PLACE_NAMES = EXPORT_COLUMNS[5:12]  # provider_ods_code ... icb_name


class _Org(NamedTuple):
    ods_code: str
    name: str
    kind: str
    icb_id: int | None


@lru_cache(maxsize=256)
def _redact_question(question: str) -> str:
    # Questions repeat (the FFT question): redact each once.
    return redact(question)


_ANALYSED = AnalysisState.DONE.value


def _question_out(question: str, stored: str, analysis_state: str) -> str | None:
    """The question as exported: as the worker redacted it; redacted here for an item analysed
    before questions were stored; withheld (None) while the worker has not read the item."""
    if not question:
        return None
    if stored:
        return stored
    return _redact_question(question) if analysis_state == _ANALYSED else None


def _text_out(
    text: str, stored: str, analysis_state: str, identity: IdentityTerms | None
) -> str | None:
    """The text as exported: as the worker redacted it (the usual case: never redacted here);
    redacted here for an item analysed before texts were stored; withheld (None) while the
    worker has not read the item, so an export never loads the redaction model for it."""
    if stored:
        return stored
    if not text:
        return text
    return redact(text, identity) if analysis_state == _ANALYSED else None


_SAFEGUARDING = RiskFlag.SAFEGUARDING.value
_MENTAL_HEALTH_ACT = RiskFlag.MENTAL_HEALTH_ACT.value
_SERIOUS_RISK = RiskFlag.SERIOUS_RISK.value

# For ExportRowBuilder.csv_lines: the cells before the place (id ... service_type) and after it
# (status ... consent) hold codes, dates and numbers, written without quotes when none
# of them has a comma, a quote or a line break in it.
_PLACE_COLUMNS = tuple(range(5, 12))
assert EXPORT_COLUMNS[4:13] == (  # noqa: S101
    "service_type",
    "provider_ods_code",
    "provider_name",
    "handled_by_ods_code",
    "handled_by_name",
    "handled_by_kind",
    "icb_ods_code",
    "icb_name",
    "status",
)
_CODE_COMMAS = (5 - 1) + (len(EXPORT_COLUMNS) - 12 - 2 - 1)
_BOOLEAN_CELL = {True: "true", False: "false", None: ""}
# "Written on the patient's behalf?" from who wrote: not said is null.
_ON_BEHALF: dict[str, bool] = {
    ComplainantStatus.ON_BEHALF.value: True,
    ComplainantStatus.PATIENT.value: False,
}
_RISK_CELL = {
    (safeguarding, mental_health_act, serious): ";".join(
        flag
        for flag, raised in (
            (_SAFEGUARDING, safeguarding),
            (_MENTAL_HEALTH_ACT, mental_health_act),
            (_SERIOUS_RISK, serious),
        )
        if raised
    )
    for safeguarding in (False, True)
    for mental_health_act in (False, True)
    for serious in (False, True)
}


@dataclass
class ExportRowBuilder:
    """Turns database rows into export rows: dicts keyed by ``EXPORT_COLUMNS`` (``records``), or
    the same rows as lines of CSV (``csv_lines``)."""

    pseudonym: Callable[[int], str] = field(default_factory=pseudonymiser)
    _orgs: dict[int, _Org] = field(default_factory=dict, init=False)
    _places: dict[tuple[int | None, int | None, int | None], tuple[Any, ...]] = field(
        default_factory=dict, init=False
    )
    _place_cells: dict[tuple[int | None, int | None, int | None], str] = field(
        default_factory=dict, init=False
    )
    _place_records: dict[tuple[int | None, int | None, int | None], dict[str, Any]] = field(
        default_factory=dict, init=False
    )

    def __post_init__(self) -> None:
        # The whole directory is a few hundred rows: cheaper than five joins per exported row.
        self._orgs = {
            pk: _Org(ods, name, kind, icb_id)
            for pk, ods, name, kind, icb_id in Organisation.objects.values_list(
                "pk", "ods_code", "name", "kind", "icb_id"
            )
        }

    def _place(
        self, provider_id: int | None, area_id: int | None, handled_by_id: int | None
    ) -> tuple[Any, ...]:
        key = (provider_id, area_id, handled_by_id)
        cached = self._places.get(key)
        if cached is not None:
            return cached
        orgs = self._orgs
        provider = orgs.get(provider_id) if provider_id else None
        handler = orgs.get(handled_by_id) if handled_by_id else None
        icb: _Org | None = None
        if provider is not None and provider.icb_id:
            icb = orgs.get(provider.icb_id)
        elif area_id:
            icb = orgs.get(area_id)
        elif handler is not None and handler.kind == OrganisationKind.ICB:
            icb = handler
        elif handler is not None and handler.icb_id:
            icb = orgs.get(handler.icb_id)
        place = (
            provider.ods_code if provider else None,
            provider.name if provider else None,
            handler.ods_code if handler else None,
            handler.name if handler else None,
            handler.kind if handler else None,
            icb.ods_code if icb else None,
            icb.name if icb else None,
        )
        self._places[key] = place
        return place

    def _csv_place(
        self, provider_id: int | None, area_id: int | None, handled_by_id: int | None
    ) -> str:
        """The seven place cells as CSV: neutralised and quoted as ``csv_line`` does."""
        cells = []
        for column, value in zip(
            _PLACE_COLUMNS, self._place(provider_id, area_id, handled_by_id), strict=True
        ):
            cell = "" if value is None else str(value)
            if cell and column in CSV_TEXT and cell[0] in RISKY_FIRST:
                cell = csv_safe(cell)
            cells.append(csv_quoted(cell))
        encoded = ",".join(cells)
        self._place_cells[(provider_id, area_id, handled_by_id)] = encoded
        return encoded

    def records(self, values: Iterable[Sequence[Any] | dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Export rows as dicts keyed by ``EXPORT_COLUMNS``, from ``iterate_values`` tuples or
        ``values()`` dicts: what JSON pages and NDJSON write."""
        record = self.record
        pick = ROW_PICK
        try:
            for value in values:
                yield record(pick(value) if isinstance(value, dict) else value)
        finally:
            # Stop the read (and end its transaction) as soon as the rows are no longer wanted.
            close = getattr(values, "close", None)
            if close is not None:
                close()

    def record(self, v: Sequence[Any]) -> dict[str, Any]:
        """One export row as a dict in ``EXPORT_COLUMNS`` order, from the values of
        ``ROW_FIELDS``."""
        (
            pk,
            kind,
            channel,
            service_type,
            provider_id,
            area_id,
            handled_by_id,
            status,
            paused_days,
            analysis_state,
            text_language,
            sentiment,
            sentiment_label,
            sentiment_confidence,
            risk_safeguarding,
            risk_mental_health_act,
            risk_serious,
            model_version,
            needs_review,
            route,
            route_rule,
            outcome,
            ko41_service_area,
            ko41_profession,
            fft_rating,
            interpreter_language,
            complainant_status,
            relationship,
            consent,
            question,
            text,
            text_redacted,
            question_redacted,
            identity_name,
            identity_email,
            identity_phone,
            identity_nhs_number,
            identity_patient_name,
            received_date,
            acknowledged_date,
            responded_date,
            closed_date,
            resolved_date,
            withdrawn_date,
            acknowledge_due,
            response_due,
            statutory_due,
            agreed_due,
            themes,
            ko41_subjects,
            communication_needs,
        ) = v
        place = self._place_records.get((provider_id, area_id, handled_by_id))
        if place is None:
            place = dict(
                zip(_PLACE_NAMES, self._place(provider_id, area_id, handled_by_id), strict=True)
            )
            self._place_records[(provider_id, area_id, handled_by_id)] = place
        if risk_safeguarding or risk_mental_health_act or risk_serious:
            risks = []
            if risk_safeguarding:
                risks.append(_SAFEGUARDING)
            if risk_mental_health_act:
                risks.append(_MENTAL_HEALTH_ACT)
            if risk_serious:
                risks.append(_SERIOUS_RISK)
        else:
            risks = []
        return {
            "id": self.pseudonym(pk),
            "received_date": received_date,
            "kind": kind,
            "channel": channel,
            "service_type": service_type or None,
            **place,
            "status": status,
            "acknowledge_due": acknowledge_due,
            "acknowledged_date": acknowledged_date,
            "response_due": response_due,
            "responded_date": responded_date,
            "responded_within_target": (
                (responded_date <= response_due) if responded_date and response_due else None
            ),
            "statutory_due": statutory_due,
            "agreed_due": agreed_due,
            "paused_days": paused_days,
            "closed_date": closed_date,
            "resolved_date": resolved_date,
            "withdrawn_date": withdrawn_date,
            "analysis_state": analysis_state,
            "text_language": text_language or None,
            "sentiment": sentiment,
            "sentiment_label": sentiment_label or None,
            "sentiment_confidence": sentiment_confidence,
            "themes": themes.split(";") if themes else [],
            "risk_flags": risks,
            "model_version": model_version or None,
            "needs_review": needs_review,
            "route": route or None,
            "route_rule": route_rule or None,
            "outcome": outcome or None,
            "ko41_subjects": (
                []
                if not ko41_subjects or ko41_subjects == "[]"
                else list(json.loads(ko41_subjects) or ())
            ),
            "ko41_service_area": ko41_service_area or None,
            "ko41_profession": ko41_profession or None,
            "fft_rating": fft_rating,
            "communication_needs": (
                []
                if not communication_needs or communication_needs == "[]"
                else list(json.loads(communication_needs) or ())
            ),
            "interpreter_language": interpreter_language or None,
            "on_behalf": _ON_BEHALF.get(complainant_status),
            "relationship": relationship or None,
            "consent": consent or None,
            "question": _question_out(question, question_redacted, analysis_state),
            "text": _text_out(
                text,
                text_redacted,
                analysis_state,
                # A LEFT JOIN: the name is None when the item has no Identity row.
                None
                if identity_name is None
                else IdentityTerms(
                    identity_name,
                    identity_email,
                    identity_phone,
                    identity_nhs_number,
                    identity_patient_name or "",
                ),
            ),
        }

    # The same rows, encoded on the way: the CSV export's path. Each line is exactly what
    # ``csv_line`` gives for the values of ``record(v)`` (tests hold it to that), built without
    # the intermediate dict, with each place's cells encoded once.

    def csv_lines(self, values: Iterable[Sequence[Any] | dict[str, Any]]) -> Iterator[str]:
        """CSV lines (without line ends) for ``iterate_values`` tuples or ``values()`` dicts."""
        pseudonym = self.pseudonym
        place_cells = self._place_cells
        pick = ROW_PICK
        risky = RISKY_FIRST
        try:
            for value in values:
                v = pick(value) if isinstance(value, dict) else value
                (
                    pk,
                    kind,
                    channel,
                    service_type,
                    provider_id,
                    area_id,
                    handled_by_id,
                    status,
                    paused_days,
                    analysis_state,
                    text_language,
                    sentiment,
                    sentiment_label,
                    sentiment_confidence,
                    risk_safeguarding,
                    risk_mental_health_act,
                    risk_serious,
                    model_version,
                    needs_review,
                    route,
                    route_rule,
                    outcome,
                    ko41_service_area,
                    ko41_profession,
                    fft_rating,
                    interpreter_language,
                    complainant_status,
                    relationship,
                    consent,
                    question,
                    text,
                    text_redacted,
                    question_redacted,
                    identity_name,
                    identity_email,
                    identity_phone,
                    identity_nhs_number,
                    identity_patient_name,
                    received_date,
                    acknowledged_date,
                    responded_date,
                    closed_date,
                    resolved_date,
                    withdrawn_date,
                    acknowledge_due,
                    response_due,
                    statutory_due,
                    agreed_due,
                    themes,
                    ko41_subjects,
                    communication_needs,
                ) = v
                place = place_cells.get((provider_id, area_id, handled_by_id))
                if place is None:
                    place = self._csv_place(provider_id, area_id, handled_by_id)
                if themes and themes[0] in risky:
                    themes = csv_safe(themes)
                if not ko41_subjects or ko41_subjects == "[]":
                    subjects = ""
                else:
                    subjects = ";".join(json.loads(ko41_subjects) or ())
                    if subjects and subjects[0] in risky:
                        subjects = csv_safe(subjects)
                if not communication_needs or communication_needs == "[]":
                    needs = ""
                else:
                    needs = ";".join(json.loads(communication_needs) or ())
                    if needs and needs[0] in risky:
                        needs = csv_safe(needs)
                if interpreter_language and interpreter_language[0] in risky:
                    interpreter_language = csv_safe(interpreter_language)
                if model_version and model_version[0] in risky:
                    model_version = csv_safe(model_version)
                if route_rule and route_rule[0] in risky:
                    route_rule = csv_safe(route_rule)
                within = (
                    ("true" if responded_date <= response_due else "false")
                    if responded_date and response_due
                    else ""
                )
                risks = _RISK_CELL[risk_safeguarding, risk_mental_health_act, risk_serious]
                front = (
                    f"{pseudonym(pk)},{received_date or ''},{kind or ''},{channel or ''},"
                    f"{service_type or ''}"
                )
                back = (
                    f"{status or ''},{acknowledge_due or ''},{acknowledged_date or ''},"
                    f"{response_due or ''},{responded_date or ''},{within},"
                    f"{statutory_due or ''},{agreed_due or ''},"
                    f"{'' if paused_days is None else paused_days},{closed_date or ''},"
                    f"{resolved_date or ''},{withdrawn_date or ''},{analysis_state or ''},"
                    f"{text_language or ''},"
                    f"{'' if sentiment is None else sentiment},{sentiment_label or ''},"
                    f"{'' if sentiment_confidence is None else sentiment_confidence},"
                    f"{themes or ''},{risks},{model_version or ''},"
                    f"{_BOOLEAN_CELL[needs_review]},{route or ''},{route_rule or ''},"
                    f"{outcome or ''},{subjects},{ko41_service_area or ''},{ko41_profession or ''},"
                    f"{'' if fft_rating is None else fft_rating},{needs},"
                    f"{interpreter_language or ''},"
                    f"{_BOOLEAN_CELL[_ON_BEHALF.get(complainant_status)]},{relationship or ''},"
                    f"{consent or ''}"
                )
                codes = front + back
                if (
                    codes.count(",") != _CODE_COMMAS
                    or '"' in codes
                    or "\n" in codes
                    or "\r" in codes
                ):
                    # A code or a date with a comma, a quote or a line break in it: never written
                    # by this service, but the generic path quotes it as the csv module would.
                    yield csv_line(tuple(self.record(v).values()))
                    continue
                question = _question_out(question, question_redacted, analysis_state) or ""
                if question and question[0] in risky:
                    question = csv_safe(question)
                text = (
                    _text_out(
                        text,
                        text_redacted,
                        analysis_state,
                        None
                        if identity_name is None
                        else IdentityTerms(
                            identity_name,
                            identity_email,
                            identity_phone,
                            identity_nhs_number,
                            identity_patient_name or "",
                        ),
                    )
                    or ""
                )
                if text and text[0] in risky:
                    text = csv_safe(text)
                yield f"{front},{place},{back},{csv_quoted(question)},{csv_quoted(text)}"
        finally:
            close = getattr(values, "close", None)
            if close is not None:
                close()
