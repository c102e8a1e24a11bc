Feature: Gated stages wait for their environment's checks, and nothing gets past them
  Azure DevOps keeps approvals and checks on environments, outside YAML; they are evaluated when a
  stage that targets the environment is about to start, before any of its jobs
  (https://learn.microsoft.com/azure/devops/pipelines/process/approvals). The emulator reads them from
  environments.yml beside the pipeline. Every decision is checked against the environment's rules.

  Background:
    Given an isolated emulator state

  Scenario: A stage waits for its approval and the run goes on once an approver approves
    When I run the pipeline "tests/features/pipelines/gates/gated.yml" as "erin"
    Then the run is paused waiting for environment "staging"
    And stage "Build" succeeded
    And stage "Staging" has not run
    When "mallory" tries to approve environment "staging"
    Then the decision is refused mentioning "not among the approvers"
    When "alice" approves environment "staging"
    And I resume the run
    Then the run is paused waiting for environment "production"
    And stage "Staging" succeeded
    And the approval of environment "staging" by "alice" is recorded

  Scenario: Production needs two distinct approvers, and the requester is not one of them
    When I run the pipeline "tests/features/pipelines/gates/gated.yml" approving "staging" as "bob"
    Then the run is paused waiting for environment "production"
    When "carol" approves environment "production"
    And I resume the run
    Then the run is paused waiting for environment "production"
    When "dave" approves environment "production"
    And I resume the run
    Then the run succeeded
    And stage "Production" succeeded

  Scenario: The requester cannot approve their own run where the environment forbids it
    When I run the pipeline "tests/features/pipelines/gates/gated.yml" as "carol"
    And "alice" approves environment "staging"
    And I resume the run
    Then the run is paused waiting for environment "production"
    When "carol" tries to approve environment "production"
    Then the decision is refused mentioning "does not allow requesters to approve their own runs"

  Scenario: A rejection fails the stage; dependents are skipped, an always() stage still runs
    When I run the pipeline "tests/features/pipelines/gates/gated.yml" as "erin"
    And "bob" rejects environment "staging"
    And I resume the run
    Then the run failed
    And stage "Staging" failed
    And stage "Production" was skipped
    And stage "Report" succeeded
    And the checks of environment "staging" were "rejected" with "rejected by bob"

  Scenario: A decision for another environment than the one the run waits on is refused
    When I run the pipeline "tests/features/pipelines/gates/gated.yml" as "erin"
    And "carol" tries to approve environment "production"
    Then the decision is refused mentioning "is waiting for environment 'staging'"

  Scenario: Resuming without a decision does not pass the gate
    When I run the pipeline "tests/features/pipelines/gates/gated.yml" as "erin"
    And I resume the run
    Then the run is paused waiting for environment "staging"
    And stage "Staging" has not run

  Scenario: An approval written into the run record by hand is refused
    When I run the pipeline "tests/features/pipelines/gates/gated.yml" as "erin"
    And an approval of environment "staging" by "alice" is written into the run record by hand
    And I resume the run
    Then the command fails with a bad-input error mentioning "was changed outside mlops"

  Scenario: An approval given to another run does not count for this one
    When I run the pipeline "tests/features/pipelines/gates/gated.yml" approving "staging" as "alice"
    And I call the run "approved"
    And I run the pipeline "tests/features/pipelines/gates/gated.yml" as "erin"
    And an approval of environment "staging" signed for run "approved" is copied into the run
    And I resume the run
    Then the command fails with a bad-input error mentioning "was changed outside mlops"

  Scenario: A gated stage marked as done by hand is refused
    When I run the pipeline "tests/features/pipelines/gates/gated.yml" as "erin"
    And stage "Staging" is marked succeeded in the run record by hand
    And I resume the run
    Then the command fails with a bad-input error mentioning "was changed outside mlops"

  Scenario: Removing the environment from the run's expanded pipeline is refused
    When I run the pipeline "tests/features/pipelines/gates/gated.yml" as "erin"
    And environment "staging" is removed from the run's expanded pipeline by hand
    And I resume the run
    Then the command fails with a bad-input error mentioning "was changed outside mlops"

  Scenario: Branch control lets only allowed branches through
    Given the parameters:
      | name               | value         |
      | stagingEnvironment | releases-only |
    When I run the pipeline "tests/features/pipelines/gates/gated.yml" as "erin"
    Then the run failed
    And stage "Staging" failed
    And the checks of environment "releases-only" were "rejected" with "is not an allowed branch"

  Scenario: A required template: extending it passes, deploying directly fails
    When I run the pipeline "tests/features/pipelines/gates/extends-secure.yml"
    Then the run succeeded
    When I run the pipeline "tests/features/pipelines/gates/direct-secure.yml"
    Then the run failed
    And the checks of environment "secured" were "rejected" with "must extend"

  Scenario Outline: A check the emulator cannot evaluate follows the chosen policy
    Given the parameters:
      | name               | value     |
      | stagingEnvironment | monitored |
    When I run the pipeline "tests/features/pipelines/gates/gated.yml" with check policy "<policy>"
    Then the checks of environment "monitored" were "<status>" with "not emulated"

    Examples:
      | policy | status   |
      | fail   | rejected |
      | pass   | passed   |
      | ask    | pending  |

  Scenario: A manual validation in an agentless job pauses the run until an approver resumes it
    When I run the pipeline "tests/features/pipelines/gates/validation.yml" as "erin"
    Then the run is paused waiting for the manual validation of job "Validate.waitForValidation"
    And stage "Build" succeeded
    And stage "Release" has not run
    When "mallory" tries to resume the manual validation of job "waitForValidation"
    Then the decision is refused mentioning "not among the approvers of the manual validation"
    When I resume the run
    Then the run is paused waiting for the manual validation of job "Validate.waitForValidation"
    When "bob" resumes the manual validation of job "Validate.waitForValidation"
    And I resume the run
    Then the run succeeded
    And job "waitForValidation" of stage "Validate" succeeded
    And the log of step "ManualValidation" of stage "Validate" mentions "resumed by bob"
    And the audit trail of the manual validation of job "waitForValidation" reads "pending, pending, passed"

  Scenario: A rejected manual validation fails its job; what needs it does not run
    When I run the pipeline "tests/features/pipelines/gates/validation.yml" as "erin"
    And "carol" rejects the manual validation of job "waitForValidation"
    And I resume the run
    Then the run failed
    And job "waitForValidation" of stage "Validate" failed
    And stage "Release" was skipped
    And the log of step "ManualValidation" of stage "Validate" mentions "rejected by carol"

  Scenario: An approver cannot resume their own run where the task forbids it
    Given the parameters:
      | name         | value |
      | allowOwnRuns | false |
    When I run the pipeline "tests/features/pipelines/gates/validation.yml" as "alice"
    And "alice" tries to resume the manual validation of job "waitForValidation"
    Then the decision is refused mentioning "does not allow approvers to approve their own runs"

  Scenario Outline: A manual validation nobody decides on follows onTimeout
    Given a timeout minute lasts 0.5 seconds
    And the parameters:
      | name              | value       |
      | validationTimeout | 2           |
      | onTimeout         | <onTimeout> |
    When I run the pipeline "tests/features/pipelines/gates/validation.yml" as "erin"
    Then the run is paused waiting for the manual validation of job "waitForValidation"
    When I wait 1.2 seconds
    And I resume the run
    Then the run <result>
    And job "waitForValidation" of stage "Validate" <result>
    And the log of step "ManualValidation" of stage "Validate" mentions "<message>"

    Examples:
      | onTimeout | result    | message                     |
      | reject    | failed    | timed out after 2 minutes and was rejected |
      | resume    | succeeded | timed out after 2 minutes and was resumed  |

  Scenario: A manual validation resumed in the run record by hand is refused
    When I run the pipeline "tests/features/pipelines/gates/validation.yml" as "erin"
    And the manual validation of job "waitForValidation" is marked resumed by "alice" in the run record by hand
    And I resume the run
    Then the command fails with a bad-input error mentioning "was changed outside mlops"

  Scenario: Agentless tasks run only in agentless jobs, and only they run there
    When I validate the pipeline "tests/features/pipelines/gates/validation-on-agent.yml"
    Then the command fails with a bad-input error mentioning "runs only in an agentless job"
    When I validate the pipeline "tests/features/pipelines/gates/script-on-server.yml"
    Then the command fails with a bad-input error mentioning "is agentless (pool: server): task 'CmdLine@2' needs an agent"

  Scenario: A decision made after the manual validation timed out does not count
    Given a timeout minute lasts 0.5 seconds
    And the parameters:
      | name              | value |
      | validationTimeout | 2     |
    When I run the pipeline "tests/features/pipelines/gates/validation.yml" as "erin"
    And I wait 1.2 seconds
    And "bob" resumes the manual validation of job "waitForValidation"
    And I resume the run
    Then the run failed
    And the log of step "ManualValidation" of stage "Validate" mentions "timed out after 2 minutes and was rejected"
