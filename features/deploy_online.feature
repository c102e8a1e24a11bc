Feature: Recipe deploy-online serves a registered model version on an online endpoint
  Creates or updates the managed online endpoint, deploys the model version (from the register stage,
  a number, or 'latest') with all traffic, and smoke-tests the endpoint; the scoring URI and the version
  are the outputs deploy.scoringUri and deploy.modelVersion of job DeployModel.

  Background:
    Given an isolated emulator state

  @e2e
  Scenario: The newest version takes all traffic and answers the sample request
    Given the az defaults are group "features-rg" and workspace "features-ws"
    And the environment "mlops_pipelines/aml/environment.yml" is registered
    And a trained model is registered as "credit-model"
    When I run the pipeline "tests/features/pipelines/recipes/deploy-online.yml"
    Then the run succeeded
    And job "DeployModel" of stage "Deploy" has the output "deploy.modelVersion" equal to "1"
    And job "DeployModel" of stage "Deploy" has the output "deploy.scoringUri"
    And endpoint "features-online" sends all traffic to "blue"
    And endpoint "features-online" answers "code/sample-request.json" with predictions
    And step "smoke" of stage "Deploy" succeeded

  Scenario: A version that does not exist fails the deployment and skips the smoke test
    When I run the pipeline "tests/features/pipelines/recipes/deploy-online.yml" with the parameters:
      | name         | value |
      | modelVersion | 7     |
    Then the run failed
    And step "deploy" of stage "Deploy" failed
    And step "smoke" of stage "Deploy" was skipped
    And endpoint "features-online" has the deployments ""

  Scenario: With an environment the deployment is a deployment job on it
    When the pipeline "mlops_pipelines/BasicBuildRelease.yml" is expanded
    Then the expansion succeeds
    And job "DeployModel" of stage "DeployProduction" of the expanded pipeline targets environment "production"
    And stage "DeployProduction" of the expanded pipeline depends on "DeployTest, Register"

  Scenario: An endpoint name with an underscore is refused where it is given
    Given the parameters:
      | name         | value           |
      | endpointName | features_online |
    When the pipeline "tests/features/pipelines/recipes/deploy-online.yml" is expanded
    Then the expansion fails at "recipes/deploy-online.yml:22:19" mentioning "Invalid parameter 'endpointName': 'features_online' does not match"

  Scenario: The smoke test must check at least one key
    When the pipeline "tests/features/pipelines/recipes/errors/deploy-online-no-keys.yml" is expanded
    Then the expansion fails at "errors/deploy-online-no-keys.yml:11:19" mentioning "Invalid parameter 'expectedKeys': [] should be non-empty"
