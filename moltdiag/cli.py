"""Command line: `moltdiag timeline` and `moltdiag check`.

Heavy modules (polars, rich, the parsers) are imported inside the commands so that
`moltdiag --help` stays fast.

Exit codes: 0 nothing found / success, 1 findings at or above --fail-on, 2 usage error
or unreadable input, 3 internal error (set MOLTDIAG_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from datetime import datetime, timedelta, timezone

import click

from moltdiag import __version__

EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3

TIMELINE_EXAMPLES = """
\b
Examples:
  moltdiag timeline fixtures/discord-reset-3106/
  moltdiag timeline journal.txt ~/.clawdbot/agents/main/sessions/ --tz America/Chicago
  moltdiag timeline journal.txt.gz --around "2026-01-27 20:07:41" --window 5m
  moltdiag timeline export.json --kind ws_close,slow_listener --format jsonl > events.jsonl
  journalctl --user -u openclaw-gateway -o short-iso | moltdiag timeline -
  moltdiag timeline --journal --journal-since 2h ~/.openclaw/agents/main/sessions/
  moltdiag timeline bundle/ --format parquet -o events.parquet
  moltdiag timeline bundle/ --format timesketch > timesketch.jsonl
\b
Times are stored in UTC. The table shows the gateway host's zone (from --tz, measured
from the gateway's own UTC stamps, or inferred by aligning the journal with the
transcripts), or UTC with --utc; the caption says which and how.
"""

CHECK_EXAMPLES = """
\b
Examples:
  moltdiag check fixtures/discord-reset-3106/
  moltdiag check journal.txt sessions/ --format json | jq '.findings[].summary'
  moltdiag check journal.txt sessions/ --daily-hour 4 --idle-minutes 120
  moltdiag check bundle/ --fail-on high      # exit 1 only for high-severity findings
  moltdiag check months-of-journal.txt.gz --low-memory   # larger than RAM: ~200 MB whatever the size
