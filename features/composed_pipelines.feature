Feature: The composed pipelines of mlops_pipelines/ are recipes only, and run in the emulator
  EnvCreatePipeline (workspace and compute), EnvTearDownPipeline, SafeRollout (approval, then
  blue/green), BatchScoring (nightly), ConformanceGate (pull requests) and ChampionChallenger (lint, test, validate data, train, evaluate
  against the champion, register, roll out) expand for Azure DevOps as they are; output variables reach
  only stages that depend on their producer directly, hence the dependsOn lists.

  Background:
    Given an isolated emulator state

  Scenario Outline: Each composed pipeline expands into its stages
    When the pipeline "mlops_pipelines/<pipeline>" is expanded
    Then the expansion succeeds
    And the expanded pipeline has the stages "<stages>"

    Examples:
      | pipeline                 | stages                                                                |
      | EnvCreatePipeline.yml    | ProvisionWorkspace, ProvisionCompute                                  |
      | EnvTearDownPipeline.yml  | Teardown                                                              |
      | SafeRollout.yml          | ApproveRollout, Rollout                                               |
      | BatchScoring.yml         | BatchScore                                                            |
      | ChampionChallenger.yml   | CodeQuality, ValidateData, Training, Evaluate, Register, SafeRollout  |
      | BasicBuildRelease.yml    | Training, Register, Package, DeployTest, DeployProduction             |
      | ConformanceGate.yml      | ConformanceGate                                                       |

  Scenario: The champion/challenger flow registers only a promoted candidate, behind two approvals
    When the pipeline "mlops_pipelines/ChampionChallenger.yml" is expanded
    Then the expansion succeeds
    And stage "ValidateData" of the expanded pipeline depends on ""
    And stage "Training" of the expanded pipeline depends on "CodeQuality, ValidateData"
    And stage "Register" of the expanded pipeline depends on "Training, Evaluate"
    And stage "Register" of the expanded pipeline has the condition "eq(dependencies.Evaluate.outputs['Evaluate.evaluate.promote'], 'true')"
    And job "RegisterModel" of stage "Register" of the expanded pipeline targets environment "test"
    And job "Rollout" of stage "SafeRollout" of the expanded pipeline targets environment "production"

  Scenario: Deleting the workspace first asks the infrastructure environment
    Given the parameters:
      | name            | value |
      | deleteWorkspace | true  |
      | deleteCompute   | true  |
    When the pipeline "mlops_pipelines/EnvTearDownPipeline.yml" is expanded
    Then the expansion succeeds
    And the expanded pipeline has the stages "ConfirmTeardown, Teardown"
    And job "Approval" of stage "ConfirmTeardown" of the expanded pipeline targets environment "infrastructure"
    And the expanded pipeline contains "az ml workspace delete --name mlops-ws --resource-group mlops-rg"
    And the expanded pipeline contains "for name in cpu-cluster; do"

  Scenario: The environment pipelines run in the emulator
    Given the emulated az supports "ml workspace create"
    When I run the pipeline "mlops_pipelines/EnvCreatePipeline.yml"
    Then the run succeeded
    And job "ProvisionCompute" of stage "ProvisionCompute" has the output "compute.name" equal to "cpu-cluster"
    When I run the pipeline "mlops_pipelines/EnvTearDownPipeline.yml"
    Then the run succeeded

  Scenario: A production rollout waits for the release managers
    When I run the pipeline "mlops_pipelines/SafeRollout.yml" as "erin"
    Then the run is paused waiting for environment "production"
    And stage "Rollout" has not run

  Scenario: The conformance gate passes on this repository's pipelines
    Given the parameters:
      | name         | value |
      | featureTests | []    |
    When I run the pipeline "mlops_pipelines/ConformanceGate.yml"
    Then the run succeeded
    And the log of step "validate" of stage "ConformanceGate" mentions "0 not valid; 0 error(s), 0 warning(s)"
    And step "Publish the SARIF log (Scans tab)" of stage "ConformanceGate" succeeded
