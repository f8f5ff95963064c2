"""Offline analysis of a CSV of comments, through the same analyser and routing as the worker."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TextIO

from django.conf import settings

from analytics.ml.analyser import AnalysisInput, get_analyser
from analytics.ml.routing import RoutingInput, route_feedback
from feedback.choices import PRIMARY_CARE_SERVICES, FftRating, ServiceType

OUTPUT_COLUMNS = (
    "sentiment",
    "sentiment_label",
    "sentiment_confidence",
    "themes",
    "route",
    "route_rule",
)
# Rows read, analysed and written at a time: bounds memory for files of any length.
CHUNK_ROWS = 1024


class CsvInputError(ValueError):
    """The input file cannot be analysed; the message says what to fix."""


@dataclass(frozen=True)
class CsvAnalysisSummary:
    rows: int
    routes: dict[str, int]


def _chunks(rows: Iterator[dict[str, str]], size: int) -> Iterator[list[dict[str, str]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _check_header(fieldnames: list[str] | None) -> list[str]:
    if not fieldnames:
        raise CsvInputError("the input CSV is empty: it needs a header row with a 'text' column")
    if "text" not in fieldnames:
        raise CsvInputError(
            "the input CSV has no 'text' column (columns found: " + ", ".join(fieldnames) + ")"
        )
    for reserved in OUTPUT_COLUMNS:
        if reserved in fieldnames:
            raise CsvInputError(f"the input CSV already has an output column '{reserved}'")
    return fieldnames


def _rating(value: str | None, line: int) -> int | None:
    """The optional ``fft_rating`` column: 1 very good ... 5 very poor, 6 don't know, or blank."""
    value = (value or "").strip()
    if not value:
        return None
    if value not in {str(r) for r in FftRating.values}:
        raise CsvInputError(
            f"row {line}: fft_rating '{value}' is not 1 (very good) to 5 (very poor), "
            "6 (don't know) or blank"
        )
    return int(value)


def analyse_csv_stream(
    source: TextIO, destination: TextIO, *, batch_size: int = 64
) -> CsvAnalysisSummary:
    """Copy comments from ``source`` to ``destination`` with their analysis and route."""
    reader = csv.DictReader(source)
    fieldnames = _check_header(list(reader.fieldnames) if reader.fieldnames else None)
    writer = csv.DictWriter(destination, fieldnames=[*fieldnames, *OUTPUT_COLUMNS])
    writer.writeheader()
    analyser = get_analyser(
        Path(settings.ANALYSIS_ARTIFACTS_DIR), precision=settings.READER_PRECISION
    )
    service_types = set(ServiceType.values)
    rows_done = 0
    routes: dict[str, int] = {}
    for chunk in _chunks(iter(reader), CHUNK_ROWS):
        inputs = []
        for offset, row in enumerate(chunk):
            service_type = (row.get("service_type") or "").strip()
            if service_type and service_type not in service_types:
                raise CsvInputError(
                    f"row {rows_done + offset + 2}: service_type '{service_type}' is not one of "
                    + ", ".join(sorted(service_types))
                )
            inputs.append(
                AnalysisInput(
                    text=row.get("text") or "",
                    question=row.get("question") or "",
                    service_type=service_type,
                    fft_rating=_rating(row.get("fft_rating"), rows_done + offset + 2),
                )
            )
        results = analyser.analyse(inputs, batch_size=batch_size)
        for row, item, result in zip(chunk, inputs, results, strict=True):
            decision = route_feedback(
                RoutingInput(
                    text=item.text,
                    kind=row.get("kind") or "",
                    service_type=item.service_type,
                    # A comment in a provider's FFT export is about that provider, unless it is
                    # about primary care, which the ICB commissions.
                    has_provider=item.service_type not in PRIMARY_CARE_SERVICES,
                    question=item.question,
                    themes=[slug for slug, _ in result.themes],
                    risk_scores=result.risk_scores,
                )
            )
            routes[decision.route] = routes.get(decision.route, 0) + 1
            writer.writerow(
                {
                    **row,
                    "sentiment": result.sentiment,
                    "sentiment_label": result.sentiment_label,
                    "sentiment_confidence": f"{result.sentiment_confidence:.3f}",
                    "themes": ";".join(slug for slug, _ in result.themes),
                    "route": decision.route,
                    "route_rule": decision.rule,
                }
            )
        rows_done += len(chunk)
    return CsvAnalysisSummary(rows=rows_done, routes=routes)


def analyse_csv_file(
    *, input_path: Path, output_path: Path, batch_size: int = 64
) -> CsvAnalysisSummary:
    if not input_path.is_file():
        raise CsvInputError(f"input file not found: {input_path}")
    tmp_path = output_path.with_name(output_path.name + ".partial")
    with (
        input_path.open(newline="", encoding="utf-8-sig") as source,
        tmp_path.open("w", newline="", encoding="utf-8") as destination,
    ):
        try:
            summary = analyse_csv_stream(source, destination, batch_size=batch_size)
        except BaseException:
            destination.close()
            tmp_path.unlink(missing_ok=True)
            raise
    # Only a complete output replaces the target: no half-written files.
    tmp_path.replace(output_path)
    return summary
