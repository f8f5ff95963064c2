"""How an NHS FFT export states the patient's rating and the kind of service (the shared data's
columns), read as the product's values. No Django, no torch: the benchmarks read it too."""

from __future__ import annotations

RATING_COLUMN = "FFT categorical answer"
SERVICE_COLUMN = "Service type 1"
# The FFT file's services as the product's service types (feedback.choices.ServiceType); the rest
# ("Unknown", blank, a one-off) are read as not known.
SERVICE_TYPES: dict[str, str] = {
    "See and Convey": "ambulance",
    "111": "111",
    "PTS - Patient Transport": "patient_transport",
    "Local partnerships- MH": "mental_health",
    "Forensic": "mental_health",
    "Community health services": "community",
}


def parse_rating(value: str | None) -> int | None:
    """An FFT rating as exported (1 very good ... 6 don't know); None for anything else."""
    value = (value or "").strip()
    return int(value) if value in {"1", "2", "3", "4", "5", "6"} else None


def service_type(value: str | None) -> str:
    """The product's service type for an export's service, "" when it has none of ours.

    Exports put non-breaking spaces and doubled spaces in names ("PTS\\xa0 - Patient Transport").
    """
    return SERVICE_TYPES.get(" ".join((value or "").split()), "")
