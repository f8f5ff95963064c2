"""Dashboards: the four-week response target and what patients say, scoped to the viewer.

Reads only. Time series and totals come from the monthly aggregates (analytics.stats); the
figures that depend on today (open items by age, overdue items, paused items, and the open items
whose due date has passed, which count against the target) come from the items themselves
through the indexes on (status, response_due) and (status, received_at).

Who sees what: a trust's staff see their trust; an ICB's staff their own queue and their trusts';
the CQC's staff every organisation. Peer tables show other organisations' aggregate figures
only, never an item.

The modules, each importing only those above it:

- ``scopes``: Scope, scopes_for (who oversees what)
- ``filters``: PERIODS, months_back, Filters (scope, period, service type and kind)
- ``tables``: Table, table_by_slug and the figures' format
- ``targets``: the response target counted once for every page (Due, open_past_due) and the
  days-taken histograms
- ``response_times_page``, ``what_patients_say_page``, ``peers_page``: the three pages
"""

from analytics.dashboard.filters import DEFAULT_PERIOD, PERIODS, Filters, months_back
from analytics.dashboard.peers_page import peers
from analytics.dashboard.response_times_page import response_times
from analytics.dashboard.scopes import NATIONAL, Scope, scopes_for
from analytics.dashboard.tables import Table, month_label, share, table_by_slug
from analytics.dashboard.targets import median_of
from analytics.dashboard.what_patients_say_page import what_patients_say

__all__ = [
    "DEFAULT_PERIOD",
    "NATIONAL",
    "PERIODS",
    "Filters",
    "Scope",
    "Table",
    "median_of",
    "month_label",
    "months_back",
    "peers",
    "response_times",
    "scopes_for",
    "share",
    "table_by_slug",
    "what_patients_say",
]
