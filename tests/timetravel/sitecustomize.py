"""Run the suite, and every process it starts, on another date and time.

``PATIENTVIEW_TEST_NOW=2027-03-28T00:30:00+00:00 make test`` moves the clock of the test process
to that moment when the suite starts; it then ticks on as usual. The suite's web servers and
workers are other processes: the integration tests put this folder on their ``PYTHONPATH``, so
Python imports this module when each starts, and ``PATIENTVIEW_TEST_CLOCK_OFFSET`` (set by the
first process) moves their clocks by the same amount, keeping every process on one clock.

Monotonic clocks (timeouts, throttles' windows) are not moved.
"""

from __future__ import annotations

import datetime as dt
import os
import time

NOW_VARIABLE = "PATIENTVIEW_TEST_NOW"
OFFSET_VARIABLE = "PATIENTVIEW_TEST_CLOCK_OFFSET"


def travel_from_environment() -> dt.datetime | None:
    """Move this process's clock as the environment asks; the moment it moved to, or None."""
    offset = os.environ.get(OFFSET_VARIABLE)
    if offset is None:
        wanted = os.environ.get(NOW_VARIABLE, "").strip()
        if not wanted:
            return None
        moment = dt.datetime.fromisoformat(wanted)
        if moment.tzinfo is None:
            raise ValueError(f"{NOW_VARIABLE} needs a UTC offset, e.g. 2027-03-28T00:30:00+00:00")
        offset = repr(moment.timestamp() - time.time())
        os.environ[OFFSET_VARIABLE] = offset
    import time_machine

    destination = time.time() + float(offset)
    time_machine.travel(destination, tick=True).start()
    return dt.datetime.fromtimestamp(destination, dt.UTC)


if __name__ == "sitecustomize":  # imported by Python at the start of a process
    travel_from_environment()