\b
Exit status: 0 no findings, 1 findings (at or above --fail-on; never with
--fail-on none), 2 usage error or unreadable input, 3 internal error.
"""


def _duration(text: str) -> timedelta:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h|d)?\s*", text or "")
    if not m:
        raise click.BadParameter(f"{text!r} is not a duration like 90s, 5m, 2h")
    value, unit = float(m.group(1)), (m.group(2) or "s")
    factor = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}[unit]
    return timedelta(seconds=value * factor)


def _instant(text: str, clock, *, utc: bool) -> datetime:
    """A user-given time: ISO or free form; a time without zone is read in the displayed zone."""
    from dateutil import parser as dateparser

    try:
        parsed = dateparser.parse(text)
    except (ValueError, OverflowError):
        raise click.BadParameter(f"{text!r} is not a time (try 2026-01-27T20:07:41 or '2026-01-27 20:07:41-06:00')")
    if parsed.tzinfo is None:
        if utc:
            parsed = parsed.replace(tzinfo=timezone.utc)
        else:
            parsed = parsed.replace(tzinfo=clock.localize(datetime.now(timezone.utc)).tzinfo)
    return parsed.astimezone(timezone.utc)


class _Main(click.Group):
    def invoke(self, ctx):
        from moltdiag.parsers.base import InputError

        try:
            return super().invoke(ctx)
        except InputError as exc:
            click.echo(f"moltdiag: error: {exc}", err=True)
            ctx.exit(EXIT_INPUT)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly, as a SIGPIPE'd tool would.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(141)
        except KeyboardInterrupt:
            click.echo("moltdiag: interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:  # a bug of ours: one line, not a traceback, unless asked
            if os.environ.get("MOLTDIAG_DEBUG"):
                raise
            click.echo(f"moltdiag: internal error: {type(exc).__name__}: {exc} "
                       "(rerun with MOLTDIAG_DEBUG=1 for the traceback and report it)", err=True)
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="moltdiag")
def main() -> None:
    """Find out why an OpenClaw (Clawdbot, Moltbot) gateway did something odd.

    \b
    moltdiag reads journald output (every journalctl -o form), session transcripts and
    sessions.json, puts every event on one UTC timeline and judges it.
    \b
      moltdiag timeline PATH...   the correlated timeline
      moltdiag check PATH...      findings: unexplained resets, replayed interactions, flapping …
      moltdiag report PATH...     an incident report for a GitHub issue (redacted)
      moltdiag rules list|test    the rule catalogue and its samples
      moltdiag collect -o B.tar.gz   gather state dirs, logs and the journal (redacted)
      moltdiag ingest PATH... -o DIR   events as a Parquet dataset (host, date) for fleets
      moltdiag simulate OUTDIR   realistic inputs with injected incidents and ground truth
    \b
    PATH may be a file, a directory (read recursively, formats sniffed), a .gz/.bz2/.xz/.zst
    file, a .zip or tarball (a collect bundle too), a binary .journal file, or - for
    standard input.
    """


def _common(func):
    import functools

    @functools.wraps(func)
    def wrapper(*args, journal, unit, user, journal_since, low_memory, quiet, **kwargs):
        # The live-journal and reading options matter only to _build: keep them out of every
        # command's signature.
        meta = click.get_current_context().meta
        meta["moltdiag.journal"] = {
            "journal": journal or bool(unit), "unit": unit, "user": user, "since": journal_since,
        }
        meta["moltdiag.read"] = {"low_memory": low_memory, "quiet": quiet}
        if low_memory:  # freed pages back to the system at once (before polars loads)
            import moltdiag

            moltdiag._allocator(moltdiag.ALLOCATOR_LOW_MEMORY)

        return func(*args, **kwargs)

    options = [
        click.argument("paths", nargs=-1, required=False, metavar="PATH..."),
        click.option("--journal", is_flag=True, help="Also read the gateway's live journal (journalctl -o json); "
                     "the unit of any era is found unless --unit names it."),
        click.option("--unit", metavar="NAME", help="Gateway unit for --journal (e.g. openclaw-gateway).")
        ,
        click.option("--user/--system", default=True, show_default=True, help="User or system unit for --journal."),
        click.option("--journal-since", metavar="WHEN", help="With --journal: how far back, e.g. 2h, 1d, '2026-01-27 20:00'."),
        click.option("--tz", metavar="ZONE", help="Zone of host-local stamps: IANA name (America/Chicago) or offset (-06:00)."),
        click.option("--year", type=int, help="Year of journald `short` stamps, which carry none."),
        click.option("--flap-gap", default="90s", show_default=True, callback=lambda c, p, v: _duration(v),
                     help="Largest gap between connection events inside one flap window."),
        click.option("--low-memory", is_flag=True,
                     help="For logs larger than memory: journals are streamed in small pieces and only "
                     "diagnostic events (plus one routine line per 10 minutes and the lines around clock "
                     "steps) are kept; routine lines are counted, not listed."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar on stderr."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def _build(paths, tz, year, flap_gap):
    from moltdiag.correlate.timeline import build_timeline, timeline_from_parsed

    if tz:
        _check_tz(tz)
    live = click.get_current_context().meta.get("moltdiag.journal", {})
    if not paths and not live.get("journal"):
        raise click.UsageError("give at least one PATH (a file, a directory, '-' for stdin) or --journal")
    read = click.get_current_context().meta.get("moltdiag.read", {})
    low_memory = bool(read.get("low_memory"))
    with _progress(list(paths), quiet=bool(read.get("quiet"))):
        if not live.get("journal"):
            return build_timeline(list(paths), tz=tz, year=year, flap_gap=flap_gap, low_memory=low_memory)
        from moltdiag.parsers import load_inputs

        parsed, skipped = load_inputs(list(paths), low_memory=low_memory) if paths else ([], [])
    from moltdiag import live_journal
    from moltdiag.parsers.base import InputError

    journal = live_journal.parsed_journal(live["unit"], live["user"], live["since"])
    if not journal.events.height and not any(p.events.height for p in parsed):
        raise InputError(f"{journal.source}: no journal entries" + (f" ({'; '.join(journal.notes)})" if journal.notes else ""))
    return timeline_from_parsed([*parsed, journal], skipped, tz=tz, year=year, flap_gap=flap_gap)


PROGRESS_MIN_BYTES = 64 << 20  # smaller inputs read in about a second: no bar


@contextlib.contextmanager
def _progress(paths: list[str], *, quiet: bool):
    """A progress bar by input bytes on stderr while inputs are read: only on a terminal, only
    for inputs of PROGRESS_MIN_BYTES and more, never with -q. Gone when reading is done."""
    total, show = 0, not quiet and sys.stderr.isatty()
    if show:
        from moltdiag.parsers import expand_paths

        for path, _ in expand_paths([p for p in paths if p != "-"]):
            try:
                total += os.stat(path).st_size
            except OSError:
                pass
    if not show or total < PROGRESS_MIN_BYTES:
        yield
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    from moltdiag.parsers.base import PROGRESS

    with Progress("reading", BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("reading", total=total)
        token = PROGRESS.set(lambda n: bar.advance(task, n))
        try:
            yield
        finally:
            PROGRESS.reset(token)


def _check_tz(tz: str) -> None:
    from moltdiag.correlate.timezone import parse_offset

    if parse_offset(tz) is not None:
        return
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{tz!r} is neither an IANA zone nor an offset like -06:00", param_hint="--tz")


@main.command(epilog=TIMELINE_EXAMPLES)
@_common
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl", "csv", "parquet", "timesketch"]), default="table",
              show_default=True, help="parquet needs -o FILE.")
@click.option("--utc", is_flag=True, help="Show UTC instead of the host zone.")
@click.option("--since", metavar="TIME", help="Only events at or after TIME.")
@click.option("--until", metavar="TIME", help="Only events at or before TIME.")
@click.option("--around", metavar="TIME", help="Only events within --window of TIME.")
@click.option("--window", default="5m", show_default=True, help="Half-width of --around.")
@click.option("--kind", "kinds", multiple=True, metavar="KIND[,KIND]", help="Only these kinds (repeatable).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to FILE instead of stdout.")
@click.option("--redact", is_flag=True, help="Redact as `moltdiag report` does (text, secrets, ids, hosts, users).")
def timeline(paths, tz, year, flap_gap, fmt, utc, since, until, around, window, kinds, output, redact):
    """Show every event of the inputs on one timeline."""
    import polars as pl

    from moltdiag.render.timeline import render
    from moltdiag.schema import KINDS

    if fmt == "parquet" and not output:
        raise click.UsageError("--format parquet writes a binary file: give -o FILE")
    tl = _build(paths, tz, year, flap_gap)
    events = tl.events
    wanted = [k.strip() for group in kinds for k in group.split(",") if k.strip()]
    unknown = sorted(set(wanted) - set(KINDS))
    if unknown:
        raise click.BadParameter(f"unknown kind(s) {', '.join(unknown)}; known: {', '.join(KINDS)}", param_hint="--kind")
    if wanted:
        events = events.filter(pl.col("kind").is_in(wanted))
    if since:
        events = events.filter(pl.col("ts") >= _instant(since, tl.clock, utc=utc))
    if until:
        events = events.filter(pl.col("ts") <= _instant(until, tl.clock, utc=utc))
    if around:
        centre, half = _instant(around, tl.clock, utc=utc), _duration(window)
        events = events.filter(pl.col("ts").is_between(centre - half, centre + half))
    if redact:
        events = _redactor(True, False, tl.events).redact_frame(events)
    if output:
        with open(output, "wb") as out:
            if fmt == "table":
                from rich.console import Console

                render_table_to(tl, events, utc, Console(file=_TextWriter(out), width=200, no_color=True))
            else:
                render(tl, events, fmt, utc=utc, out=out)
    else:
        render(tl, events, fmt, utc=utc)


class _TextWriter:
    def __init__(self, raw):
        self.raw = raw

    def write(self, text: str) -> int:
        return self.raw.write(text.encode())

    def flush(self) -> None:
        self.raw.flush()


def render_table_to(tl, events, utc, console):
    from moltdiag.render.timeline import render_table

    render_table(tl, events, utc=utc, console=console)


@main.command(epilog=CHECK_EXAMPLES)
@_common
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False),
              help="Directory of extra <id>.toml rules (a shipped id is replaced). Repeatable.")
@click.option("--daily-hour", type=click.IntRange(0, 23), help="Hour (host-local) of the daily session reset "
              "(session.reset.atHour; default 4).")
@click.option("--idle-minutes", type=click.IntRange(1), help="session.reset.idleMinutes, if your config sets one.")
@click.option("--fail-on", type=click.Choice(["info", "warning", "high", "none"]), default="info", show_default=True,
              help="Lowest severity that makes the exit status 1 (none: exit 0 whatever is found).")
@click.option("--redact", is_flag=True, help="Redact as `moltdiag report` does (text, secrets, ids, hosts, users).")
def check(paths, tz, year, flap_gap, fmt, rule_dirs, daily_hour, idle_minutes, fail_on, redact):
    """Judge the inputs with the rule catalogue: unexplained resets, replayed interactions, flapping …"""
    from moltdiag.render.check import render_table, write_json
    from moltdiag.rules import SEVERITIES, evaluate, override_params

    rules = _load_rules(rule_dirs)
    override_params(rules, "reset_cause", daily_hour=daily_hour, idle_minutes=idle_minutes)
    tl = _build(paths, tz, year, flap_gap)
    run = evaluate(rules, tl)
    red = _redactor(redact, False, tl.events)
    if fmt == "json":
        write_json(tl, run, red=red)
    else:
        render_table(tl, run, red=red)
    if fail_on == "none":
        return
    threshold = SEVERITIES.index(fail_on)
    if any(SEVERITIES.index(f.severity) >= threshold for f in run.findings):
        sys.exit(EXIT_FINDINGS)


REPORT_EXAMPLES = """
\b
Examples:
  moltdiag report fixtures/discord-reset-3106/ -o report.md
  moltdiag report journal.txt sessions/ --json report.json -o report.md
  moltdiag report bundle/ --format html -o report.html
  moltdiag report bundle/ --redaction-map map.json -o report.md   # keep the pseudonym key private
