"""Moving a case through its programme's workflow: transitions, supervisor approvals, assignment, transfers."""
