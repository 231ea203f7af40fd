"""Notifications to partners and caseworkers: e-mail and signed webhooks, queued in the caller's transaction
and delivered after commit by the worker, carrying references and links only, never a person's data."""
