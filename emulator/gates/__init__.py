"""Environments and their checks: the approvals Azure DevOps keeps outside YAML, mirrored locally."""
