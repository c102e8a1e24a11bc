"""The state folder: run records, logs, artifacts, Azure ML records and the MLflow store."""
