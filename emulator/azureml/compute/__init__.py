"""What runs on the emulated compute: isolated Python environments, command jobs, pipeline jobs and
batch scoring jobs, recorded as assets (job records, MLflow runs)."""
