"""Observability: structured logs, Prometheus metrics, Sentry and tracing."""
