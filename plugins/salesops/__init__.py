"""Sales Operations warehouse: ingestion, quality gates, publishing and the CLI."""

__version__ = "0.1.0"
