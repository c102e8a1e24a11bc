Feature: Recipe register-model registers the trained model behind an approval, tagged for lineage
  A deployment job on an environment (its approvals gate the registration) registers the training
  job's model (or modelPath) with the tags commit, build, build_number, pipeline and training_job, the
  extra tags given, the metrics of the training run (metricTags, read through MLflow) and, with
  setChampion, the champion tag, which moves from the previous champion to the new version.

  Background:
    Given an isolated emulator state

  @e2e
  Scenario: The registration waits for the approval, then tags the version; the champion tag moves
    Given a trained model as the parameter "modelSource"
    And the parameters:
      | name        | value |
      | setChampion | true  |
    When I run the pipeline "tests/features/pipelines/recipes/register-model.yml" as "erin"
    Then the run is paused waiting for environment "staging"
    And no model "credit-model" is registered
    When "alice" approves environment "staging"
    And I resume the run
    Then the run succeeded
    And job "RegisterModel" of stage "Register" has the output "RegisterModel.register.modelVersion" equal to "1"
    And model "credit-model" version 1 has the tag "commit"
    And model "credit-model" version 1 has the tag "training_job"
    And model "credit-model" version 1 has the tag "dataset" equal to "german-credit"
    And model "credit-model" version 1 has the tag "roc_auc" equal to "0.78"
    And model "credit-model" version 1 has the tag "champion" equal to "true"
    When I run the pipeline "tests/features/pipelines/recipes/register-model.yml" with the parameters:
      | name       | value |
      | metricTags | []    |
    Then the run is paused waiting for environment "staging"
    When "bob" approves environment "staging"
    And I resume the run
    Then the run succeeded
    And model "credit-model" version 2 has the tag "champion" equal to "true"
    And the log of step "register" of stage "Register" mentions "Version 1 is no longer the champion"

  @e2e
  Scenario: A model that is not there fails the registration and registers nothing
    When I run the pipeline "tests/features/pipelines/recipes/register-model.yml" with the parameters:
      | name        | value                     |
      | modelSource | /nonexistent/model/folder |
    Then the run is paused waiting for environment "staging"
    When "alice" approves environment "staging"
    And I resume the run
    Then the run failed
    And step "register" of stage "Register" failed
    And no model "credit-model" is registered

  Scenario: Metric tags read the training run through the workspace's MLflow tracking URI
    When the pipeline "tests/features/pipelines/recipes/register-model.yml" is expanded
    Then the expansion succeeds
    And job "RegisterModel" of stage "Register" of the expanded pipeline targets environment "staging"
    And the expanded pipeline contains "--query mlflow_tracking_uri -o tsv"
    And the expanded pipeline contains "python code/evaluate.py metric-tags"
    And the expanded pipeline contains "roc_auc,accuracy"

  Scenario: Without metric tags nothing is installed and MLflow is not asked
    Given the parameters:
      | name       | value |
      | metricTags | []    |
    When the pipeline "tests/features/pipelines/recipes/register-model.yml" is expanded
    Then the expansion succeeds
    And the expanded pipeline does not contain "Install MLflow"
    And the expanded pipeline does not contain "roc_auc,accuracy"

  Scenario: A champion tag with a dash is refused where it is given
    Given the parameters:
      | name        | value      |
      | championTag | top-model  |
    When the pipeline "tests/features/pipelines/recipes/register-model.yml" is expanded
    Then the expansion fails at "recipes/register-model.yml:34:18" mentioning "Invalid parameter 'championTag': 'top-model' does not match"

  Scenario: Metric tags are a list of names
    When the pipeline "tests/features/pipelines/recipes/errors/register-model-metric-tags-text.yml" is expanded
    Then the expansion fails at "errors/register-model-metric-tags-text.yml:9:17" mentioning "Invalid parameter 'metricTags': 'roc_auc' is not of type 'array'"
