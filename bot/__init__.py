"""Hotline triage bot for residential property management (物业)."""

__version__ = "0.1.0"
