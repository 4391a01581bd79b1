"""The live systemd journal of the gateway unit, read with `journalctl -o json`.

    units = find_gateway_units(user=True)                 # ['openclaw-gateway.service', …]
    inp = live_journal_input(None, user=True, since="2h")  # InputFile "journal:openclaw-gateway.service"
    parsed = parsed_journal(None, user=True, since="2h")   # the same, parsed (format journald-json)

Unit discovery matches every brand era (spec §1, §8.3.1): `openclaw-gateway`, `moltbot-gateway`,
`moldbot-gateway`, `clawdbot-gateway`, the legacy `clawdis-gateway`, and profile-suffixed
names (`openclaw-gateway-<profile>`), as `.service` units. It asks two places and merges them:

- `systemctl [--user] list-units --all --plain --no-legend '*gateway*'` (loaded units) and
  `systemctl [--user] list-unit-files --no-legend '*gateway*'` (installed but not loaded);
- `journalctl [--user] -F _SYSTEMD_USER_UNIT` (user units) / `journalctl -F _SYSTEMD_UNIT`
  (system units): every unit that ever logged, which also finds a unit since removed or
  renamed by an upgrade (a Clawdbot host keeps `clawdbot-gateway.service` until
  `gateway install` is re-run).

Either tool may be missing or fail (no user manager, no journal access): what the other one
says is used. The order of the result is fixed: OpenClaw first, then Moltbot, Clawdbot,
Clawdis; a brand's plain unit before its profiles (alphabetical).

Every command goes through a `Runner` (`argv -> CompletedProcess`), injectable so that tests
can fake `systemctl` and `journalctl`. A runner raises `FileNotFoundError` for a missing
program, like `subprocess.run` does.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from moltdiag.parsers.base import InputError, InputFile

if TYPE_CHECKING:
    from moltdiag.parsers.base import ParsedSource

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[bytes]"]

BRANDS = ("openclaw", "moltbot", "moldbot", "clawdbot", "clawdis")
UNIT_RE = re.compile(r"^(?P<brand>" + "|".join(BRANDS) + r")-gateway(?:-(?P<profile>[A-Za-z0-9_.:@\\-]+))?\.service$")
TRIED = ("openclaw-gateway", "moltbot-gateway", "clawdbot-gateway", "clawdis-gateway", "openclaw-gateway-<profile>")
TIMEOUT_S = 600
NO_JOURNALCTL = "reading the live journal needs journalctl (Debian package systemd)"

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(us|ms|s|sec|secs|m|min|mins|h|hr|hrs|d|w)\s*")


def run_command(argv: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
    """The default runner: the real program, output captured, no pager, no colours."""
    env = {**os.environ, "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0", "LC_ALL": "C.UTF-8"}
    return subprocess.run(list(argv), capture_output=True, timeout=TIMEOUT_S, check=False, env=env,
                          stdin=subprocess.DEVNULL)


def _try(runner: Runner, argv: list[str]) -> tuple[str | None, str]:
    """(stdout text or None when the program is missing / failed without output, stderr text)."""
    try:
        done = runner(argv)
    except FileNotFoundError:
        return None, f"{argv[0]}: not found"
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"{argv[0]}: {exc}"
    out = done.stdout.decode("utf-8", errors="replace") if done.stdout else ""
    err = done.stderr.decode("utf-8", errors="replace") if done.stderr else ""
    if done.returncode != 0 and not out.strip():
        return None, err.strip() or f"{argv[0]}: exit status {done.returncode}"
    return out, err


def _sort_key(unit: str) -> tuple[int, int, str]:
    m = UNIT_RE.match(unit)
    assert m is not None
    return BRANDS.index(m["brand"]), 1 if m["profile"] else 0, unit


def gateway_unit_name(name: str) -> str | None:
    """`openclaw-gateway` / `openclaw-gateway.service` → `openclaw-gateway.service` if it is a
    gateway unit name of some era, else None."""
    name = name.strip()
    if not name:
        return None
    unit = name if name.endswith(".service") else name + ".service"
    return unit if UNIT_RE.match(unit) else None


def find_gateway_units(user: bool, *, runner: Runner | None = None) -> list[str]:
    """Gateway units of every era known to systemd or the journal (user or system manager)."""
    run = runner or run_command
    scope = ["--user"] if user else []
    found: set[str] = set()
    listings = [
        ["systemctl", *scope, "list-units", "--all", "--plain", "--no-legend", "--no-pager", "*gateway*"],
        ["systemctl", *scope, "list-unit-files", "--no-legend", "--no-pager", "*gateway*"],
    ]
    for argv in listings:
        out, _ = _try(run, argv)
        for line in (out or "").splitlines():
            parts = line.split()
            if parts and parts[0] in ("●", "*") and len(parts) > 1:  # failed units carry a bullet
                parts = parts[1:]
            if parts and UNIT_RE.match(parts[0]):
                found.add(parts[0])
    field = "_SYSTEMD_USER_UNIT" if user else "_SYSTEMD_UNIT"
    out, _ = _try(run, ["journalctl", *scope, "-F", field, "--no-pager"])
    for line in (out or "").splitlines():
        unit = line.strip()
        if UNIT_RE.match(unit):
            found.add(unit)
    return sorted(found, key=_sort_key)


def journal_since_arg(since: str) -> str:
    """`--since` for journalctl: a duration (`2h`, `90m`, `1.5d`) becomes `-2h` (relative to
    now); anything else (an absolute time, `today`, `-3h`) is passed through unchanged."""
    m = _DURATION.fullmatch(since or "")
    if not m:
        return since.strip()
    value, unit = m.group(1), m.group(2)
    unit = {"sec": "s", "secs": "s", "mins": "min", "m": "min", "hr": "h", "hrs": "h"}.get(unit, unit)
    return f"-{value}{unit}"


def journal_command(units: Sequence[str], user: bool, since: str | None) -> list[str]:
    argv = ["journalctl", *(["--user"] if user else [])]
    for unit in units:
        argv += ["-u", unit]
    argv += ["-o", "json", "--all", "--no-pager"]
    if since:
        argv.append(f"--since={journal_since_arg(since)}")
    return argv


def _scope_word(user: bool) -> str:
    return "user" if user else "system"


def live_journal_input(unit: str | None, user: bool, since: str | None, *,
                       runner: Runner | None = None) -> InputFile:
    """The gateway unit's journal as `journalctl -o json` text, named `journal:<unit>[,<unit>…]`.

    With no `unit`, every gateway unit `find_gateway_units` finds is read (one journalctl call);
    none found → InputError naming the unit names tried. Empty output (no entries in range) is
    returned as an empty InputFile: the caller decides whether that is an error."""
    run = runner or run_command
    if unit:
        units = [unit if unit.endswith((".service", ".scope", ".socket", ".timer")) or "*" in unit
                 else unit + ".service"]
    else:
        units = find_gateway_units(user, runner=run)
        if not units:
            other = "the system journal" if user else "the user journal (--user; gateway units are normally user units)"
            raise InputError(
                f"journal: no gateway unit found in the {_scope_word(user)} journal or systemd "
                f"(tried {', '.join(TRIED)}); name one with --unit, or look in {other}")
    argv = journal_command(units, user, since)
    name = "journal:" + ",".join(units)
    try:
        done = run(argv)
    except FileNotFoundError:
        raise InputError(f"{name}: {NO_JOURNALCTL}") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"{name}: journalctl took longer than {TIMEOUT_S} s") from None
    except (OSError, subprocess.SubprocessError) as exc:
        raise InputError(f"{name}: cannot run journalctl: {exc}") from None
    if done.returncode != 0 and not (done.stdout or b"").strip():
        why = (done.stderr or b"").decode("utf-8", errors="replace").strip().splitlines()
        raise InputError(f"{name}: journalctl failed: {why[0] if why else f'exit status {done.returncode}'}")
    data = done.stdout or b""
    return InputFile(name=name, data=data, path=None, raw_size=len(data))


def parsed_journal(unit: str | None, user: bool, since: str | None, *,
                   runner: Runner | None = None) -> ParsedSource:
    """`live_journal_input` read by the `-o json` parser (an empty journal gives an empty source
    with a note, not an error)."""
    import hashlib

    from moltdiag.parsers import journald_json
    from moltdiag.parsers.base import ParsedSource
    from moltdiag.schema import empty_frame

    inp = live_journal_input(unit, user, since, runner=runner)
    digest = hashlib.sha256(inp.data).hexdigest()
    if not inp.data.strip():
        window = f" since {since}" if since else ""
        return ParsedSource(source=inp.name, format=journald_json.FORMAT, events=empty_frame(), lines=0,
                            notes=[f"no journal entries{window} ({_scope_word(user)} journal)"],
                            size=0, sha256=digest)
    parsed = journald_json.parse(inp)
    parsed.size, parsed.sha256 = len(inp.data), digest
    units = inp.name.split(":", 1)[1].split(",")
    parsed.notes.append(f"live {_scope_word(user)} journal: {' '.join(journal_command(units, user, since))}")
    return parsed
