Feature: Recipe teardown deletes what the pipelines created, and only that
  Online and batch endpoints (with their deployments), compute clusters and, on request, the
  workspace and the resource group. What does not exist is skipped, so it can run any number of times.

  Background:
    Given an isolated emulator state
    And the az defaults are group "features-rg" and workspace "features-ws"

  Scenario: Existing endpoints go, missing ones are skipped, and a second run changes nothing
    When I run az "ml online-endpoint create --file mlops_pipelines/aml/endpoint.yml --name features-online -o none"
    And I run the pipeline "tests/features/pipelines/recipes/teardown.yml"
    Then the run succeeded
    And the log of step "onlineEndpoints" of stage "Teardown" mentions "Deleted online endpoint features-online"
    And the log of step "onlineEndpoints" of stage "Teardown" mentions "Online endpoint features-rollout does not exist: nothing to delete"
    And endpoint "features-online" does not exist
    When I run the pipeline "tests/features/pipelines/recipes/teardown.yml"
    Then the run succeeded

  Scenario: The workspace and the compute go only when asked
    Given the emulated az supports "ml workspace delete"
    And the emulated az supports "ml compute delete"
    When I run az "ml compute create --file mlops_pipelines/aml/infra/compute.yml --name features-cpu -o none"
    And I run the pipeline "tests/features/pipelines/recipes/teardown.yml" with the parameters:
      | name            | value          |
      | deleteWorkspace | true           |
      | computes        | [features-cpu] |
    Then the run succeeded
    And the log of step "computes" of stage "Teardown" mentions "Deleted compute features-cpu"
    And the log of step "workspace" of stage "Teardown" mentions "Deleted workspace features-ws"

  Scenario: Without asking, the workspace and the group stay
    When the pipeline "tests/features/pipelines/recipes/teardown.yml" is expanded
    Then the expansion succeeds
    And the expanded pipeline contains "az ml online-endpoint delete --name"
    And the expanded pipeline does not contain "az ml workspace delete"
    And the expanded pipeline does not contain "az group delete"
    And job "Teardown" of stage "Teardown" of the expanded pipeline has the named steps "onlineEndpoints, batchEndpoints"

  Scenario: An endpoint name Azure would refuse is refused where it is given
    When the pipeline "tests/features/pipelines/recipes/errors/teardown-bad-endpoint.yml" is expanded
    Then the expansion fails at "errors/teardown-bad-endpoint.yml:8:22" mentioning "Invalid parameter 'onlineEndpoints.1': 'Features_Batch' does not match"
