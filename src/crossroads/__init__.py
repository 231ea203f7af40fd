"""Crossroads: case management, referrals and safe data publishing for migration services."""

__version__ = "0.1.0"
