"""Local emulator of Azure Pipelines and the Azure ML CLI v2 for MLOps recipes."""

__version__ = "0.1.0"
