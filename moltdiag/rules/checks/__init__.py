"""Checks too rich for rule data; each is named by a rule file (`correlate.check`) that carries its samples."""