\b
Redaction is on by default: message text becomes its length and a short hash,
secrets are removed, ids, hosts, user names, e-mail addresses, phone numbers and
IP addresses become consistent pseudonyms. --include-text keeps message text
(still without secrets); --no-redact turns all of it off.
"""


def _redactor(redact: bool, include_text: bool, events):
    """The redactor every output uses: one that has learnt the inputs' host and user names
    first, so a name is masked wherever it appears; or a no-op with --no-redact."""
    from moltdiag.redact import NoRedaction, Redactor

    if not redact:
        return NoRedaction()
    red = Redactor(include_text=include_text)
    red.learn_frame(events)
    return red


@main.command(epilog=REPORT_EXAMPLES)
@_common
@click.option("--format", "fmt", type=click.Choice(["markdown", "html"]), default="markdown", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE (default: stdout).")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Also write the same content as JSON to FILE.")
@click.option("--redact/--no-redact", default=True, show_default=True, help="Redact secrets, ids, hosts, users, text.")
@click.option("--include-text", is_flag=True, help="Keep message text (secrets still removed, ids still masked).")
@click.option("--redaction-map", type=click.Path(dir_okay=False), help="Write original→pseudonym map to FILE (private!).")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False), help="Extra rule directory.")
@click.option("--daily-hour", type=click.IntRange(0, 23), help="Hour of the daily session reset (default 4).")
@click.option("--idle-minutes", type=click.IntRange(1), help="session.reset.idleMinutes, if set.")
def report(paths, tz, year, flap_gap, fmt, output, json_out, redact, include_text, redaction_map, rule_dirs,
           daily_hour, idle_minutes):
    """An incident report that pastes into a GitHub issue as it is (redacted by default)."""
    import orjson

    from moltdiag.render.report import build_json, build_markdown
    from moltdiag.rules import evaluate, override_params

    rules = _load_rules(rule_dirs)
    override_params(rules, "reset_cause", daily_hour=daily_hour, idle_minutes=idle_minutes)
    tl = _build(paths, tz, year, flap_gap)
    run = evaluate(rules, tl)
    red = _redactor(redact, include_text, tl.events)
    argv = ["moltdiag", *sys.argv[1:]] if sys.argv and sys.argv[0].endswith(("moltdiag", "__main__.py")) else \
        ["moltdiag", "report", *paths]
    if fmt == "html":
        from moltdiag.render.html import build_html

        text = build_html(tl, run, rules, argv, red, redacted=redact)
    else:
        text = build_markdown(tl, run, rules, argv, red, redacted=redact)
    if output:
        with open(output, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)
    if json_out:
        with open(json_out, "wb") as handle:
            handle.write(orjson.dumps(build_json(tl, run, rules, argv, red, redacted=redact),
                                      option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
    if redaction_map and redact:
        with open(redaction_map, "wb") as handle:
            handle.write(orjson.dumps(red.mapping(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
        click.echo(f"moltdiag: redaction map written to {redaction_map}: keep it private", err=True)


INGEST_EXAMPLES = """
\b
Examples:
  moltdiag ingest gw1/ gw2/ -o events/
  moltdiag check events/
  python -c "import polars as pl; print(pl.scan_parquet('events/**/*.parquet', hive_partitioning=True)
             .group_by('host', 'kind').len().collect())"
  duckdb -c "SELECT host, kind, count(*) FROM read_parquet('events/**/*.parquet', hive_partitioning=true)
             GROUP BY ALL ORDER BY 3 DESC"
