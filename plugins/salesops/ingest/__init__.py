"""Ingestion: landing files into raw tables (COPY, row checks, quarantine, the load ledger)."""
