"""Where the real Clawdbot 2026.1.24 run lives (../shared/real-runs beside the repo, as in CI)
and the ids of its sessions (ground truth: that folder's RUN.md). One place for every test."""

from __future__ import annotations

from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[2] / "shared" / "real-runs" / "clawdbot-2026.1.24"
SESSIONS = RUN / "state-dir" / "agents" / "main" / "sessions"

needs_run = pytest.mark.skipif(not RUN.is_dir(), reason=f"real-run corpus not present at {RUN} "
                               "(it sits at ../shared/real-runs beside the repo)")

S1 = "2dd2d3d0-20f1-4000-a951-4d4c52c06bea"
S2 = "8b95442f-2dab-4baf-8e90-ec4a3a2241b5"
S3 = "3d078cfd-51f5-46f3-a402-f50259f22fcf"
S4 = "54a50ba7-de83-4a0b-b2f3-ffa871933561"
S5 = "d50c1679-b548-49bd-8467-5289e6352263"
S6 = "58cd6ec6-ad0c-4a66-a723-5ea1d74db7ad"
R1 = "90fa10e4-26b1-44e4-a338-b5d80e1dd294"
