"""The correlator: one UTC timeline, clocks aligned, flap windows and session lifetimes."""
