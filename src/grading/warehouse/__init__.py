"""The DuckDB warehouse: DDL and views, domain values as validated frames, the one-transaction load, and the baseline mirror's ingest."""
