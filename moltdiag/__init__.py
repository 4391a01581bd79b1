"""moltdiag: forensic timelines for OpenClaw (ex-Clawdbot, ex-Moltbot) gateway incidents."""

__version__ = "0.1.0"
