"""The `nianbao` command: one thin verb per job, each calling one library function."""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Literal

import typer

app = typer.Typer(help="Harvest and check 政府信息公开工作年度报告 (government information-disclosure annual reports).",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  rich_markup_mode="markdown")  # a docstring's line breaks are not the help's


def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"nianbao {version('nianbao')}")
        except PackageNotFoundError:  # run from a checkout that was never installed
            typer.echo("nianbao (not installed)")
        raise typer.Exit()


@app.callback()
def root(ctx: typer.Context,
         show_version: Annotated[bool, typer.Option(
             "--version", callback=_print_version, is_eager=True, help="Print the version and exit.")] = False,
         log_file: Annotated[Path | None, typer.Option(
             "--log-file", envvar="NIANBAO_LOG_FILE", dir_okay=False,
             help="Also log to this file: INFO and up, with tracebacks (the terminal shows warnings, one line each)."
         )] = None) -> None:
    """nianbao: harvest, parse, store and audit government information-disclosure annual reports."""
    from nianbao.logs import configure

    try:  # the scheduler runs unattended: its console log says what it does, not only what went wrong
        configure(log_file, default_level="INFO" if ctx.invoked_subcommand in ("schedule", "worker") else "WARNING")
    except (OSError, ValueError) as exc:
        fail(f"cannot log to {log_file}: {getattr(exc, 'strerror', None) or exc}" if isinstance(exc, OSError)
             else str(exc))


def main() -> None:
    """The console script: usage errors, like every other error, as one line on stderr (exit 2)."""
    try:
        code = app(standalone_mode=False)
    except (KeyboardInterrupt, typer.Abort):
        sys.exit(130)
    except Exception as exc:
        # Typer's usage errors (its own copy of Click's) carry format_message and exit_code.
        if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            raise
        if message := exc.format_message():  # empty when the help was shown for a bare `nianbao`
            typer.echo(f"nianbao: error: {message}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


def fail(message: str, code: int = 1) -> None:
    """One line on stderr and a non-zero exit: how every command reports bad input."""
    typer.echo(f"nianbao: error: {message}", err=True)
    raise typer.Exit(code)


AuditFormat = Literal["table", "json", "csv", "html", "xlsx"]  # listed as choices in --help; Typer refuses any other
ReportFiles = Annotated[list[Path], typer.Argument(
    help="Report files: .html .pdf .docx .txt (.doc .wps need LibreOffice). Several are read in parallel.")]


@app.command()
def parse(files: ReportFiles, db: DbOption = None):
    """Parse local report files and print the parse JSON to stdout: one object for one file; for several, one line
    of JSON each, in the order given, read by a pool of processes (it reads no database; --db is accepted)."""
    if len(files) > 1:
        parse_many(files)
        return
    from nianbao.parse_command import parse_one

    code = parse_one(files[0])
    if code:
        raise typer.Exit(code)


def parse_many(files: list[Path]) -> None:
    """Every file read and parsed in the reader pool (as many processes as cores, NIANBAO_DOCUMENT_WORKERS), each
    within its memory and time limits; a file that fails costs its own line on stderr and makes the exit code 1."""
    import asyncio

    from nianbao.document import MAX_INPUT_BYTES
    from nianbao.isolated import DocumentPool, Outcome

    async def one(pool: DocumentPool, file: Path) -> Outcome:
        if not file.is_file():
            return Outcome(None, f"{file}: no such file")
        if file.stat().st_size > MAX_INPUT_BYTES:
            return Outcome(None, f"{file.name} is larger than {MAX_INPUT_BYTES // 2**20} MiB; not a report")
        outcome = await pool.parse(file.read_bytes(), name=file.name, source=file.name)
        return outcome if outcome.parsed is not None else Outcome(None, f"{file}: {outcome.error}")

    async def all_of() -> list[Outcome]:
        pool = DocumentPool()
        try:
            return await asyncio.gather(*(one(pool, file) for file in files))
        finally:
            pool.close()

    failed = 0
    for outcome in asyncio.run(all_of()):
        if outcome.parsed is None:
            failed += 1
            typer.echo(f"nianbao: error: {outcome.error}", err=True)
        else:
            sys.stdout.write(json.dumps(outcome.parsed, ensure_ascii=False) + "\n")
    if failed:
        raise typer.Exit(1)


# ---- the database ---------------------------------------------------------------------------------------------

DbOption = Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL; default NIANBAO_DATABASE_URL or "
                                              "sqlite:///nianbao.sqlite in the working directory.")]


