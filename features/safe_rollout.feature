Feature: Recipe safe-rollout releases a model version blue/green, in steps, and rolls back on failure
  The live deployment stays; the new version goes to the other slot with no traffic and is
  smoke-tested directly, then takes the traffic in steps (here 50% then 100%) with a smoke test of the
  endpoint after each. When anything fails, all traffic goes back to the live deployment and the new
  one is deleted; when all passes, the old deployment is deleted. The first rollout to an empty
  endpoint deploys with all traffic.

  Background:
    Given an isolated emulator state

  @e2e
  Scenario: Blue first, green in steps, then a bad release rolls back to green
    Given the az defaults are group "features-rg" and workspace "features-ws"
    And the environment "mlops_pipelines/aml/environment.yml" is registered
    And a trained model is registered as "credit-model"
    When I run the pipeline "tests/features/pipelines/recipes/safe-rollout.yml" with the parameters:
      | name         | value |
      | modelVersion | 1     |
    Then the run succeeded
    And job "Rollout" of stage "SafeRollout" has the output "plan.candidate" equal to "blue"
    And endpoint "features-rollout" sends all traffic to "blue"
    When I run the pipeline "tests/features/pipelines/recipes/safe-rollout.yml" with the parameters:
      | name         | value |
      | modelVersion | 1     |
    Then the run succeeded
    And job "Rollout" of stage "SafeRollout" has the output "plan.live" equal to "blue"
    And job "Rollout" of stage "SafeRollout" has the output "finish.liveDeployment" equal to "green"
    And step "smokeCandidate" of stage "SafeRollout" succeeded
    And the log of step "shift50" of stage "SafeRollout" mentions "blue=50% green=50%"
    And step "smoke50" of stage "SafeRollout" succeeded
    And step "rollback" of stage "SafeRollout" was skipped
    And endpoint "features-rollout" sends all traffic to "green"
    And endpoint "features-rollout" has the deployments "green"
    When I run the pipeline "tests/features/pipelines/recipes/safe-rollout.yml" with the parameters:
      | name         | value   |
      | modelVersion | 1       |
      | expectedKey  | verdict |
    Then the run failed
    And step "smokeCandidate" of stage "SafeRollout" failed
    And step "shift50" of stage "SafeRollout" was skipped
    And step "rollback" of stage "SafeRollout" succeeded
    And job "Rollout" of stage "SafeRollout" has the output "rollback.rolledBack" equal to "true"
    And endpoint "features-rollout" sends all traffic to "green"
    And endpoint "features-rollout" has the deployments "green"
    And endpoint "features-rollout" answers "code/sample-request.json" with predictions

  Scenario: A version that cannot be deployed leaves the endpoint as it was
    When I run the pipeline "tests/features/pipelines/recipes/safe-rollout.yml" with the parameters:
      | name         | value |
      | modelVersion | 9     |
    Then the run failed
    And step "deployCandidate" of stage "SafeRollout" failed
    And step "rollback" of stage "SafeRollout" succeeded
    And endpoint "features-rollout" has the deployments ""

  Scenario: Every traffic step is a shift followed by a smoke test; an environment makes it a deployment job
    Given the parameters:
      | name         | value         |
      | trafficSteps | [10, 50, 100] |
      | environment  | production    |
    When the pipeline "tests/features/pipelines/recipes/safe-rollout.yml" is expanded
    Then the expansion succeeds
    And job "Rollout" of stage "SafeRollout" of the expanded pipeline targets environment "production"
    And job "Rollout" of stage "SafeRollout" of the expanded pipeline has the named steps "plan, deployCandidate, smokeCandidate, shift10, smoke10, shift50, smoke50, shift100, smoke100, finish, rollback"
    And the expanded pipeline contains "$LIVE=$((100 - 10)) $CANDIDATE=10"

  Scenario: Traffic steps that never reach 100% are refused
    When the pipeline "tests/features/pipelines/recipes/errors/safe-rollout-no-full-traffic.yml" is expanded
    Then the expansion fails at "errors/safe-rollout-no-full-traffic.yml:11:19" mentioning "Invalid parameter 'trafficSteps': [10, 50] does not contain items matching the given schema"

  Scenario: Blue/green needs two deployment names
    When the pipeline "tests/features/pipelines/recipes/errors/safe-rollout-one-slot.yml" is expanded
    Then the expansion fails at "errors/safe-rollout-one-slot.yml:10:12" mentioning "Invalid parameter 'slots': ['blue'] is too short"

  Scenario: A model version that is not a number, 'latest' or '' is refused where it is given
    Given the parameters:
      | name         | value  |
      | modelVersion | newest |
    When the pipeline "tests/features/pipelines/recipes/safe-rollout.yml" is expanded
    Then the expansion fails at "recipes/safe-rollout.yml:25:19" mentioning "Invalid parameter 'modelVersion': 'newest' does not match"
