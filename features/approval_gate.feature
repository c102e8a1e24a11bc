Feature: Recipe approval-gate holds what follows until the environment's checks pass
  A stage with one deployment job on an Azure DevOps environment: Azure evaluates the environment's
  checks (approvals, branch control...) before the stage starts, so the stages after it wait. The
  checks live on the environment; the emulator reads them from environments.yml beside the pipeline
  (tests/features/pipelines/recipes/environments.yml: reviewers alice and bob approve "staging").

  Background:
    Given an isolated emulator state

  Scenario: The release waits for an approver, then goes on
    When I run the pipeline "tests/features/pipelines/recipes/approval-gate.yml" as "erin"
    Then the run is paused waiting for environment "staging"
    And stage "Build" succeeded
    And stage "Approval" has not run
    And stage "Release" has not run
    When "alice" approves environment "staging"
    And I resume the run
    Then the run succeeded
    And stage "Release" succeeded
    And job "Approval" of stage "Approval" has the output "Approval.gate.environment" equal to "staging"
    And the approval of environment "staging" by "alice" is recorded

  Scenario: A rejection fails the gate and skips what depends on it
    When I run the pipeline "tests/features/pipelines/recipes/approval-gate.yml" as "erin"
    And "bob" rejects environment "staging"
    And I resume the run
    Then the run failed
    And stage "Approval" failed
    And stage "Release" was skipped

  Scenario: The gate is a deployment job on the environment
    When the pipeline "tests/features/pipelines/recipes/approval-gate.yml" is expanded
    Then the expansion succeeds
    And the expanded pipeline has the stages "Build, Approval, Release"
    And job "Approval" of stage "Approval" of the expanded pipeline targets environment "staging"

  Scenario: An empty environment is refused at the line that passes it
    Given the parameters:
      | name        | value |
      | environment |       |
    When the pipeline "tests/features/pipelines/recipes/approval-gate.yml" is expanded
    Then the expansion fails at "recipes/approval-gate.yml:15:18" mentioning "Invalid parameter 'environment'"

  Scenario: The environment is required
    When the pipeline "tests/features/pipelines/recipes/errors/approval-gate-missing-environment.yml" is expanded
    Then the expansion fails at "errors/approval-gate-missing-environment.yml:3:13" mentioning "A value for the 'environment' parameter must be provided."
