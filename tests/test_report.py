"""`moltdiag report`: GitHub Markdown structure, redaction of planted secrets, determinism, HTML in Chromium."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from moltdiag.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED = FIXTURES / "discord-reset-3106"

# One of every secret and identifier type the report must not leak, planted in every field.
SECRETS = {
    "discord_token": "MTQ0MDAwMDAwMDAwMDAwMDAwMA.GhXyZ1.abcdefghijklmnopqrstuvwxyz0123456789AB",
    "telegram_token": "7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq",
    "slack_token": "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
    "openai_key": "sk-proj-Ab3dEf6hIj9kLmN0pQrStUvWxYz1234567890abcdEFGH",
    "anthropic_key": "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-abcdefghijklmnop",
    "bearer": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlMTIzNDU2Nzg5MA",
    "email": "alice.smith@example.org",
    "phone": "+15551234567",
    "ip": "203.0.113.42",
    "host": "alice-homelab",
}


def _planted(tmp_path: Path) -> Path:
    case = tmp_path / "planted"
    shutil.copytree(SEED, case)
    journal = case / "journal.txt"
    lines = journal.read_text().splitlines()
    lines = [line.replace(" node[", f" {SECRETS['host']} node[", 1) if " node[" in line else line for line in lines]
    lines += [
        f"Jan 27 20:09:40 {SECRETS['host']} node[43079]: [discord] gateway error: Error: 401 Unauthorized token "
        f"{SECRETS['discord_token']}",
        f"Jan 27 20:09:41 {SECRETS['host']} node[43079]: [telegram] starting provider token={SECRETS['telegram_token']}",
        f"Jan 27 20:09:42 {SECRETS['host']} node[43079]: [slack] auth failed for {SECRETS['slack_token']} "
        f"from {SECRETS['ip']}",
        f"Jan 27 20:09:43 {SECRETS['host']} node[43079]: [agent/embedded] provider error apiKey={SECRETS['openai_key']} "
        f"Authorization: {SECRETS['bearer']}",
        f"Jan 27 20:09:44 {SECRETS['host']} node[43079]: [whatsapp] linked {SECRETS['phone']}@s.whatsapp.net "
        f"owner {SECRETS['email']} key {SECRETS['anthropic_key']}",
    ]
    journal.write_text("\n".join(lines) + "\n")
    sessions = case / "agents/main/sessions"
    old = next(p for p in sessions.glob("379f1ada-*.jsonl"))
    rows = [json.loads(x) for x in old.read_text().splitlines()]
    for row in rows:
        msg = row.get("message")
        if msg and msg.get("role") == "user":
            msg["content"] = [{"type": "text", "text": f"my key is {SECRETS['anthropic_key']} mail {SECRETS['email']} "
                                                       f"call {SECRETS['phone']}\n[message_id: 1465890600380383925]"}]
    old.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    store = sessions / "sessions.json"
    data = json.loads(store.read_text())
    for entry in data.values():
        entry["lastTo"] = f"user:{SECRETS['phone']}"
        entry["origin"] = {"label": f"{SECRETS['email']} on {SECRETS['host']}"}
    store.write_text(json.dumps(data, indent=2))
    return case


def _report(*args: str) -> str:
    result = CliRunner().invoke(main, ["report", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_markdown_structure_renders_as_gfm():
    text = _report(str(SEED))
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[0] == "moltdiag incident report"
    assert {"Findings", "Incident window", "Sessions", "Manifest"} <= set(headings)
    assert any(h.startswith("🔴 high `unexplained-reset`") for h in headings)
    fences = [t for t in tokens if t.type == "fence"]
    mermaid = [t for t in fences if t.info.strip() == "mermaid"]
    assert len(mermaid) == 1
    body = mermaid[0].content
    assert body.startswith("gantt") and "section gateway connection" in body and "section sessions" in body
    assert "section listeners" in body and "InteractionEventListener" in body
    # Task lines must not carry a ':' or '#' inside the task name (mermaid syntax).
    for line in body.splitlines():
        if line.startswith("    ") and ":" in line and not line.strip().startswith(("title", "dateFormat", "axisFormat", "%%")):
            name = line.split(":", 1)[0]
            assert "#" not in name
    tables = [t for t in tokens if t.type == "table_open"]
    assert len(tables) >= 3  # evidence, sessions, manifest
    paragraph = next(t for t in tokens if t.type == "inline" and "unexplained-reset" in t.content)
    assert "fresh command" in paragraph.content and "-06:00" in paragraph.content


def test_manifest_has_sha256_and_counts_of_each_input():
    text = _report(str(SEED))
    journal = SEED / "journal.txt"
    digest = hashlib.sha256(journal.read_bytes()).hexdigest()
    assert digest in text
    assert f"| {journal.stat().st_size} |" in text
    assert "moltdiag 0.1.0, rule pack" in text and "time zone shown: -06:00" in text
    assert len(text) <= 65_536


def test_report_is_byte_identical_on_rerun(tmp_path):
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    _report(str(SEED), "-o", str(first))
    _report(str(SEED), "-o", str(second))
    assert first.read_bytes() == second.read_bytes()


def test_planted_secrets_do_not_leak_in_default_report(tmp_path):
    case = _planted(tmp_path)
    md, sidecar = tmp_path / "r.md", tmp_path / "r.json"
    _report(str(case), "-o", str(md), "--json", str(sidecar))
    for output in (md.read_text(), sidecar.read_text()):
        for name, secret in SECRETS.items():
            assert secret not in output, name
        assert "alice" not in output.lower()
        assert "1465890600380383925" not in output  # Discord ids are masked …
    text = md.read_text()
    assert "20:07:40 -06:00" in text  # … after their snowflake time was decoded
    assert "[text:" in text  # message bodies replaced by length and hash


def test_redaction_map_is_written_only_when_asked(tmp_path):
    case = _planted(tmp_path)
    mapping = tmp_path / "map.json"
    _report(str(case), "-o", str(tmp_path / "r.md"), "--redaction-map", str(mapping))
    data = json.loads(mapping.read_text())
    assert data[SECRETS["host"]].startswith("host-") and data["alice"].startswith("user-")
    assert all(SECRETS[k] not in data for k in ("discord_token", "openai_key", "slack_token"))  # secrets: removed, not mapped


def test_no_redact_keeps_text(tmp_path):
    text = _report(str(SEED), "--no-redact")
    assert "redaction: OFF" in text and "1465891046188765878" in text


def test_oversized_input_is_trimmed_below_the_github_limit(tmp_path):
    case = tmp_path / "big"
    shutil.copytree(SEED, case)
    journal = case / "journal.txt"
    extra = []
    for minute in range(10, 60):
        for second in (5, 35):
            extra.append(f"Jan 27 20:{minute:02d}:{second:02d} node[43079]: [discord] gateway: "
                         "Attempting resume with backoff: 1000ms after code 1006 " + "x" * 200)
            extra.append(f"Jan 27 20:{minute:02d}:{second:02d} node[43079]: [discord] gateway: "
                         "WebSocket connection closed with code 1006 " + "y" * 200)
    journal.write_text(journal.read_text() + "\n".join(extra) + "\n")
    text = _report(str(case))
    assert len(text) <= 65_536
    assert "unexplained-reset" in text.split("## Findings")[0]  # the verdict survives


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(_chromium() is None, reason="needs headless Chromium (Debian package `chromium`; .ci/run installs it)")
def test_html_report_renders_in_headless_chromium(tmp_path):
    html = tmp_path / "report.html"
    _report(str(SEED), "--format", "html", "-o", str(html))
    assert "http://" not in html.read_text().split("<body>")[0]  # nothing fetched
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([_chromium(), *flags, "--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    rendered = dom.stdout
    for lane in ("gateway connection", "listeners", "sessions", "findings"):
        assert f'data-lane="{lane}"' in rendered
    assert 'data-rule="unexplained-reset"' in rendered and 'class="flap"' in rendered
    assert rendered.count('class="close"') == 8
    shot = tmp_path / "report.png"
    subprocess.run([_chromium(), *flags, f"--screenshot={shot}", "--window-size=1100,1400", html.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000


def test_redact_flag_applies_to_timeline_and_check(tmp_path):
    case = _planted(tmp_path)
    timeline = CliRunner().invoke(main, ["timeline", str(case), "--format", "jsonl", "--redact"])
    check = CliRunner().invoke(main, ["check", str(case), "--format", "json", "--redact"])
    table = CliRunner().invoke(main, ["check", str(case), "--redact"], env={"COLUMNS": "200"})
    assert timeline.exit_code == 0, timeline.output
    assert check.exit_code == table.exit_code == 1  # the seed's findings are still found
    for result in (timeline, check, table):
        for name, secret in SECRETS.items():
            assert secret not in result.output, name
    plain = CliRunner().invoke(main, ["timeline", str(case), "--format", "jsonl"])
    assert SECRETS["host"] in plain.output  # without --redact the data is shown as it is


def _mermaid_js() -> Path | None:
    import os

    path = os.environ.get("MOLTDIAG_MERMAID_JS")
    return Path(path) if path and Path(path).is_file() else None


@pytest.mark.skipif(_chromium() is None or _mermaid_js() is None,
                    reason="needs headless Chromium and mermaid.min.js (MOLTDIAG_MERMAID_JS; .ci/run installs both: "
                           "Debian `chromium`, npm `mermaid`)")
def test_mermaid_block_renders_with_the_real_mermaid_library(tmp_path):
    import html as html_lib
    import re

    text = _report(str(SEED))
    block = re.search(r"```mermaid\n(.*?)```", text, re.S).group(1)
    page = tmp_path / "mermaid.html"
    page.write_text(
        f'<!doctype html><html><body><pre class="mermaid">{html_lib.escape(block)}</pre>'
        f'<script src="{_mermaid_js().as_uri()}"></script><script>'
        "mermaid.initialize({startOnLoad:false});"
        "mermaid.run({querySelector:'.mermaid'}).then(()=>document.body.setAttribute('data-ok','1'))"
        ".catch(e=>document.body.setAttribute('data-err',String(e)));</script></body></html>"
    )
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
             "--allow-file-access-from-files", "--virtual-time-budget=15000", f"--user-data-dir={tmp_path / 'p'}"]
    dom = subprocess.run([_chromium(), *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    assert 'data-ok="1"' in dom, re.findall(r'data-err="[^"]*"', dom)
    assert 'aria-roledescription="gantt"' in dom
