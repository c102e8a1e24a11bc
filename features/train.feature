Feature: Recipe train submits the Azure ML training job and exposes its name
  The stage registers the job's environment, submits the command job (with --set overrides from
  jobSettings), streams its log and fails unless the job completes; the job name is the output
  variable train.jobName of job Train. The feature's job (tests/features/pipelines/recipes/aml/
  fake-train-job.yml) copies an already trained model and logs the metrics it is given, in seconds.

  Background:
    Given an isolated emulator state

  @e2e
  Scenario: The job runs with the overrides and its name is the stage's output
    Given a trained model as the parameter "modelSource"
    When I run the pipeline "tests/features/pipelines/recipes/train.yml"
    Then the run succeeded
    And job "Train" of stage "Training" has the output "train.jobName"
    And the log of step "train" of stage "Training" mentions "roc_auc=0.81"
    And the log of step "train" of stage "Training" mentions "finished with status Completed"

  @e2e
  Scenario: A job that fails fails the stage
    Given the parameters:
      | name    | value                                                 |
      | jobFile | tests/features/pipelines/recipes/aml/failing-job.yml |
    When I run the pipeline "tests/features/pipelines/recipes/train.yml"
    Then the run failed
    And stage "Training" failed
    And step "train" of stage "Training" failed

  Scenario: The overrides reach az ml job create
    When the pipeline "tests/features/pipelines/recipes/train.yml" is expanded
    Then the expansion succeeds
    And the expanded pipeline contains "az ml job create --file tests/features/pipelines/recipes/aml/fake-train-job.yml"
    And the expanded pipeline contains "inputs.roc_auc=0.81"
    And job "Train" of stage "Training" of the expanded pipeline has the named steps "train"

  Scenario: A stage name with a space is refused where it is given
    Given the parameters:
      | name      | value       |
      | stageName | My Training |
    When the pipeline "tests/features/pipelines/recipes/train.yml" is expanded
    Then the expansion fails at "recipes/train.yml:17:16" mentioning "Invalid parameter 'stageName': 'My Training' does not match"

  Scenario: A misspelt parameter is refused where it is given
    When the pipeline "tests/features/pipelines/recipes/errors/train-unknown-parameter.yml" is expanded
    Then the expansion fails at "errors/train-unknown-parameter.yml:8:5" mentioning "Unexpected parameter 'jobFiles'"
