Feature: Recipe batch-score scores a data asset offline with a batch endpoint
  Registers the input data asset, creates the batch endpoint and a default model deployment
  (code/batch_score.py), invokes it on the data, waits for the job, downloads its score output and
  fails unless predictions.csv has at least minRows rows; the predictions are a pipeline artifact.

  Background:
    Given an isolated emulator state

  @e2e
  Scenario: Every applicant of the data asset gets a prediction
    Given the az defaults are group "features-rg" and workspace "features-ws"
    And the environment "mlops_pipelines/aml/environment.yml" is registered
    And the emulated az supports "ml batch-endpoint invoke"
    And the emulated az supports "ml job download"
    And a trained model is registered as "credit-model"
    When I run the pipeline "tests/features/pipelines/recipes/batch-score.yml"
    Then the run succeeded
    And job "BatchScore" of stage "BatchScore" has the output "batch.rows" of at least 20
    And job "BatchScore" of stage "BatchScore" has the output "batch.dataAsset" equal to "credit-applicants:1"
    And the log of step "Publish the predictions" of stage "BatchScore" mentions "batch-predictions"

  Scenario: A model version that does not exist fails the stage before any scoring
    Given the az defaults are group "features-rg" and workspace "features-ws"
    When I run the pipeline "tests/features/pipelines/recipes/batch-score.yml" with the parameters:
      | name         | value |
      | modelVersion | 9     |
    Then the run failed
    And step "batch" of stage "BatchScore" failed
    And step "Publish the predictions" of stage "BatchScore" was skipped

  Scenario: The data, endpoint, deployment and job commands are Azure ML CLI v2's
    When the pipeline "tests/features/pipelines/recipes/batch-score.yml" is expanded
    Then the expansion succeeds
    And the expanded pipeline contains "az ml data create --file mlops_pipelines/aml/batch/data.yml"
    And the expanded pipeline contains "az ml batch-endpoint create --file mlops_pipelines/aml/batch/endpoint.yml --name features-batch"
    And the expanded pipeline contains "--set-default"
    And the expanded pipeline contains "az ml batch-endpoint invoke --name features-batch"
    And the expanded pipeline contains "--output-name score --download-path"

  Scenario: Asking for no rows at all is refused where it is given
    Given the parameters:
      | name    | value |
      | minRows | 0     |
    When the pipeline "tests/features/pipelines/recipes/batch-score.yml" is expanded
    Then the expansion fails at "recipes/batch-score.yml:20:14" mentioning "Invalid parameter 'minRows': 0 is less than the minimum of 1"

  Scenario: The batch endpoint is required
    When the pipeline "tests/features/pipelines/recipes/errors/batch-score-missing-endpoint.yml" is expanded
    Then the expansion fails at "errors/batch-score-missing-endpoint.yml:3:13" mentioning "A value for the 'endpointName' parameter must be provided."
