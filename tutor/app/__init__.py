"""The Textual face of the tutor: the only package that imports textual.

It renders the core's events and calls the core's functions; it has no second way to
build, run or judge a step.
"""
