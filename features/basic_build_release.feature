Feature: Basic build and release of the German Credit model
  The reference scenario, end to end and offline: Training -> (approval: test) Register model ->
  Package -> Deploy to test with a smoke test -> (approval: production) Deploy to production.
  The approvals live on the Azure DevOps environments "test" and "production"
  (mlops_pipelines/environments.yml): ml-reviewers decide on test, release-managers on production.
  The first scenario packages the model as a Docker image and serves both endpoints from containers
  (it needs a Docker daemon: CI starts one; locally it is skipped with how to start one); the others
  serve from processes.

  Background:
    Given an isolated emulator state
    And the pipeline "mlops_pipelines/BasicBuildRelease.yml"

  Scenario: Each gate stops the run until it is approved, and production waits for its own approval
    Given deployments run as Docker containers
    When I run the pipeline
    Then the run is paused waiting for environment "test"
    And stage "Training" succeeded
    And job "Train" of stage "Training" has the output "train.jobName"
    And stage "Register" has not run
    And no model "credit-model" is registered
    When "alice" approves environment "test"
    And I resume the run
    Then the run is paused waiting for environment "production"
    And stage "Register" succeeded
    And stage "Package" succeeded
    And stage "DeployTest" succeeded
    And model "credit-model" version 1 is registered
    And model "credit-model" version 1 has the tag "commit"
    And the logged "accuracy" of model "credit-model" version 1 is at least 0.70
    And endpoint "credit-test" answers "code/sample-request.json" with predictions
    And environment "credit-model-pkg" is a Docker image of model "credit-model" version 1
    And endpoint "credit-test" is served by a container of model "credit-model" version 1
    And stage "DeployProduction" has not run
    And endpoint "credit-prod" has no deployment
    When "carol" approves environment "production"
    And I resume the run
    Then the run succeeded
    And stage "DeployProduction" succeeded
    And endpoint "credit-prod" answers "code/sample-request.json" with predictions
    And endpoint "credit-prod" is served by a container of model "credit-model" version 1
    And the approval of environment "production" by "carol" is recorded

  Scenario: A rejected production approval deploys nothing to production; the next run registers version 2
    When I run the pipeline "mlops_pipelines/BasicBuildRelease.yml" approving "test" as "bob"
    Then the run is paused waiting for environment "production"
    And model "credit-model" version 1 is registered
    When "carol" rejects environment "production"
    And I resume the run
    Then the run failed
    And stage "DeployProduction" failed
    And endpoint "credit-prod" has no deployment
    When I run the pipeline "mlops_pipelines/BasicBuildRelease.yml" approving "test" as "alice"
    Then the run is paused waiting for environment "production"
    And model "credit-model" version 2 is registered

  Scenario: Someone who is not an approver cannot approve production
    When I run the pipeline "mlops_pipelines/BasicBuildRelease.yml" approving "production" as "alice"
    Then the command fails with a bad-input error mentioning "not among the approvers"
