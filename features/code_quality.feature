Feature: Recipe code-quality lints the ML code and runs its tests, publishing the results
  ruff (or flake8) on code/, pytest with JUnit XML (a failed test fails the stage), and
  PublishTestResults@2 even when tests fail. The tests run even when linting fails, so one run
  reports both. The feature's pipeline (tests/features/pipelines/recipes/code-quality.yml) runs a quick test file and can
  inject a lint error or a failing test into the checked-out copy through the recipe's preSteps.

  Background:
    Given an isolated emulator state

  Scenario: Clean code and passing tests pass, and the results are published
    When I run the pipeline "tests/features/pipelines/recipes/code-quality.yml"
    Then the run succeeded
    And step "lint" of stage "CodeQuality" succeeded
    And step "test" of stage "CodeQuality" succeeded
    And the log of step "Publish the test results" of stage "CodeQuality" mentions "Published test run 'Feature tests'"
    And the log of step "Publish the test results" of stage "CodeQuality" mentions "0 failed"

  Scenario: A failing test fails the stage, and its result is still published
    Given the parameters:
      | name              | value |
      | injectFailingTest | true  |
    When I run the pipeline "tests/features/pipelines/recipes/code-quality.yml"
    Then the run failed
    And step "test" of stage "CodeQuality" failed
    And step "Publish the test results" of stage "CodeQuality" succeeded
    And the log of step "Publish the test results" of stage "CodeQuality" mentions "1 failed"
    And the log of step "Publish the test results" of stage "CodeQuality" mentions "test_injected"

  Scenario: A lint error fails the stage, and the tests still run
    Given the parameters:
      | name            | value |
      | injectLintError | true  |
    When I run the pipeline "tests/features/pipelines/recipes/code-quality.yml"
    Then the run failed
    And step "lint" of stage "CodeQuality" failed
    And the log of step "lint" of stage "CodeQuality" mentions "F401"
    And step "test" of stage "CodeQuality" succeeded

  Scenario: flake8 instead of ruff
    Given the parameters:
      | name   | value  |
      | linter | flake8 |
    When the pipeline "tests/features/pipelines/recipes/code-quality.yml" is expanded
    Then the expansion succeeds
    And the expanded pipeline contains "python -m flake8 --max-line-length 110 code"
    And the expanded pipeline does not contain "ruff check"
    And job "CodeQuality" of stage "CodeQuality" of the expanded pipeline has the named steps "lint, test"

  Scenario: An unknown linter is refused where it is given
    Given the parameters:
      | name   | value  |
      | linter | pylint |
    When the pipeline "tests/features/pipelines/recipes/code-quality.yml" is expanded
    Then the expansion fails at "recipes/code-quality.yml:16:13" mentioning "pylint"

  Scenario: Nothing to test is refused by the recipe's schema
    When the pipeline "tests/features/pipelines/recipes/errors/code-quality-no-tests.yml" is expanded
    Then the expansion fails at "errors/code-quality-no-tests.yml:5:16" mentioning "Invalid parameter 'testPaths': [] should be non-empty"