@contextmanager
def database(url: str | None):
    """An engine on an up-to-date schema (or a one-line error), disposed when the command ends."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from storage.db import make_engine, upgrade

    engine = None
    try:
        engine = make_engine(url)
        upgrade(engine)
    except (SQLAlchemyError, ArgumentError, OSError, ValueError, ImportError) as exc:  # ImportError: no driver
        if engine is not None:
            engine.dispose()
        fail(f"cannot open the database: {str(exc).splitlines()[0]}")
    try:
        yield engine
    finally:
        engine.dispose()


sites = typer.Typer(help="The registry of agencies and their listing pages.", no_args_is_help=True)
app.add_typer(sites, name="sites")


@sites.command("import")
def sites_import(file: Annotated[Path, typer.Argument(
        help="Registry CSV (UTF-8 or GBK) or .xlsx: id,name,level,parent,listing_url; level in English or Chinese")],
                 db: DbOption = None):
    """Load the agency registry; re-importing updates rows in place and duplicates nothing."""
    from sqlalchemy.orm import Session

    from storage.registry import RegistryError, import_registry, read_registry

    with database(db) as engine:
        try:
            with Session(engine) as session, session.begin():
                records = read_registry(file, session, say=lambda line: typer.echo(line, err=True))
                result = import_registry(session, records)
        except RegistryError as exc:
            fail(str(exc))
    attributed = f"; {result.attributed} stored report(s) filed under their agency" if result.attributed else ""
    typer.echo(f"{result.added} added, {result.updated} updated, {result.unchanged} unchanged{attributed}")
    if result.unmatched:  # not an error: 开发区 and 新区 governments have no code; a typo in a name would show here
        shown = ", ".join(result.unmatched[:5]) + (f" and {len(result.unmatched) - 5} more" if len(
            result.unmatched) > 5 else "")
        typer.echo(f"no administrative division found by name for {len(result.unmatched)} government(s): {shown} "
                   "(give its code in a division column)", err=True)


@sites.command("list")
def sites_list(db: DbOption = None):
    """The registry, with each site's last crawl outcome (and whether it is disabled)."""
    from sqlalchemy.orm import Session

    from nianbao.terminal import Column, fitted_table
    from storage.db import read_only
    from storage.registry import list_agencies, redact_url

    # A URL stored before imports refused credentials prints as user:***@host.
    with database(db) as engine, Session(read_only(engine)) as session:
        agencies = list_agencies(session)
    rows = [(a.id, a.name, a.level, a.parent_id or "", " ".join(map(redact_url, a.listing_urls)),
             a.last_outcome.outcome if a.last_outcome else "never crawled") for a in agencies]
    if not sys.stdout.isatty():  # scripts get tab-separated lines, whole
        for row in (("id", "name", "level", "parent", "listing pages", "last crawl", "enabled", "origin", "division",
                     "confirmed"),
                    *((*row, "yes" if a.enabled else "no", a.origin, a.division or "",
                       f"{a.confirmed_at:%Y-%m-%d %H:%M}" if a.confirmed_at else "")
                      for row, a in zip(rows, agencies, strict=True))):
            typer.echo("\t".join(row))
        return
    columns = (Column("id"), Column("name"), Column("level", drop=4), Column("parent", drop=3),
               Column("listing pages", whole=False, drop=2), Column("last crawl", drop=1))
    shown = [(*row[:5], row[5] if a.enabled else f"disabled; {row[5]}") for row, a in zip(rows, agencies, strict=True)]
    console = terminal()
    console.print(fitted_table(columns, shown, console.width))


@sites.command("discover")
def sites_discover(url: Annotated[str, typer.Argument(help="A portal's home page, or its 政府信息公开 platform page.")],
                   parent: Annotated[str | None, typer.Option(help="Registry id of the portal's parent.")] = None,
                   max_pages: Annotated[int, typer.Option(help="Pages to fetch at most.")] = 60,
                   out: Annotated[Path | None, typer.Option(help="Write the CSV to this file, not stdout.")] = None,
                   db: DbOption = None):
    """Follow a portal's own navigation to its annual-report columns (its government's, and its departments' and
    townships' platforms'), and write them as registry rows to review and import, with the links that led there;
    `registered` names the agency a listing page is already registered for."""
    from sqlalchemy.orm import Session

    from nianbao.discover import as_csv, discover, registered_for
    from storage.db import read_only
    from storage.registry import is_http_url, redact_url

    if not is_http_url(url):
        fail(f"not an http(s) URL: {redact_url(url)}", 2)
    check_writable(out, "csv")
    with database(db):  # a bad database is said before the crawl, not after it
        pass
    found = discover(url, parent, max_pages, {"NIANBAO_PROGRESS": False})
    if not found.site_name and not found.proposals:
        fail(f"nothing could be read at {redact_url(url)} (see the log above)")
    with database(db) as engine, Session(read_only(engine)) as session:
        rows = registered_for(session, found.proposals)
    write_text(as_csv(rows), out)
    typer.echo(f"{len(found.proposals)} agencies with annual-report columns found on {found.site_name or url} "
               f"in {found.pages} pages fetched", err=True)


