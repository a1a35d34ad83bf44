"""The hosted agent: the exchange plays the party side of organizations that answered with a vault dataset."""
