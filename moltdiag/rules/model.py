"""Rule files: load and validate `rules/catalogue/<id>.toml` (and a user's `--rules DIR`).

Schema (every key is checked; an unknown key is an error naming file and line):

    id          kebab-case, equals the file name
    title       one line
    severity    info | warning | high
    status      stable | experimental          (optional)
    description paragraph                      (optional)

    [sources]   needs = ["gateway-log" | "transcript" | "session-store" | "commands-log", …]
                blind_spot = "what the rule cannot see when a needed source is absent"
                helps = [...]; [sources.blind_spots] source = "text"   (optional)
    [match]     kind = "ws_close" | kinds = [...];  where = { field = {op = value} }
                ops: eq, ne, in, not_in, gte, gt, lte, lt, matches / not_matches (regex), is_null (bool)
                [[match.any]] alternatives, each with kind/kinds/where (a row matches any)
    [correlate] type = "each" | "count" | "sequence" | "absence" | "check"
                each:     merge = "1m"                        (matches closer than this form one finding)
                count:    window = "5m", at_least = 5, group_by = [...]
                sequence: then = {kind/kinds/where}, within = "1s", same = [...],
                          at_least = 1, window = "5m"         (hits needed within window)
                absence:  missing = {kind/kinds/where}, before = "0s", after = "2m", same = [...]
                check:    check = "reset_cause"               (Python in rules/checks/)
    [report]    evidence = [columns], message = "template with {count}, {channel}, {codes}, {first}, …"
    [[positive]] name, events = [...], findings = N (optional), tz = "-06:00" (optional)
    [[negative]] name, events = [...], tz (optional)

Durations are Polars-style strings: 200ms, 30s, 5m, 2h, 1d.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from pathlib import Path

from moltdiag.schema import EVENT_SCHEMA, KINDS

SEVERITIES = ("info", "warning", "high")
SOURCES = ("gateway-log", "transcript", "session-store", "commands-log")
CORRELATIONS = ("each", "count", "sequence", "absence", "check")
OPS = ("eq", "ne", "in", "not_in", "gte", "gt", "lte", "lt", "matches", "not_matches", "is_null")
# Columns a rule may test besides the schema's (computed by the engine).
EXTRA_FIELDS = ("created_age_ms",)

_TOP_KEYS = {"id", "title", "severity", "status", "description", "sources", "match", "correlate", "report",
             "positive", "negative"}
_SOURCES_KEYS = {"needs", "blind_spot", "helps", "blind_spots"}
_MATCH_KEYS = {"kind", "kinds", "where", "any"}
_SELECTOR_KEYS = {"kind", "kinds", "where"}
_CORRELATE_KEYS = {
    "each": {"type", "merge"},
    "count": {"type", "window", "at_least", "group_by"},
    "sequence": {"type", "then", "within", "same", "at_least", "window"},
    "absence": {"type", "missing", "before", "after", "same", "merge"},
    "check": {"type", "check", "params"},
}
_REPORT_KEYS = {"evidence", "message"}
_SAMPLE_KEYS = {"name", "events", "findings", "tz", "year"}


class RuleError(Exception):
    """A rule file is malformed; the message starts with FILE:LINE."""


def parse_duration(text: str, where: str) -> timedelta:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", str(text).strip())
    if not m:
        raise RuleError(f"{where}: bad duration {text!r} (use 200ms, 30s, 5m, 2h, 1d)")
    value = float(m.group(1))
    return timedelta(milliseconds=value) if m.group(2) == "ms" else timedelta(
        seconds=value * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    )


@dataclass
class Selector:
    kinds: tuple[str, ...]
    where: dict  # field -> {op: value}


@dataclass
class Sample:
    name: str
    events: list[dict]
    findings: int | None = None
    tz: str | None = None
    year: int | None = None


@dataclass
class Rule:
    id: str
    title: str
    severity: str
    description: str
    path: str
    needs: tuple[str, ...]
    blind_spot: str
    helps: tuple[str, ...]
    help_blind_spots: dict[str, str]
    selectors: list[Selector]  # a row matches when any selector matches
    correlate: dict  # validated, durations parsed
    evidence: tuple[str, ...]
    message: str
    positive: list[Sample] = field(default_factory=list)
    negative: list[Sample] = field(default_factory=list)
    status: str = "stable"


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return 1


def _selector(raw: dict, where: str, fields: set[str]) -> Selector:
    unknown = set(raw) - _SELECTOR_KEYS
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    kinds = raw.get("kinds") or ([raw["kind"]] if "kind" in raw else [])
    if not kinds:
        raise RuleError(f"{where}: needs `kind` or `kinds`")
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise RuleError(f"{where}: unknown kind(s) {', '.join(bad)}")
    conditions = raw.get("where", {})
    for column, ops in conditions.items():
        if column not in fields:
            raise RuleError(f"{where}: `where` tests unknown field {column!r}")
        if not isinstance(ops, dict) or not ops:
            raise RuleError(f"{where}: `where.{column}` must be a table like {{ gte = 3000 }}")
        for op, value in ops.items():
            if op not in OPS:
                raise RuleError(f"{where}: unknown operator {op!r} in where.{column} (known: {', '.join(OPS)})")
            if op in ("matches", "not_matches"):
                try:
                    re.compile(value)
                except re.error as exc:
                    raise RuleError(f"{where}: where.{column}.matches is not a regex: {exc}") from None
    return Selector(tuple(kinds), conditions)


def load_rule(path: Path, text: str | None = None) -> Rule:
    text = text if text is not None else path.read_text(encoding="utf-8")
    name = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{name}: {exc}") from None

    def at(key: str) -> str:
        return f"{name}:{_line_of(text, key)}"

    unknown = set(data) - _TOP_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise RuleError(f"{at(key)}: unknown key {key!r}")
    for key in ("id", "title", "severity", "match", "correlate", "report"):
        if key not in data:
            raise RuleError(f"{name}:1: missing `{key}`")
    rule_id = data["id"]
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", rule_id):
        raise RuleError(f"{at('id')}: id {rule_id!r} is not kebab-case")
    if path.suffix == ".toml" and path.stem != rule_id:
        raise RuleError(f"{at('id')}: id {rule_id!r} differs from the file name {path.name!r}")
    if data["severity"] not in SEVERITIES:
        raise RuleError(f"{at('severity')}: severity must be one of {', '.join(SEVERITIES)}")

    sources = data.get("sources", {})
    if set(sources) - _SOURCES_KEYS:
        raise RuleError(f"{at('[sources]')}: unknown key(s) {', '.join(sorted(set(sources) - _SOURCES_KEYS))}")
    for src in [*sources.get("needs", []), *sources.get("helps", [])]:
        if src not in SOURCES:
            raise RuleError(f"{at(src)}: unknown source {src!r} (known: {', '.join(SOURCES)})")

    fields = set(EVENT_SCHEMA) | set(EXTRA_FIELDS)
    match = data["match"]
    if set(match) - _MATCH_KEYS:
        raise RuleError(f"{at('[match]')}: unknown key(s) {', '.join(sorted(set(match) - _MATCH_KEYS))}")
    selectors = [_selector(alt, at("[[match.any]]"), fields) for alt in match.get("any", [])]
    if {"kind", "kinds"} & set(match):
        selectors.insert(0, _selector({k: v for k, v in match.items() if k != "any"}, at("[match]"), fields))
    if not selectors:
        raise RuleError(f"{at('[match]')}: needs `kind`, `kinds` or `[[match.any]]`")

    corr = dict(data["correlate"])
    ctype = corr.get("type")
    if ctype not in CORRELATIONS:
        raise RuleError(f"{at('type')}: correlate.type must be one of {', '.join(CORRELATIONS)}")
    if set(corr) - _CORRELATE_KEYS[ctype]:
        key = sorted(set(corr) - _CORRELATE_KEYS[ctype])[0]
        raise RuleError(f"{at(key)}: `{key}` is not a `{ctype}` correlation key")
    for key in ("merge", "window", "within", "before", "after"):
        if key in corr:
            corr[key] = parse_duration(corr[key], at(key))
    for key in ("then", "missing"):
        if key in corr:
            corr[key] = _selector(corr[key], at(key), fields)
    required = {"count": ("window", "at_least"), "sequence": ("then", "within"), "absence": ("missing",),
                "check": ("check",)}.get(ctype, ())
    for key in required:
        if key not in corr:
            raise RuleError(f"{at('[correlate]')}: `{ctype}` correlation needs `{key}`")
    for key in ("group_by", "same"):
        for column in corr.get(key, []):
            if column not in fields:
                raise RuleError(f"{at(key)}: {key} names unknown field {column!r}")

    report = data["report"]
    if set(report) - _REPORT_KEYS:
        raise RuleError(f"{at('[report]')}: unknown key(s) {', '.join(sorted(set(report) - _REPORT_KEYS))}")
    if "message" not in report:
        raise RuleError(f"{at('[report]')}: needs `message`")

    samples: dict[str, list[Sample]] = {"positive": [], "negative": []}
    for polarity in samples:
        for raw in data.get(polarity, []):
            if set(raw) - _SAMPLE_KEYS:
                raise RuleError(f"{at(polarity)}: unknown sample key(s) {', '.join(sorted(set(raw) - _SAMPLE_KEYS))}")
            if not raw.get("events"):
                raise RuleError(f"{at(polarity)}: sample {raw.get('name', '?')!r} has no events")
            for event in raw["events"]:
                bad = set(event) - set(EVENT_SCHEMA)
                if bad:
                    raise RuleError(f"{at(polarity)}: sample {raw.get('name', '?')!r} uses unknown field(s) "
                                    f"{', '.join(sorted(bad))}")
            samples[polarity].append(Sample(raw.get("name", polarity), raw["events"], raw.get("findings"),
                                            raw.get("tz"), raw.get("year")))
    if not samples["positive"] or not samples["negative"]:
        raise RuleError(f"{name}:1: a rule needs at least one [[positive]] and one [[negative]] sample")

    return Rule(
        id=rule_id, title=data["title"], severity=data["severity"], description=data.get("description", ""),
        path=name, needs=tuple(sources.get("needs", [])), blind_spot=sources.get("blind_spot", ""),
        helps=tuple(sources.get("helps", [])), help_blind_spots=dict(sources.get("blind_spots", {})),
        selectors=selectors, correlate=corr, evidence=tuple(report.get("evidence", [])), message=report["message"],
        positive=samples["positive"], negative=samples["negative"], status=data.get("status", "stable"),
    )


def catalogue_files() -> list[Path]:
    folder = resources.files("moltdiag.rules") / "catalogue"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".toml"))


def load_rules(extra_dirs: list[str] | None = None) -> list[Rule]:
    """The shipped catalogue plus the user's rules; a user rule with a shipped id replaces it."""
    rules: dict[str, Rule] = {}
    for path in catalogue_files():
        rule = load_rule(path)
        if rule.id in rules:
            raise RuleError(f"{path}:1: duplicate rule id {rule.id!r} (also in {rules[rule.id].path})")
        rules[rule.id] = rule
    for folder in extra_dirs or []:
        d = Path(folder)
        if not d.is_dir():
            raise RuleError(f"{folder}: --rules needs a directory of <id>.toml files")
        seen: set[str] = set()
        for path in sorted(d.glob("*.toml")):
            rule = load_rule(path)
            if rule.id in seen:
                raise RuleError(f"{path}:1: duplicate rule id {rule.id!r} in {folder}")
            seen.add(rule.id)
            rules[rule.id] = rule
    return list(rules.values())
