"""Running the portal for real: metrics (Prometheus), structured logs, optional tracing, and the
endpoints an orchestrator asks (probes, /metrics). See docs/runbook.md."""
