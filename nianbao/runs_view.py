"""`nianbao runs` printed: a queued night in a few lines, then the recent runs as a table (or both as JSON)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from nianbao.terminal import Column
from storage.models import utcnow
from storage.nights import Night, RunLine

RUN_COLUMNS = (Column("run", justify="right"), Column("started (UTC)"), Column("took", justify="right"),
               Column("status"), Column("trigger", drop=3), Column("machine", drop=4),
               Column("found", justify="right"), Column("failed", justify="right"), Column("task", drop=2),
               Column("message", whole=False, drop=1))


def took(start: datetime | None, end: datetime | None) -> str:
    if start is None:
        return ""
    seconds = round(((end or utcnow()) - start).total_seconds())
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" + ("" if end else " so far")


def night_lines(night: Night) -> list[str]:
    hosts = sum(night.hosts.values())
    states = ", ".join(f"{night.hosts.get(state, 0)} {state}" for state in ("done", "running", "waiting", "failed"))
    lines = [f"night {night.night}: " + (f"{hosts} hosts ({states}); " if hosts else "")
             + f"sites: {night.sites_found} found, {night.sites_failed} failed"
             + (f", {night.sites_waiting} waiting" if night.sites_queued else "")
             + (f"; {night.reports_to_parse} reports waiting to be parsed" if night.reports_to_parse else "")
             + f"; {len(night.machines)} machine(s){': ' + ', '.join(night.machines) if night.machines else ''}"
             + (f"; {took(night.started_at, night.last_finished_at if not _busy(night) else None)}"
                if night.started_at else "")]
    for run in night.failed_tasks:
        lines.append(f"  failed: {run.task or 'run ' + str(run.id)} (run {run.id}, {run.status}): "
                     + " ".join((run.message or "no message").split()))
    return lines


def _busy(night: Night) -> bool:
    return bool(night.hosts.get("running") or night.hosts.get("waiting") or night.reports_to_parse)


def run_rows(runs: list[RunLine]) -> list[tuple[str, ...]]:
    return [(str(run.id), f"{run.started_at:%Y-%m-%d %H:%M:%S}", took(run.started_at, run.finished_at), run.status,
             run.trigger, run.machine, str(run.found), str(run.failed + run.unfinished),
             " ".join(filter(None, (run.night, run.task))), " ".join((run.message or "").split()))
            for run in runs]


def as_json(night: Night | None, runs: list[RunLine]) -> dict:
    def plain(value):
        return value.isoformat() if isinstance(value, datetime) else value

    night_json = None
    if night is not None:
        night_json = {k: plain(v) for k, v in asdict(night).items() if k != "failed_tasks"}
        night_json["sites_waiting"] = night.sites_waiting
        night_json["failed_tasks"] = [{k: plain(v) for k, v in asdict(run).items()} for run in night.failed_tasks]
    return {"night": night_json, "runs": [{k: plain(v) for k, v in asdict(run).items()} for run in runs]}
