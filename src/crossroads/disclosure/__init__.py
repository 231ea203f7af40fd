"""Disclosure control: de-identified microdata (k-anonymity, l-diversity) and differentially private tables."""
