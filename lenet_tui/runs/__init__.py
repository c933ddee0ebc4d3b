"""Runs: run folders, their files (settings, event log, checkpoints) and the one run driver that
both front ends use. Imports the engine, never the user interface (tests/test_layers.py)."""
