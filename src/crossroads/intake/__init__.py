"""Registration: people checked for duplicates and indexed, household members, a first case, the person's page."""
