"""Check triage JSONL files against GUIDE.md: python validate.py FILE [FILE ...]."""

from __future__ import annotations

import json
import sys

LABELS = {
    "safeguarding",
    "mental_health_act",
    "serious_risk",
    "primary_care",
    "commissioning",
    "asks_commissioner",
}
KINDS = {"complaint", "concern", "compliment", "suggestion"}
SERVICES = {
    "", "acute", "mental_health", "community", "ambulance", "111", "patient_transport",
    "gp", "dental", "pharmacy", "optometry",
}  # fmt: skip
PRIMARY = {"gp", "dental", "pharmacy", "optometry"}
VOICES = {
    "patient", "parent", "relative", "carer", "friend", "neighbour", "staff", "advocate",
    "visitor",
}  # fmt: skip
REGISTERS = {
    "plain", "angry", "polite", "sarcastic", "upset", "misspelt", "no_punctuation", "formal",
    "rambling", "terse",
}  # fmt: skip


def expected_route(record: dict) -> str:
    labels = set(record["labels"])
    if labels & {"safeguarding", "serious_risk"}:
        return "cqc"
    if "mental_health_act" in labels and record["kind"] != "compliment":
        return "cqc"
    if (
        labels & {"primary_care", "commissioning", "asks_commissioner"}
        or record["service_type"] in PRIMARY
        or not record["provider_named"]
    ):
        return "icb"
    return "trust"


def problems(record: dict) -> list[str]:
    found = []
    for key in ("id", "situation", "text", "kind", "service_type", "provider_named", "labels",
                "route", "voice", "register"):  # fmt: skip
        if key not in record:
            found.append(f"missing {key}")
    if found:
        return found
    if not isinstance(record["text"], str) or len(record["text"].strip()) < 3:
        found.append("text too short")
    if record["kind"] not in KINDS:
        found.append(f"kind {record['kind']!r}")
    if record["service_type"] not in SERVICES:
        found.append(f"service_type {record['service_type']!r}")
    if not isinstance(record["provider_named"], bool):
        found.append("provider_named must be true or false")
    if not set(record["labels"]) <= LABELS:
        found.append(f"labels {sorted(set(record['labels']) - LABELS)}")
    if record["voice"] not in VOICES:
        found.append(f"voice {record['voice']!r}")
    if record["register"] not in REGISTERS:
        found.append(f"register {record['register']!r}")
    if not found and record["route"] != expected_route(record):
        found.append(f"route {record['route']!r}, the rules give {expected_route(record)!r}")
    return found


def main(paths: list[str]) -> int:
    seen: set[str] = set()
    bad = 0
    total = 0
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                total += 1
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    print(f"{path}:{number}: not JSON: {exc}")
                    bad += 1
                    continue
                issues = problems(record)
                if record.get("id") in seen:
                    issues.append(f"duplicate id {record.get('id')}")
                seen.add(record.get("id"))
                for issue in issues:
                    print(f"{path}:{number}: {issue}")
                bad += bool(issues)
    print(f"{total} records, {bad} with problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
