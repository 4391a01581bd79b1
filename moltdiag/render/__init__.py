"""Renderers: turn a timeline or findings into terminal tables and machine formats (no analysis here)."""