@sites.command("rediscover")
def sites_rediscover(after: Annotated[int, typer.Option(help="Runs in a row a site must have failed.")] = 3,
                     max_pages: Annotated[int, typer.Option(help="Pages to fetch at most per site.")] = 60,
                     db: DbOption = None):
    """Search the home pages of the sites whose listings keep failing for their annual-report columns again, and
    propose the new listing pages (shown by `sites health`); the registry is not changed."""
    from nianbao.rediscover import rediscover

    with database(db):
        pass
    searched, found = rediscover(db, after, max_pages, {"NIANBAO_PROGRESS": False})
    for item in found:
        typer.echo(f"{item.agency_id}: proposed {item.url} ({item.evidence})")
    typer.echo(f"{len(searched)} failing site(s) searched again, {len(found)} new listing page(s) proposed", err=True)


@sites.command("suggest")
def sites_suggest(out: Annotated[Path | None, typer.Option(help="Write the CSV to this file, not stdout.")] = None,
                  db: DbOption = None):
    """Agencies the crawls saw on registered listing pages but no registry row holds, as registry rows to review
    and import (`sites import`): the level guessed from the name, the site's agency as parent, reports stored."""
    from sqlalchemy.orm import Session

    from nianbao.suggest import as_csv, suggestions
    from storage.db import read_only

    check_writable(out, "csv")
    with database(db) as engine, Session(read_only(engine)) as session:
        rows = suggestions(session)
    write_text(as_csv(rows), out)
    typer.echo(f"{len(rows)} unregistered agencies suggested ({sum(1 for r in rows if not r.level_guess)} with no "
               "word to guess their level from: department, to check)", err=True)


@sites.command("health")
def sites_health(fmt: Annotated[Literal["table", "json"], typer.Option("--format", help="How to print it.")] = "table",
                 db: DbOption = None):
    """The sites whose crawls keep failing, longest broken first: the last run's failure class, how many runs in a
    row failed, since when, and the last run's message. A site drops out once a run finds its reports."""
    from dataclasses import asdict

    from sqlalchemy.orm import Session

    from nianbao.terminal import Column, fitted_table
    from storage.db import read_only
    from storage.health import broken_sites
    from storage.proposals import open_proposals

    with database(db) as engine, Session(read_only(engine)) as session:
        broken = broken_sites(session)
        proposals = open_proposals(session)
    if fmt == "json":
        rows = [{**asdict(site), "failing_since": site.failing_since.isoformat(),
                 "proposed": [{"url": p.url, "evidence": p.evidence, "proposed_at": p.proposed_at.isoformat()}
                              for p in proposals.get(site.id, ())]} for site in broken]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    rows = [(site.id, site.name, site.failure_class, str(site.consecutive_failures),
             f"{site.failing_since:%Y-%m-%d %H:%M}", " ".join((site.last_message or "").split()),
             " ".join(p.url for p in proposals.get(site.id, ()))) for site in broken]
    if not sys.stdout.isatty():  # scripts get tab-separated lines, whole
        for row in (("id", "name", "class", "failures", "failing since (UTC)", "last message", "proposed listing"),
                    *rows):
            typer.echo("\t".join(row))
        return
    if not rows:
        typer.echo("no site is failing")
        return
    columns = (Column("id"), Column("name", drop=2), Column("class"), Column("failures", justify="right"),
               Column("failing since (UTC)"), Column("last message", whole=False, drop=1),
               Column("proposed listing", whole=False, drop=3))
    console = terminal()
    console.print(fitted_table(columns, rows, console.width))


@sites.command("remove")
def sites_remove(agency_id: Annotated[str, typer.Argument(metavar="ID", help="The agency's registry id.")],
                 db: DbOption = None):
    """Take an agency out of the registry; its stored reports are kept, unattributed (importing it again files
    them under it again)."""
    from storage.registry_edits import remove_agency

    detached = edit_registry(db, lambda session: remove_agency(session, agency_id))
    typer.echo(f"removed {agency_id}; {detached} stored report(s) kept, now unattributed")


@sites.command("disable")
def sites_disable(agency_id: Annotated[str, typer.Argument(metavar="ID", help="The agency's registry id.")],
                  db: DbOption = None):
    """Stop crawling and auditing an agency (abolished, merged, watched elsewhere); its reports are kept."""
    from storage.registry_edits import set_enabled

    changed = edit_registry(db, lambda session: set_enabled(session, agency_id, False))
    typer.echo(f"{agency_id} disabled: neither crawled nor audited" if changed else f"{agency_id} was disabled")


@sites.command("enable")
def sites_enable(agency_id: Annotated[str, typer.Argument(metavar="ID", help="The agency's registry id.")],
                 db: DbOption = None):
    """Crawl and audit a disabled agency again."""
    from storage.registry_edits import set_enabled

    changed = edit_registry(db, lambda session: set_enabled(session, agency_id, True))
    typer.echo(f"{agency_id} enabled" if changed else f"{agency_id} was enabled")


def edit_registry(db: str | None, change):
    """`change(session)` in one transaction: a RegistryError is a one-line error and nothing is written."""
    from sqlalchemy.orm import Session

    from storage.registry import RegistryError

    with database(db) as engine:
        try:
            with Session(engine) as session, session.begin():
                return change(session)
        except RegistryError as exc:
            fail(str(exc))


