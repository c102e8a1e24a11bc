Feature: Recipe provision-workspace creates the resource group and the Azure ML workspace
  az group create, then az ml workspace create unless the workspace exists; the workspace's MLflow
  tracking URI is the output variable workspace.mlflowTrackingUri of job ProvisionWorkspace
  (tests/features/pipelines/recipes/provision.yml, which also runs provision-compute).

  Background:
    Given an isolated emulator state

  Scenario: The workspace is created once and its tracking URI exposed; a second run keeps it
    Given the emulated az supports "ml workspace create"
    When I run the pipeline "tests/features/pipelines/recipes/provision.yml"
    Then the run succeeded
    And job "ProvisionWorkspace" of stage "ProvisionWorkspace" has the output "workspace.mlflowTrackingUri"
    And the log of step "workspace" of stage "ProvisionWorkspace" mentions "Created workspace features-ws in westeurope"
    When I run az "ml workspace show --name features-ws --resource-group features-rg --query location -o tsv"
    Then az printed "westeurope"
    When I run the pipeline "tests/features/pipelines/recipes/provision.yml"
    Then the run succeeded
    And the log of step "workspace" of stage "ProvisionWorkspace" mentions "Workspace features-ws exists: kept as it is"

  Scenario: The commands are Azure CLI v2's, with the names and region given
    Given the parameters:
      | name     | value   |
      | location | eastus2 |
    When the pipeline "tests/features/pipelines/recipes/provision.yml" is expanded
    Then the expansion succeeds
    And the expanded pipeline contains "az group create --name features-rg --location eastus2"
    And the expanded pipeline contains "az ml workspace create --file mlops_pipelines/aml/infra/workspace.yml --name features-ws"
    And the expanded pipeline has the stages "ProvisionWorkspace, ProvisionCompute"

  Scenario: A region written as its display name is refused where it is given
    Given the parameters:
      | name     | value       |
      | location | West Europe |
    When the pipeline "tests/features/pipelines/recipes/provision.yml" is expanded
    Then the expansion fails at "recipes/provision.yml:20:15" mentioning "Invalid parameter 'location': 'West Europe' does not match"

  Scenario: The resource group is required
    When the pipeline "tests/features/pipelines/recipes/errors/provision-workspace-missing-group.yml" is expanded
    Then the expansion fails at "errors/provision-workspace-missing-group.yml:3:13" mentioning "A value for the 'resourceGroup' parameter must be provided."
