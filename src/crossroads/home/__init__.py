"""The home page: what waits for the signed-in user, by what the access policy lets them do."""
