"""Which LM answers a run: the deterministic offline LM or a real provider."""
