Feature: Recipe aml-cli-setup installs the Azure ML CLI and sets the workspace defaults
  A steps template for the start of every job that calls `az ml`: it adds the `ml` extension and sets
  the default resource group and workspace, so later commands need no -g/-w
  (recipes/aml-cli-setup, tests/features/pipelines/recipes/aml-cli-setup.yml).

  Background:
    Given an isolated emulator state

  Scenario: Later az commands in the job see the defaults it set
    When I run the pipeline "tests/features/pipelines/recipes/aml-cli-setup.yml"
    Then the run succeeded
    And the log of step "defaults" of stage "__default" mentions "features-ws"
    And the log of step "defaults" of stage "__default" mentions "features-rg"

  Scenario: It is one Azure CLI step on the service connection, with the names given
    Given the parameters:
      | name          | value     |
      | workspace     | credit-ws |
      | resourceGroup | credit-rg |
    When the pipeline "tests/features/pipelines/recipes/aml-cli-setup.yml" is expanded
    Then the expansion succeeds
    And the expanded pipeline contains "az extension add --name ml --yes --upgrade"
    And the expanded pipeline contains "az configure --defaults group=credit-rg workspace=credit-ws"
    And the expanded pipeline contains "azureSubscription: features-connection"

  Scenario: An empty workspace name is refused at the line that passes it
    Given the parameters:
      | name      | value |
      | workspace |       |
    When the pipeline "tests/features/pipelines/recipes/aml-cli-setup.yml" is expanded
    Then the expansion fails at "recipes/aml-cli-setup.yml:14:16" mentioning "Invalid parameter 'workspace': '' should be non-empty"

  Scenario: A missing workspace is refused at the template reference
    When the pipeline "tests/features/pipelines/recipes/errors/aml-cli-setup-missing-workspace.yml" is expanded
    Then the expansion fails at "errors/aml-cli-setup-missing-workspace.yml:3:13" mentioning "A value for the 'workspace' parameter must be provided."
