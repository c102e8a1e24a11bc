Feature: Recipe smoke-test checks that an endpoint answers a sample request in time
  It sends code/sample-request.json (to the endpoint, or to one deployment directly), retries while
  the endpoint warms up, and fails unless the answer is JSON with the expected keys within the latency
  bound. The feature deploys once (recipe deploy-online), then smoke-tests that endpoint several ways.

  Background:
    Given an isolated emulator state

  @e2e
  Scenario: A live endpoint passes; a missing key or a tight latency bound fails
    Given the az defaults are group "features-rg" and workspace "features-ws"
    And the environment "mlops_pipelines/aml/environment.yml" is registered
    And a trained model is registered as "credit-model"
    When I run the pipeline "tests/features/pipelines/recipes/deploy-online.yml"
    Then the run succeeded
    When I run the pipeline "tests/features/pipelines/recipes/smoke-test.yml" with the parameters:
      | name           | value |
      | deploymentName | blue  |
    Then the run succeeded
    And the log of step "smoke" of stage "__default" mentions "Smoke test passed"
    When I run the pipeline "tests/features/pipelines/recipes/smoke-test.yml" with the parameters:
      | name        | value   |
      | expectedKey | verdict |
    Then the run failed
    And the log of step "smoke" of stage "__default" mentions "Answer lacks the keys ['verdict']"
    When I run the pipeline "tests/features/pipelines/recipes/smoke-test.yml" with the parameters:
      | name         | value |
      | maxLatencyMs | 1     |
    Then the run failed
    And the log of step "smoke" of stage "__default" mentions "more than 1 ms"

  Scenario: An endpoint that does not exist fails after the retries
    When I run the pipeline "tests/features/pipelines/recipes/smoke-test.yml" with the parameters:
      | name         | value        |
      | endpointName | nowhere-here |
      | retries      | 1            |
    Then the run failed
    And step "smoke" of stage "__default" failed
    And the log of step "smoke" of stage "__default" mentions "Endpoint nowhere-here did not answer"

  Scenario: Each use in a job gets its own step name
    When the pipeline "tests/features/pipelines/recipes/safe-rollout.yml" is expanded
    Then the expansion succeeds
    And the expanded pipeline contains "$(plan.candidate)"
    And job "Rollout" of stage "SafeRollout" of the expanded pipeline has the named steps "plan, deployCandidate, smokeCandidate, shift50, smoke50, shift100, smoke100, finish, rollback"

  Scenario: A smoke test tries at least once
    When the pipeline "tests/features/pipelines/recipes/errors/smoke-test-zero-retries.yml" is expanded
    Then the expansion fails at "errors/smoke-test-zero-retries.yml:7:14" mentioning "Invalid parameter 'retries': 0 is less than the minimum of 1"
