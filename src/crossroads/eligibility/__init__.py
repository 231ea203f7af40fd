"""Screening instruments and eligibility rules: who a programme may help and why, in words a person can contest."""