"""


@main.command(epilog=INGEST_EXAMPLES)
@_common
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="New dataset directory.")
def ingest(paths, tz, year, flap_gap, output):
    """Write the canonical events as a hive-partitioned Parquet dataset (host, date)."""
    from moltdiag.render.dataset import write_dataset

    tl = _build(paths, tz, year, flap_gap)
    try:
        meta = write_dataset(tl, output)
    except FileExistsError as exc:
        raise click.UsageError(str(exc))
    click.echo(f"moltdiag: {meta['events']} events in {len(meta['partitions'])} partition(s) written to {output}",
               err=True)


@main.command(epilog="""
\b
Examples:
  moltdiag simulate /tmp/sim --lines 200000
  moltdiag simulate /tmp/big --size 800MB --seed 7 --formats short,json
  moltdiag check /tmp/sim/logs/journal-short.txt /tmp/sim/state --fail-on none
\b
The ground truth of every injected incident is written to OUTDIR/ground-truth.json;
benchmarks/bench.py uses it for each rule's precision and recall.
""")
@click.argument("outdir", type=click.Path(file_okay=False))
@click.option("--lines", type=click.IntRange(1), help="Journal lines (default 20000).")
@click.option("--size", help="Or: bytes of the journal short file, e.g. 800MB.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--formats", default="short,json,file-log,transcripts", show_default=True,
              help="Comma-separated subset of short, json, file-log, transcripts.")
@click.option("--utc-offset", type=int, default=-360, show_default=True, help="Host zone, minutes east of UTC.")
def simulate(outdir, lines, size, seed, formats, utc_offset):
    """Generate realistic gateway logs and transcripts with injected incidents (for tests and benchmarks)."""
    from moltdiag import simulate as sim

    if lines and size:
        raise click.UsageError("give --lines or --size, not both")
    try:
        truth = sim.generate(outdir, lines=lines, size=size, seed=seed, formats=formats, utc_offset_minutes=utc_offset)
    except ValueError as exc:
        raise click.UsageError(str(exc))
    for rel, info in truth["files"].items():
        count = info.get("lines", info.get("transcripts"))
        click.echo(f"{rel}: {count:,} {'lines' if 'lines' in info else 'transcripts'}, {info['bytes'] / 1e6:.1f} MB")
    click.echo(f"{len(truth['incidents'])} injected incidents; ground truth in {outdir}/ground-truth.json")


def _load_rules(rule_dirs=()):
    from moltdiag.rules import RuleError, load_rules

    try:
        return load_rules(list(rule_dirs))
    except RuleError as exc:
        click.echo(f"moltdiag: error: {exc}", err=True)
        sys.exit(EXIT_INPUT)


RULES_EXAMPLES = """
\b
Examples:
  moltdiag rules list
  moltdiag rules list --format json | jq -r '.[].id'
  moltdiag rules test
  moltdiag rules test --rules ./my-rules
