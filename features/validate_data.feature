Feature: Recipe validate-data stops training on data that does not look like the reference
  code/validate_data.py compares a CSV with a reference profile (mlops_pipelines/config/
  german-credit-profile.json, built from the German Credit data): schema (columns, numeric types, row
  count), missing values, and each column's drift as a Population Stability Index. Drift beyond
  maxDrift, or a schema problem, fails the stage; the JSON report is a pipeline artifact.

  Background:
    Given an isolated emulator state

  Scenario: A sample of the training data passes
    When I run the pipeline "tests/features/pipelines/recipes/validate-data.yml"
    Then the run succeeded
    And job "ValidateData" of stage "ValidateData" has the output "validate.passed" equal to "true"
    And job "ValidateData" of stage "ValidateData" has the output "validate.driftedColumns" equal to ""
    And the log of step "Publish the validation report" of stage "ValidateData" mentions "Published artifact 'data-validation'"

  Scenario: Drifted amounts and durations fail the stage, naming the columns
    Given the parameters:
      | name     | value                                             |
      | dataFile | tests/features/pipelines/recipes/data/drifted.csv |
    When I run the pipeline "tests/features/pipelines/recipes/validate-data.yml"
    Then the run failed
    And step "validate" of stage "ValidateData" failed
    And job "ValidateData" of stage "ValidateData" has the output "validate.passed" equal to "false"
    And job "ValidateData" of stage "ValidateData" has the output "validate.driftedColumns" equal to "duration,credit_amount"
    And the log of step "validate" of stage "ValidateData" mentions "credit_amount: drift (PSI)"
    And step "Publish the validation report" of stage "ValidateData" succeeded

  Scenario: The threshold decides: the same data passes with a looser one
    Given the parameters:
      | name     | value                                             |
      | dataFile | tests/features/pipelines/recipes/data/drifted.csv |
      | maxDrift | 5                                                 |
    When I run the pipeline "tests/features/pipelines/recipes/validate-data.yml"
    Then the run succeeded

  Scenario: A missing column is a schema error
    Given the parameters:
      | name     | value                                                    |
      | dataFile | tests/features/pipelines/recipes/data/missing-column.csv |
    When I run the pipeline "tests/features/pipelines/recipes/validate-data.yml"
    Then the run failed
    And the log of step "validate" of stage "ValidateData" mentions "missing columns: age"

  Scenario: A threshold that is not a number is refused where it is given
    Given the parameters:
      | name     | value |
      | maxDrift | high  |
    When the pipeline "tests/features/pipelines/recipes/validate-data.yml" is expanded
    Then the expansion fails at "recipes/validate-data.yml:13:15" mentioning "The 'maxDrift' parameter value 'high' is not a valid Number."

  Scenario: A zero threshold is refused by the recipe's schema
    When the pipeline "tests/features/pipelines/recipes/errors/validate-data-zero-drift.yml" is expanded
    Then the expansion fails at "errors/validate-data-zero-drift.yml:5:15" mentioning "Invalid parameter 'maxDrift': 0 is less than or equal to the minimum of 0"
