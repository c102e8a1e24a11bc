"""Records of the emulated workspace, and nothing that runs: workspace and resource ids, data assets,
models (MLflow registry), environments, job records, and what `azureml:` / `azureml://` names mean."""