def terminal(stream=None):
    """A Rich console for tables: a terminal's own width; a file or a pipe gets whole lines (240 columns)."""
    from rich.console import Console

    stream = stream or sys.stdout
    return Console(file=stream, width=None if stream is sys.stdout and sys.stdout.isatty() else 240)


@app.command()
def audit(year: Annotated[int, typer.Option(help="The year reported on.")],
          as_of: Annotated[str | None, typer.Option(help="Judge deadlines as of YYYY-MM-DD; default today.")] = None,
          fmt: Annotated[AuditFormat, typer.Option("--format", help="How to print the audit.")] = "table",
          out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
          db: DbOption = None):
    """Which registered agencies have and have not published their report for a year, against the legal deadline."""
    from datetime import date

    from sqlalchemy.orm import Session

    from nianbao import audit as auditing
    from nianbao.audit.load import copy_scorer, load, load_unstored
    from nianbao.evidence import evidence_for
    from storage.archive import archive_dir
    from storage.db import read_only

    renderers = {"json": auditing.render_json, "csv": auditing.render_csv}
    check_writable(out, fmt)
    try:
        when = date.fromisoformat(as_of) if as_of else date.today()
        settings = auditing.Settings.from_env(os.environ)
    except ValueError as exc:
        fail(f"bad --as-of or setting: {exc}")
    with database(db) as engine, Session(read_only(engine)) as session, busy(f"auditing {year}"):
        result = auditing.audit(*load(session, year), year=year, as_of=when, settings=settings,
                                unstored=load_unstored(session, year), copy_scores=copy_scorer(session))
        evidence = (evidence_for(session, result.rows, year, archive_dir(db, os.environ.get("NIANBAO_ARCHIVE_DIR")))
                    if fmt == "html" else None)  # each verdict on the page with what backs it
    if fmt == "html":
        write_text(auditing.render_html(result, evidence), out)
        return
    if fmt == "table":
        with output(out, "utf-8") as stream:
            console = terminal(stream)
            console.print(auditing.render_table(result, console.width))
        return
    if fmt == "xlsx":
        write_file(out, lambda stream: auditing.write_xlsx(result, stream))
        return
    if fmt == "json":  # streamed: an audit of 100,000 agencies is too large to build as one string
        with output(out, "utf-8") as stream:
            auditing.write_json(result, stream.write)
        return
    write_text(renderers[fmt](result), out)


@app.command()
def export(year: Annotated[int | None, typer.Option(help="Only reports on this year.")] = None,
           fmt: Annotated[Literal["json", "csv", "xlsx"], typer.Option(
               "--format", help="json; csv; or xlsx (one sheet per table and the findings; needs --out).")] = "json",
           layout: Annotated[Literal["long", "wide"], typer.Option(
               help="csv only: long, one row per cell; wide, one row per report with the format's Chinese labels."
           )] = "long",
           out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
           db: DbOption = None):
    """Every stored report with its parsed tables and findings."""
    from sqlalchemy.orm import Session

    from nianbao import export as exporting
    from storage.db import read_only
    from storage.reports import iter_reports

    if layout == "wide" and fmt != "csv":
        fail(f"--layout wide is for --format csv ({fmt} has one layout)", 2)
    if fmt == "xlsx":
        check_writable(out, fmt)
        with database(db) as engine, Session(read_only(engine)) as session:
            write_file(out, lambda stream: exporting.write_xlsx(iter_reports(session, year), stream))
        return
    csv_writer = exporting.write_csv if layout == "long" else exporting.write_wide_csv
    writer = {"json": exporting.write_json, "csv": csv_writer}
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
    with database(db) as engine, Session(read_only(engine)) as session, output(out, encoding) as stream:
        writer[fmt](iter_reports(session, year), stream)


@app.command()
def evidence(agency: Annotated[str, typer.Argument(metavar="AGENCY", help="The agency's registry id.")],
             year: Annotated[int, typer.Option(help="The year reported on.")],
             as_of: Annotated[str | None, typer.Option(help="Judge deadlines as of YYYY-MM-DD; default today.")] = None,
             fmt: Annotated[Literal["text", "json"], typer.Option("--format", help="How to print it.")] = "text",
             db: DbOption = None):
    """Why the audit says what it says of one agency: its report's fetch and WARC record, or the listing pages
    read in the last run (times, digests, WARC records) that held no report of the year."""
    from datetime import date

    from sqlalchemy.orm import Session

    from nianbao import audit as auditing
    from nianbao.evidence import UnknownAgency, gather
    from nianbao.evidence_text import render_text
    from storage.archive import archive_dir
    from storage.db import read_only

    try:
        when = date.fromisoformat(as_of) if as_of else date.today()
        settings = auditing.Settings.from_env(os.environ)
    except ValueError as exc:
        fail(f"bad --as-of or setting: {exc}")
    archive = archive_dir(db, os.environ.get("NIANBAO_ARCHIVE_DIR"))
    with database(db) as engine, Session(read_only(engine)) as session, busy(f"auditing {year}"):
        try:
            found = gather(session, agency, year, when, settings, archive)
        except UnknownAgency as exc:
            fail(str(exc))
    text = json.dumps(found, ensure_ascii=False, indent=2) + "\n" if fmt == "json" else render_text(found)
    typer.echo(text, nl=False)