"""


@main.group(epilog=RULES_EXAMPLES)
def rules():
    """The rule catalogue: list it, run its samples."""


@rules.command("list", epilog=RULES_EXAMPLES)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False), help="Extra rule directory.")
def rules_list(fmt, rule_dirs):
    """Show every rule: id, severity, sources it needs, title."""
    catalogue = _load_rules(rule_dirs)
    if fmt == "json":
        import orjson

        sys.stdout.buffer.write(orjson.dumps([
            {"id": r.id, "title": r.title, "severity": r.severity, "status": r.status, "needs": list(r.needs),
             "correlate": r.correlate["type"], "path": r.path, "positive_samples": len(r.positive),
             "negative_samples": len(r.negative)}
            for r in catalogue
        ], option=orjson.OPT_INDENT_2) + b"\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"moltdiag rules — {len(catalogue)} rules")
    for col in ("id", "severity", "needs", "correlate", "title"):
        table.add_column(col, overflow="fold")
    for r in catalogue:
        table.add_row(r.id, r.severity, ", ".join(r.needs), r.correlate["type"], r.title)
    Console().print(table)


@rules.command("test", epilog=RULES_EXAMPLES)
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False), help="Extra rule directory.")
def rules_test(rule_dirs):
    """Run every rule's positive and negative samples; exit 1 if any fails."""
    from moltdiag.rules.selftest import run_samples

    failed = total = 0
    for rule in _load_rules(rule_dirs):
        for result in run_samples(rule):
            total += 1
            mark = "ok  " if result.ok else "FAIL"
            failed += not result.ok
            click.echo(f"{mark} {result.rule} {result.polarity}: {result.name} — {result.detail}")
    click.echo(f"{total - failed} passed, {failed} failed")
    if failed:
        sys.exit(EXIT_FINDINGS)


from moltdiag.cli_collect import collect as _collect  # noqa: E402 — imports only click at module level

main.add_command(_collect, name="collect")


if __name__ == "__main__":  # pragma: no cover
    main()
