"""`moltdiag collect`: one tarball with everything moltdiag reads from this host.

Registered on the main group by `moltdiag.cli` (`main.add_command(collect)`); usable on its own
too (tests invoke it directly): an InputError becomes the same one-line error and exit status 2
as under the main group. Heavy modules are imported inside the command.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

EXIT_INPUT = 2

COLLECT_EXAMPLES = """
\b
Examples:
  moltdiag collect -o bundle.tar.gz                 # every state dir, file log, the gateway journal
  moltdiag collect --since 24h -o bundle.tar.gz     # only files changed (and journal) in the last day
  moltdiag collect --state-dir ~/.openclaw-work -o work.tar.gz
  moltdiag collect --no-redact -o private.tar.gz    # exact copies: never post this one
  moltdiag timeline bundle.tar.gz                   # every command reads the bundle as it is
\b
Collected: transcripts (incl. archived .reset./.deleted./.bak.), sessions.json, SQLite session
stores, logs/commands.log, launchd gateway logs, session-memory files, the file logs in
/tmp/openclaw*, /tmp/moltbot, /tmp/clawdbot, and the gateway unit's journal. Never: config
files, credentials, auth profiles. Redacted by default (secrets removed, message text hashed,
names and ids pseudonymised; best effort, look before you post). manifest.json in the bundle
lists every file with its size, SHA-256, source and the redaction applied.
"""


def _fail(message: str) -> None:
    click.echo(f"moltdiag: error: {message}", err=True)
    sys.exit(EXIT_INPUT)


@click.command(epilog=COLLECT_EXAMPLES)
@click.option("--state-dir", "state_dirs", multiple=True, type=click.Path(file_okay=False),
              help="State dir to collect (repeatable). Default: discover ~/.openclaw, ~/.moltbot, ~/.clawdbot, "
                   "$OPENCLAW_STATE_DIR (…), profiles ~/.openclaw-<p>.")
@click.option("--since", metavar="DURATION|TIME", help="Only files modified (and journal entries) since then: "
              "24h, 90m, 7d, or a time such as '2026-01-27 19:00'.")
@click.option("--redact/--no-redact", default=True, show_default=True,
              help="Redact secrets, message text, names and ids (--no-redact: exact copies).")
@click.option("--include-text", is_flag=True, help="Keep message text (secrets still removed, ids still masked).")
@click.option("--journal/--no-journal", default=True, show_default=True, help="Add the gateway unit's journal.")
@click.option("--unit", metavar="NAME", help="Journal unit (default: the gateway unit of any era, found).")
@click.option("--user/--system", "journal_user", default=None,
              help="Journal of user or system units (default: user units, then system units).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Bundle to write (default: moltdiag-collect-<UTC time>.tar.gz).")
@click.option("--redaction-map", type=click.Path(dir_okay=False),
              help="Write the original→pseudonym map to FILE (keep it private; never put in the bundle).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@click.option("--tmp-root", "tmp_roots", multiple=True, type=click.Path(file_okay=False), hidden=True,
              help="Where the /tmp file-log dirs live (tests).")
def collect(state_dirs, since, redact, include_text, journal, unit, journal_user, output, redaction_map, quiet,
            tmp_roots):
    """Gather transcripts, session stores, logs and the journal into one tarball (redacted by default)."""
    from datetime import datetime, timezone

    from moltdiag.collect import CollectOptions, collect as run_collect, parse_since
    from moltdiag.parsers.base import InputError

    try:
        since_value = parse_since(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    if output is None:
        output = f"moltdiag-collect-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}.tar.gz"
    out_path = Path(output)
    if not out_path.name.endswith((".tar.gz", ".tgz")):
        raise click.BadParameter("the bundle is a gzip'd tarball: name it *.tar.gz", param_hint="-o")

    show = not quiet and sys.stderr.isatty()
    opts = CollectOptions(
        state_dirs=[Path(d) for d in state_dirs] if state_dirs else None,
        since=since_value, redact=redact, include_text=include_text, journal=journal, unit=unit,
        journal_user=journal_user, journal_since=since,
        tmp_roots=[Path(t) for t in tmp_roots] if tmp_roots else None,
    )
    try:
        if show:
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

            with Progress(TextColumn("collecting"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                          console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("collect", total=None)
                opts.on_total = lambda total: bar.update(task, total=total)
                opts.progress = lambda n: bar.advance(task, n)
                result = run_collect(out_path, opts)
        else:
            result = run_collect(out_path, opts)
    except InputError as exc:
        _fail(str(exc))
        return
    except OSError as exc:
        _fail(f"{out_path}: cannot write the bundle: {exc.strerror or exc}")
        return

    if redaction_map and result.redactor is not None:
        import orjson

        Path(redaction_map).write_bytes(orjson.dumps(result.redactor.mapping(),
                                                     option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
        click.echo(f"moltdiag: redaction map written to {redaction_map}: keep it private", err=True)
    if quiet:
        return
    from moltdiag.parsers.containers import human_size

    m = result.manifest
    state = len(m["state_dirs"])
    click.echo(
        f"moltdiag: wrote {result.output}: {result.files} file{'' if result.files == 1 else 's'}, {human_size(result.size)} "
        f"(from {human_size(result.source_bytes)} in {state} state dir(s), {len(m['file_log_dirs'])} file-log dir(s), "
        f"{'the journal' if m['journal'] else 'no journal'}), "
        f"{'redacted' if m['redacted'] else 'NOT redacted'}, {result.seconds:.1f} s", err=True)
    if m["skipped"]:
        click.echo(f"moltdiag: {len(m['skipped'])} file(s) skipped (listed in manifest.json)", err=True)
    for note in m["notes"]:
        click.echo(f"moltdiag: note: {note}", err=True)
    if m["redacted"]:
        click.echo("moltdiag: redaction is best effort: look through the bundle before posting it", err=True)
    else:
        click.echo("moltdiag: this bundle is NOT redacted: do not post it publicly", err=True)
