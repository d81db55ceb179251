"""DSPy tracing: callbacks to span events, with secrets redacted."""
