Feature: Recipe evaluate-model lets a candidate replace the champion only when it is better
  The candidate's metric comes from the MLflow run of its training (tracking URI from az ml workspace
  show); the champion is the registered version tagged champion=true, its metric a tag. The decision is
  the output variable Evaluate.evaluate.promote; the feature's pipeline registers the candidate as the
  new champion only when it is 'true' (tests/features/pipelines/recipes/evaluate-model.yml).

  Background:
    Given an isolated emulator state

  @e2e
  Scenario: The first model passes; a later one must beat it by the minimum improvement
    Given a trained model as the parameter "modelSource"
    When I run the pipeline "tests/features/pipelines/recipes/evaluate-model.yml" with the parameters:
      | name         | value       |
      | candidateAuc | 0.75        |
    Then the run succeeded
    And job "Evaluate" of stage "Evaluate" has the output "evaluate.promote" equal to "true"
    And job "Evaluate" of stage "Evaluate" has the output "evaluate.championVersion" equal to ""
    And model "credit-model" version 1 has the tag "champion" equal to "true"
    And model "credit-model" version 1 has the tag "roc_auc" equal to "0.75"
    When I run the pipeline "tests/features/pipelines/recipes/evaluate-model.yml" with the parameters:
      | name           | value  |
      | candidateAuc   | 0.77   |
      | minImprovement | 0.05   |
    Then the run succeeded
    And job "Evaluate" of stage "Evaluate" has the output "evaluate.promote" equal to "false"
    And job "Evaluate" of stage "Evaluate" has the output "evaluate.championVersion" equal to "1"
    And stage "Register" was skipped
    And the log of step "evaluate" of stage "Evaluate" mentions "KEEP THE CHAMPION"

  Scenario: The gate compares on the chosen metric and direction
    Given the parameters:
      | name      | value         |
      | direction | lowerIsBetter |
    When the pipeline "tests/features/pipelines/recipes/evaluate-model.yml" is expanded
    Then the expansion succeeds
    And the expanded pipeline contains "--metric roc_auc --direction lowerIsBetter"
    And stage "Register" of the expanded pipeline depends on "Training, Evaluate"
    And stage "Register" of the expanded pipeline has the condition "eq(dependencies.Evaluate.outputs['Evaluate.evaluate.promote'], 'true')"

  Scenario: A direction other than higher or lower is refused where it is given
    Given the parameters:
      | name      | value    |
      | direction | sideways |
    When the pipeline "tests/features/pipelines/recipes/evaluate-model.yml" is expanded
    Then the expansion fails at "recipes/evaluate-model.yml:30:16" mentioning "The 'direction' parameter value 'sideways' is not a valid value."

  Scenario: A negative minimum improvement is refused by the recipe's schema
    When the pipeline "tests/features/pipelines/recipes/errors/evaluate-model-negative-improvement.yml" is expanded
    Then the expansion fails at "errors/evaluate-model-negative-improvement.yml:9:21" mentioning "Invalid parameter 'minImprovement': -0.01 is less than the minimum of 0"
