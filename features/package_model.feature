Feature: Recipe package-model packages a registered model version as an inference environment
  az ml model package builds, from the model, code/score.py and the training environment, an
  environment that serves the model anywhere without downloads; its name and version are the outputs
  package.environmentName and package.environmentVersion of job Package.

  Background:
    Given an isolated emulator state

  @e2e
  Scenario: The newest version is packaged
    Given the az defaults are group "features-rg" and workspace "features-ws"
    And the environment "mlops_pipelines/aml/environment.yml" is registered
    And a trained model is registered as "credit-model"
    When I run the pipeline "tests/features/pipelines/recipes/package-model.yml"
    Then the run succeeded
    And job "Package" of stage "Package" has the output "package.environmentName" equal to "credit-model-pkg"
    And job "Package" of stage "Package" has the output "package.environmentVersion"

  Scenario: A version that does not exist fails the stage
    When I run the pipeline "tests/features/pipelines/recipes/package-model.yml" with the parameters:
      | name         | value |
      | modelVersion | 4     |
    Then the run failed
    And step "package" of stage "Package" failed

  Scenario: The version comes from the register stage unless one is given
    When the pipeline "mlops_pipelines/BasicBuildRelease.yml" is expanded
    Then the expansion succeeds
    And the expanded pipeline contains "stageDependencies.Register.RegisterModel.outputs['RegisterModel.register.modelVersion']"
    And stage "DeployTest" of the expanded pipeline depends on "Package, Register"

  Scenario: A version that is not a number, 'latest' or '' is refused
    When the pipeline "tests/features/pipelines/recipes/errors/package-model-bad-version.yml" is expanded
    Then the expansion fails at "errors/package-model-bad-version.yml:9:19" mentioning "Invalid parameter 'modelVersion': 'newest' does not match"
