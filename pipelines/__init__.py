"""Item pipelines, in order: read the main document, parse the report, store it, record the run's outcomes."""