@app.command()
def get(wanted: Annotated[str, typer.Argument(
            metavar="REPORT|SHA256", help="A report (its id, or AGENCY/YEAR: its current document) or a sha256.")],
        out: Annotated[Path, typer.Option(help="The file to write the original bytes to.")],
        db: DbOption = None):
    """Write a stored original (a report's document, an attachment) back out, byte for byte."""
    from sqlalchemy.orm import Session

    from storage.db import read_only
    from storage.evidence_reads import original_bytes

    check_writable(out)
    with database(db) as engine, Session(read_only(engine)) as session:
        data = original_bytes(session, wanted)
    if data is None:
        fail(f"no stored report or document {wanted!r}")
    write_file(out, lambda stream: stream.write(data))


@app.command()
def history(agency: Annotated[str, typer.Argument(
                metavar="AGENCY", help="A registry id, or the name an unregistered agency's reports are under.")],
            year: Annotated[int | None, typer.Option(help="Only the report on this year.")] = None,
            fmt: Annotated[Literal["text", "json"], typer.Option("--format", help="How to print it.")] = "text",
            db: DbOption = None):
    """Every stored version of an agency's reports, oldest first, and what each changed: the cells (from what to
    what, under the format's labels) and the text's lines."""
    from sqlalchemy.orm import Session

    from nianbao.history import as_data, render_text
    from storage.db import read_only
    from storage.history import agency_history

    with database(db) as engine, Session(read_only(engine)) as session:
        reports = agency_history(session, agency, year)
    if reports is None:
        fail(f"no registered agency {agency!r} and no report stored under that name (`nianbao sites list`)")
    if fmt == "json":
        typer.echo(json.dumps(as_data(reports), ensure_ascii=False, indent=1))
    else:
        typer.echo(render_text(reports, agency), nl=False)


@app.command()
def show(report: Annotated[str, typer.Argument(metavar="REPORT", help="The report's id, or AGENCY/YEAR.")],
         fmt: Annotated[Literal["text", "html", "json"], typer.Option(
             "--format", help="text; html (the tables beside their source, each cell's place marked); json.")] = "text",
         out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
         db: DbOption = None):
    """A stored report's three tables: where each value was printed, how it was placed, a person's corrections."""
    from sqlalchemy.orm import Session

    from nianbao.show import render_text
    from storage.db import read_only
    from storage.evidence_reads import find_report, original_bytes
    from storage.reports import report_export

    check_writable(out)
    with database(db) as engine, Session(read_only(engine)) as session:
        found = find_report(session, report)
        exported = report_export(session, found) if found is not None else None
        if exported is None:
            fail(f"no stored report {report!r} (give its id or AGENCY/YEAR; `nianbao review` lists ids)")
        document = original_bytes(session, exported["document_sha256"]) if fmt == "html" else None
    if fmt == "html":
        from nianbao.show_html import render_html

        text = render_html(exported, document)
    else:
        text = json.dumps(exported, ensure_ascii=False, indent=1) + "\n" if fmt == "json" else render_text(exported)
    write_text(text, out)


@app.command()
def review(year: Annotated[int | None, typer.Option(help="Only reports on this year.")] = None,
           limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 50,
           fmt: Annotated[Literal["table", "json"], typer.Option("--format", help="How to print it.")] = "table",
           db: DbOption = None):
    """Reports a person should check, worst first: errors in their findings, corrections made on earlier bytes,
    cells placed or recovered by arithmetic rather than read."""
    from dataclasses import asdict

    from sqlalchemy.orm import Session

    from storage.db import read_only
    from storage.review_reads import review_queue

    with database(db) as engine, Session(read_only(engine)) as session:
        items = review_queue(session, year)
    if fmt == "json":
        typer.echo(json.dumps([asdict(i) for i in items[:limit]], ensure_ascii=False, indent=1))
        return
    if not items:
        typer.echo("nothing to review: no stored report has errors, inferred cells or stale corrections")
        return
    typer.echo("report\tagency\tyear\terrors\tstale corrections\tinferred cells\tfirst error")
    for i in items[:limit]:
        typer.echo(f"{i.report_id}\t{i.agency_id or i.agency_name}\t{i.year}\t{i.errors}\t{i.stale}\t{i.inferred}\t"
                   f"{i.first_error or ''}")
    if len(items) > limit:
        typer.echo(f"… and {len(items) - limit} more (--limit)")


