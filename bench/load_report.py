"""The load bench's report (bench/results/load.md): the phases side by side, the CPU each part
used per request, the backlog, and whether each target was met."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bench.common import machine
from bench.load_phases import SETTLE_S, Phase
from bench.load_stack import SUBMIT_RATE

TARGET_RPS = 300
TARGET_P95_MS = 100.0
TABLE_HEAD = (
    "| endpoint | offered rps | achieved rps | 201s | p50 ms | p95 ms | p99 ms | max ms | errors "
    "| load avg at end |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
)


def _ms(value: float) -> str:
    return f"{value:.1f}"


def write_report(
    output: Path,
    *,
    bare: Phase,
    api: Phase,
    drain: dict[str, Any],
    config: dict[str, Any],
    command: str,
) -> list[str]:
    lost = len(api.ids) - drain["api_ids_routed"]
    ratio_p95 = api.percentile(95) / bare.percentile(95)
    ratio_rps = api.achieved_rps / bare.achieved_rps
    verdicts = [
        f"Throughput: {api.achieved_rps:.1f} requests/s achieved of {api.rate} offered for "
        f"{api.duration:.0f} s (target >= {TARGET_RPS}): "
        + (
            "met" if api.achieved_rps >= TARGET_RPS * 0.99 and api.rate >= TARGET_RPS else "NOT met"
        ),
        f"p95 latency: {api.percentile(95):.1f} ms (target < {TARGET_P95_MS:.0f} ms): "
        + ("met" if api.percentile(95) < TARGET_P95_MS else "NOT met"),
        f"Errors: {api.errors}, items lost: {lost} (target 0): "
        + ("met" if api.errors == 0 and lost == 0 else "NOT met"),
        f"Backlog: all {drain['total']:,} items analysed and routed "
        + (
            f"{drain['drain_s']:.0f} s after the load ended: met"
            if drain["drain_s"] == drain["drain_s"]
            else f"NOT within {drain['timeout']:.0f} s ({drain['done']:,} done)"
        ),
    ]
    rows = []
    for phase in (bare, api):
        errors = ", ".join(
            [f"{n} x HTTP {s}" for s, n in sorted(phase.statuses.items()) if s != 201]
            + [f"{n} {kind}" for kind, n in phase.socket_errors.items() if n]
        )
        rows.append(
            f"| {phase.name} `{phase.path}` | {phase.rate} | {phase.achieved_rps:.1f} | "
            f"{phase.ok:,} | {_ms(phase.percentile(50))} | {_ms(phase.percentile(95))} | "
            f"{_ms(phase.percentile(99))} | {_ms(max(phase.latencies_ms, default=0))} | "
            f"{phase.errors}{f' ({errors})' if errors else ''} | {phase.loadavg} |"
        )
    cpu_rows = []
    for phase in (bare, api):
        web, pg = phase.cpu_ms_per_request("gunicorn"), phase.cpu_ms_per_request("postgres")
        cpu_rows.append(
            f"| {phase.name} | {web:.2f} | {pg:.2f} | {phase.cpu_ms_per_request('worker'):.2f} | "
            f"{phase.cpu_ms_per_request('wrk'):.2f} | {web + pg:.2f} | "
            f"{2000 / (web + pg) if web + pg else float('nan'):.0f} requests/s |"
        )
    text = f"""# Load bench: submissions on the real stack (issue 7)

Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `{command}` on {machine()};
{config["postgres"]} and Redis {config["redis"]} on the same machine; {config["wrk"]}.
Load average (1, 5, 15 min) before the run: {config["loadavg_before"]}. The machine's two cores
are shared with the load generator, PostgreSQL, Redis, the analysis worker, and any other work
running at the time: the load average column says how busy it was.

Stack: gunicorn {config["gunicorn"]} with {config["web_workers"]} sync workers (as
docker-compose.yml runs it; 2 x cores + 1), production settings (`bench.bareapp.settings` adds
only the bare URL; CONN_MAX_AGE=600), PostgreSQL ({config["database_url"]}), Redis broker
{config["broker_url"]} and cache {config["cache_url"]} (the throttle's counters); a Celery worker
on the intake and analysis queues, concurrency {config["worker_concurrency"]},
{config["worker_note"]}.
FEEDBACK_SUBMIT_RATE={SUBMIT_RATE} (default 30/minute per client address; all of this load comes
from one address). Each request carries `X-Forwarded-Proto: https`, as the TLS proxy in front
would.

Load: wrk, {config["connections"]} connections (one a thread), each on a fixed schedule: the rate
is held constant and latency is measured from when each request was due (bench/load.lua), so
queueing in front of a busy server counts. Bodies: 2,000 varied valid submissions (FFT comments,
all four kinds, {config["trusts"]} trusts and {config["icbs"]} ICBs, primary care by area,
identities with valid NHS numbers, texts up to 5,000 characters); one in three carries an
Idempotency-Key.
Warm-up first (5 s to each endpoint, its items analysed before measuring); then the bare endpoint,
then the submission API, each for {api.duration:.0f} s.

{TABLE_HEAD}
{chr(10).join(rows)}

CPU used per request, in ms: user + system time (from /proc) of the gunicorn processes, the
PostgreSQL backends serving the bench database, the analysis worker and wrk during the phase
(and {SETTLE_S:.0f} s after, for requests still queued), over the rows the phase saved. These
depend far less than the latencies on what else the machine is doing (contention still inflates
them somewhat); the last column is what two otherwise idle cores could serve if the web server
and PostgreSQL had them to themselves, with no analysis running.

| endpoint | web | PostgreSQL | analysis worker | wrk | web + PostgreSQL | 2 cores / that |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(cpu_rows)}

- Submission API vs bare insert, same run: p95 {ratio_p95:.2f} x, throughput {ratio_rps:.2f} x.
  The bare endpoint (bench/bareapp, never in the product's URLs) parses the same JSON and inserts
  one row through the same middleware; the API also validates, looks up the organisation, checks
  the throttle in Redis, saves the item, its identity and an audit row in one transaction, and
  sends the analysis message to Redis after commit.
- Backlog: {drain["total"]:,} items submitted over the API (warm-up included),
  {drain["done_at_end"]:,} already analysed and routed when the load ended; all {drain["done"]:,}
  analysed and routed {drain["drain_s"]:.1f} s after it ended ({drain["total_s"]:.1f} s after it
  started). Load average when the backlog was done: {drain["loadavg"]}.
- Nothing lost or done twice: of the {len(api.ids):,} items whose ids the 201 answers gave,
  {drain["api_ids_routed"]:,} are in the database analysed and routed ({lost} lost);
  the phase saved {drain["api_rows"]:,} items in all (wrk stops with up to {config["connections"]}
  requests in flight and does not count their answers). {drain["routed_events"]:,} "routed" audit
  rows for {drain["total"]:,} items: {drain["routed_twice"]} item(s) routed twice. Bare endpoint:
  {drain["bare_ids_found"]:,} of the {len(bare.ids):,} ids answered are in the table
  ({drain["bare_rows"]:,} rows saved).

{chr(10).join("- " + v for v in verdicts)}

Reproduce: `apt-get install wrk`, PostgreSQL and Redis on 127.0.0.1 (trust authentication for
postgres), then `{command}`. Logs of gunicorn and the worker are kept with --keep.
"""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    return verdicts
