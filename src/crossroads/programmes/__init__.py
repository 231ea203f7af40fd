"""Programmes as versioned configuration: the case form, the workflow and the assistance catalogue."""