@app.command()
def correct(report: Annotated[str, typer.Argument(metavar="REPORT", help="The report's id, or AGENCY/YEAR.")],
            cell: Annotated[str, typer.Argument(metavar="TABLE.ROW.COLUMN", help="e.g. applications.new.total")],
            value: Annotated[str, typer.Argument(metavar="VALUE", help="The number printed; null for a blank cell.")],
            note: Annotated[str, typer.Option(help="Why: what the source prints there.")],
            by: Annotated[str | None, typer.Option(help="Who corrects (default: the login name).")] = None,
            db: DbOption = None):
    """Store a person's correction of one cell beside the parsed value (never over it). Exports, the audit and
    `show` use it while the report's bytes stay the same; a new version makes it stale."""
    import getpass
    import re

    from sqlalchemy.orm import Session

    from storage.corrections import add_correction
    from storage.evidence_reads import find_report

    blank = value.strip().lower() in ("null", "blank")
    if not blank and not re.fullmatch(r"[+-]?\d{1,13}(\.\d{1,6})?", value.strip()):
        fail(f"{value!r} is not a number (digits, as printed in the report's unit; null for a blank cell)", 2)
    number = None if blank else float(value) if "." in value else int(value)
    try:
        who = by or getpass.getuser()
    except (KeyError, OSError):
        fail("cannot tell who corrects: give --by NAME", 2)
    with database(db) as engine, Session(engine) as session:
        found = find_report(session, report)
        if found is None:
            fail(f"no stored report {report!r} (give its id or AGENCY/YEAR; `nianbao review` lists ids)")
        try:
            made = add_correction(session, found, cell, number, note, who)
        except ValueError as exc:
            fail(str(exc), 2)
        session.commit()
        typer.echo(f"report {found.id} {cell}: parsed {made.parsed_value}, corrected to {number} "
                   f"(for the document {made.document_sha256[:12]}…)")


def write_file(out: Path, write) -> None:
    """`write(stream)` into a temporary file beside `out`, renamed over it only when complete: a failure (or a full
    disk) never leaves half a workbook behind, nor destroys the last good one."""
    partial = out.with_name(f".{out.name}.partial")
    try:
        with partial.open("wb") as stream:
            write(stream)
        partial.replace(out)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    finally:
        if partial.is_file():
            partial.unlink()


@contextmanager
def busy(what: str):
    """A spinner on stderr while something long runs, only when stderr is a terminal (scripts see nothing)."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(what + " …"):
        yield


def write_text(text: str, out: Path | None) -> None:
    with output(out, "utf-8") as stream:
        stream.write(text)


@contextmanager
def output(out: Path | None, encoding: str):
    """stdout, or the --out file opened for writing (a one-line error when it cannot be)."""
    if out is None:
        yield sys.stdout
        return
    try:
        stream = out.open("w", encoding=encoding, newline="")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}")
    with stream:
        yield stream


def check_writable(out: Path | None, fmt: str = "") -> None:
    """Fail before a long job when its --out file could not be written, or is missing for a workbook."""
    if fmt == "xlsx" and out is None:
        fail("--format xlsx writes a workbook: give it a file with --out", 2)
    if out is not None and not (out.parent if out.parent != Path() else Path.cwd()).is_dir():
        fail(f"cannot write {out}: no such directory")


@app.command()
def crawl(site: Annotated[list[str] | None, typer.Option("--site", help="Only this site id (repeatable).")] = None,
          trigger: Annotated[str, typer.Option(help="Recorded with the run: manual or scheduled.")] = "manual",
          enqueue: Annotated[bool, typer.Option(
              "--enqueue", help="PostgreSQL: queue one crawl per host for `nianbao worker`s instead of crawling here."
          )] = False,
          night: Annotated[str | None, typer.Option(
              help="With --enqueue: the night the work belongs to (a host is queued once per night); default today."
          )] = None,
          db: DbOption = None):
    """Crawl the registered sites (or those given): new or changed reports are downloaded, parsed and stored.

    Exits 0 when the run completed, even if some sites failed; each site's outcome is recorded.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from nianbao.crawl import UnknownSites
    from nianbao.crawl import crawl as run

    if trigger not in ("manual", "scheduled"):
        fail(f"unknown trigger {trigger!r}: use manual or scheduled")
    if enqueue:
        _enqueue(db, night, trigger, site)
        return
    if night:
        fail("--night goes with --enqueue", 2)
    try:
        summary = run(db, list(site or []), trigger, {"NIANBAO_PROGRESS": True})
    except UnknownSites as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"cannot open the database: {str(exc).splitlines()[0]}")
    for site, holder in sorted(summary.left.items()):
        typer.echo(f"nianbao: {site} left alone: another crawl ({holder}) is running it", err=True)
    if summary.run_id is None and summary.finish_reason == "nothing to crawl":
        fail("nothing to crawl: no registered site with a listing page (`nianbao sites import` first?)")
    if summary.run_id is not None:
        typer.echo(summary.line())
    if summary.finish_reason != "finished":
        failure = summary.stats.get("nianbao/storage_failure")
        if failure:
            fail(f"the crawl stopped: it could not store ({failure}); run {summary.run_id} is recorded as failed")
        fail(f"the crawl ended early: {summary.finish_reason}")


