"""Services a check needs (Redis, …): started on loopback for one run, stopped after.

Headless: the session starts them around a run; ``doctor`` asks what is installed.
"""
