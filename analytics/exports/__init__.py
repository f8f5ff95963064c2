"""Reads for the regulator API: what a token may see, pseudonymised export rows, aggregates.

Every queryset a regulator token sees is scoped in ``scoping.feedback_visible_to_token`` (the one
scoping rule, as staff are scoped). The modules, in the order an export passes through them:

- ``filters``: ``ExportFilters`` (what a client asked for) and ``feedback_filter``.
- ``query``: ``EXPORT_COLUMNS`` and the one query an export runs (``feedback_export_values``).
- ``rows``: ``ExportRowBuilder``, database values to pseudonymised, redacted export rows, as
  dicts (JSON pages, NDJSON) or as lines of CSV; ``cells`` holds the CSV cell encoding.
- ``streaming``: the server-side cursor read a chunk at a time by a reader thread
  (``iterate_values``), and the CSV and NDJSON streams that finish the audit row.
- ``aggregates``: counts and four-week compliance (``feedback_aggregates``).

A row never carries a direct identifier: the item's key becomes a keyed pseudonym, the free text
is redacted (with the writer's own identity as well as by pattern), and staff free text
(responses, reasons, routing evidence) is left out altogether.
"""