def _enqueue(db: str | None, night: str | None, trigger: str, sites: list[str] | None) -> None:
    from datetime import date

    from sqlalchemy.exc import SQLAlchemyError

    from nianbao.crawl import UnknownSites
    from nianbao.queue.app import QueueUnavailable
    from nianbao.queue.enqueue import enqueue_night

    try:
        night = (date.fromisoformat(night) if night else date.today()).isoformat()
        if sites:  # a hand-picked re-crawl is its own night: it must not be taken for tonight's, nor block it
            night = f"{night}/manual:{','.join(sorted(sites))}"
        done = enqueue_night(db, night, trigger, sites or None)
    except (QueueUnavailable, UnknownSites) as exc:
        fail(str(exc))
    except ValueError as exc:
        fail(f"bad --night: {exc}", 2)
    except SQLAlchemyError as exc:
        fail(f"cannot open the database: {str(exc).splitlines()[0]}")
    typer.echo(done.line())


@app.command()
def worker(concurrency: Annotated[int, typer.Option(min=1, help="Jobs run at once (each crawl its own process).")] = 2,
           queue: Annotated[list[str] | None, typer.Option("--queue", help="Only these queues (repeatable).")] = None,
           name: Annotated[str | None, typer.Option(help="The worker's name in the queue's records.")] = None,
           db: DbOption = None):
    """Run queued work (`nianbao crawl --enqueue`, the scheduler on PostgreSQL) until stopped (SIGTERM, Ctrl-C):
    start one on every machine that shares the PostgreSQL database."""
    from nianbao.queue.app import QueueUnavailable
    from nianbao.queue.worker import run_worker

    try:
        run_worker(db, concurrency, queue or None, name)
    except QueueUnavailable as exc:
        fail(str(exc))


@app.command()
def reparse(year: Annotated[int | None, typer.Option(help="Only reports of this year.")] = None,
            site: Annotated[list[str] | None, typer.Option("--site", help="Only this agency (repeatable).")] = None,
            enqueue: Annotated[bool, typer.Option("--enqueue", help="PostgreSQL: queue the work for `nianbao "
                                                  "worker`s instead of parsing here.")] = False,
            db: DbOption = None):
    """Read every stored report an older parser made again with this one, from the stored originals (no download).
    Values unchanged: the version is updated in place; values changed: a new version of the same bytes."""
    from sqlalchemy.orm import Session

    from nianbao.queue.app import QueueUnavailable, conninfo
    from nianbao.reparse import BATCH, line, reparse_versions
    from storage.db import database_url
    from storage.reparse import versions_to_reparse

    url = database_url(db)
    try:
        if enqueue:
            conninfo(url)
    except QueueUnavailable as exc:
        fail(str(exc))
    with database(url) as engine, Session(engine) as session:
        versions = versions_to_reparse(session, year, list(site or []))
    if enqueue:
        from nianbao.queue.enqueue import enqueue_reparse

        typer.echo(f"{len(versions)} stored version(s) queued for re-parsing in "
                   f"{enqueue_reparse(url, versions, BATCH)} task(s)")
        return
    typer.echo(line(reparse_versions(url, versions)))


@app.command()
def runs(night: Annotated[str | None, typer.Option(help="This queued night (default: the latest) and its runs only.")]
         = None,
         limit: Annotated[int, typer.Option(min=1, help="How many recent runs to list.")] = 20,
         fmt: Annotated[Literal["table", "json"], typer.Option("--format", help="How to print it.")] = "table",
         db: DbOption = None):
    """The latest queued night (hosts done, running, waiting, failed; sites found, failed, waiting; the machines seen;
    how long it took; the tasks that failed with their error), then the recent crawl runs."""
    from sqlalchemy.orm import Session

    from nianbao.runs_view import RUN_COLUMNS, as_json, night_lines, run_rows
    from nianbao.terminal import fitted_table
    from storage.db import read_only
    from storage.nights import latest_night, night_summary, recent_runs

    with database(db) as engine, Session(read_only(engine)) as session:
        chosen = night or latest_night(session)
        summary = night_summary(session, chosen) if chosen else None
        lines = recent_runs(session, limit, night)
    if fmt == "json":
        typer.echo(json.dumps(as_json(summary, lines), ensure_ascii=False, indent=2))
        return
    for line in night_lines(summary) if summary else []:
        typer.echo(line)
    if not lines:
        typer.echo("no crawl run recorded yet" + (f" for night {night}" if night else ""))
        return
    console = terminal()
    console.print(fitted_table(RUN_COLUMNS, run_rows(lines), console.width))


# ---- the scheduler (scheduler.py) -----------------------------------------------------------------------------

@app.command()
def schedule(db: DbOption = None,
             at: Annotated[str | None, typer.Option(help="Nightly crawl time HH:MM, Asia/Shanghai; default "
                                                    "NIANBAO_CRAWL_TIME or 02:00.")] = None,
             run_now: Annotated[bool, typer.Option("--run-now", help="Also crawl once right away.")] = False,
             enqueue: Annotated[bool, typer.Option("--enqueue", help="PostgreSQL: each night queue the hosts for "
                                                   "`nianbao worker`s instead of crawling here.")] = False):
    """Run the scheduler in the foreground: the nightly crawl, its job kept in the database; stop with SIGTERM."""
    import scheduler

    try:
        code = scheduler.run(db, at=at, run_now=run_now, enqueue=enqueue)
    except scheduler.ScheduleError as exc:
        fail(str(exc))
    raise typer.Exit(code)


@app.command()
def notify(run: Annotated[int | None, typer.Option("--run", help="The crawl run; default the latest finished.")] = None,
           always: Annotated[bool, typer.Option("--always", help="Send even when nothing happened (also "
                                                "NIANBAO_NOTIFY_ALWAYS=1).")] = False,
           dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the digest instead of sending it.")] = False,
           db: DbOption = None):
    """Send a crawl run's digest through Apprise to the NIANBAO_NOTIFY addresses: new, revised and withdrawn
    reports, agencies newly overdue, sites now failing, a failed run. Nothing is sent when nothing happened."""
    from sqlalchemy.orm import Session

    from nianbao.alerts import NotifyError
    from nianbao.alerts.notify import AlertSettings, run_message
    from nianbao.alerts.send import addresses, send, services
    from storage.db import read_only

    try:
        settings = AlertSettings.from_env(os.environ, always=always)
        targets = [] if dry_run else services(addresses(settings.urls))
    except (ValueError, NotifyError) as exc:
        fail(str(exc))
    with database(db) as engine, Session(read_only(engine)) as session:
        try:
            run_id, message = run_message(session, run, settings)
        except LookupError as exc:
            fail(str(exc))
    if message is None:
        typer.echo(f"run {run_id}: nothing to report; nothing sent", err=True)
    elif dry_run:
        typer.echo(f"{message.subject}\n\n{message.body}", nl=False)
    else:
        try:
            send(targets, message)
        except NotifyError as exc:
            fail(str(exc))
        typer.echo(f"run {run_id}: digest sent to {len(targets)} address(es)")


# ---- the demo: the bundled sample sites (nianbao/sampleweb) ---------------------------------------------------

DEMO_DATABASE = "sqlite:///nianbao-demo.sqlite"  # its own file: what a user does next never mixes with the sample


@app.command()
def demo(db: Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL; default nianbao-demo.sqlite in the "
                                                "working directory (never NIANBAO_DATABASE_URL).")] = None,
         year: Annotated[int, typer.Option(help="The year to audit.")] = 2024,
         fmt: Annotated[AuditFormat, typer.Option("--format", help="How to print the audit.")] = "table",
         out: Annotated[Path | None, typer.Option(help="Write the audit to this file instead of stdout.")] = None):
    """Crawl the bundled sample county sites (replayed on localhost, no internet) and print the audit.

    Safe to run again: the sites are re-imported in place and unchanged reports kept.
    """
    from datetime import date

    from sqlalchemy.exc import SQLAlchemyError

    from nianbao.sampleweb.demo import crawl_sample, import_sample
    from storage.registry import RegistryError

    check_writable(out, fmt)
    to_stderr = fmt != "table" and out is None  # json, csv or html on stdout stays machine-readable
    db = db or DEMO_DATABASE
    with database(db) as engine:
        try:
            imported, site_ids = import_sample(engine)
        except RegistryError as exc:
            fail(str(exc))
    typer.echo(f"sample sites: {imported.added} added, {imported.updated} updated, {imported.unchanged} unchanged",
               err=to_stderr)
    try:
        # The replay answers on 127.0.0.1: private addresses are allowed for this crawl only.
        local = {"NIANBAO_ALLOW_PRIVATE_ADDRESSES": True}
        summary = crawl_sample(db, site_ids, {"NIANBAO_PROGRESS": True, **local})
    except SQLAlchemyError as exc:
        fail(f"cannot open the database: {str(exc).splitlines()[0]}")
    if summary.run_id is None or len(summary.left) == len(summary.sites):
        fail("the sample sites are being crawled by another process; try again when it is done")
    typer.echo(summary.line(), err=to_stderr)
    if summary.finish_reason != "finished":
        fail(f"the crawl ended early: {summary.finish_reason}")
    audit(year=year, as_of=date.today().isoformat(), fmt=fmt, out=out, db=db)
    typer.echo(f"the sample is in {db} (`nianbao browse --db {db}` to look around); "
               "your own sites go in a database of their own", err=True)


# ---- browsing the database (nianbao/browse.py) ----------------------------------------------------------------

@app.command()
def browse(db: DbOption = None,
           host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
           port: Annotated[int, typer.Option(help="Port to serve on.")] = 8001):
    """Serve the database read-only in Datasette, with Chinese labels, facets and canned queries (missing, late …).

    On PostgreSQL it serves a fresh SQLite snapshot made for the purpose. Stop with Ctrl-C.
    """
    from nianbao.browse import BrowseError, serve

    with database(db) as engine:
        try:
            serve(engine, host=host, port=port, say=lambda line: typer.echo(line, err=True))
        except BrowseError as exc:
            fail(str(exc))
