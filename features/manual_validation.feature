Feature: Recipe manual-validation pauses a stage until a person resumes or rejects it
  One agentless job (pool: server) holding the ManualValidation@1 task
  (https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/manual-validation-v1): the run
  pauses inside the stage; the jobs that depend on it run once an approver resumes it. Approvers may be
  groups; the emulator reads them from environments.yml beside the pipeline
  (tests/features/pipelines/recipes/environments.yml: the group "reviewers" is alice and bob; the
  pipeline names the approvers "reviewers" and "carol").

  Background:
    Given an isolated emulator state

  Scenario: An approver resumes the validation and the jobs that need it run
    When I run the pipeline "tests/features/pipelines/recipes/manual-validation.yml" as "erin"
    Then the run is paused waiting for the manual validation of job "Validate.ManualValidation"
    And stage "Build" succeeded
    And stage "Release" has not run
    When "bob" resumes the manual validation of job "Validate.ManualValidation"
    And I resume the run
    Then the run succeeded
    And job "ManualValidation" of stage "Validate" succeeded
    And job "Publish" of stage "Validate" succeeded
    And stage "Release" succeeded
    And the log of step "manualValidation" of stage "Validate" mentions "resumed by bob"
    And the log of step "manualValidation" of stage "Validate" mentions "Compare the model card with the fairness report."

  Scenario: A rejection fails the job; the job that needs it and the stages after are skipped
    When I run the pipeline "tests/features/pipelines/recipes/manual-validation.yml" as "erin"
    And "carol" rejects the manual validation of job "ManualValidation"
    And I resume the run
    Then the run failed
    And job "ManualValidation" of stage "Validate" failed
    And step "publish" of stage "Validate" was skipped
    And stage "Release" was skipped
    And the log of step "manualValidation" of stage "Validate" mentions "rejected by carol"

  Scenario: Someone who is not an approver cannot resume it
    When I run the pipeline "tests/features/pipelines/recipes/manual-validation.yml" as "erin"
    And "mallory" tries to resume the manual validation of job "ManualValidation"
    Then the decision is refused mentioning "'mallory' is not among the approvers of the manual validation (reviewers, carol)"
    When I resume the run
    Then the run is paused waiting for the manual validation of job "Validate.ManualValidation"

  Scenario: An approver cannot resume their own run where the recipe forbids it
    Given the parameters:
      | name         | value |
      | allowOwnRuns | false |
    When I run the pipeline "tests/features/pipelines/recipes/manual-validation.yml" as "alice"
    And "alice" tries to resume the manual validation of job "ManualValidation"
    Then the decision is refused mentioning "does not allow approvers to approve their own runs"

  Scenario Outline: Nobody decides in time: onTimeout applies
    Given a timeout minute lasts 0.5 seconds
    And the parameters:
      | name             | value       |
      | timeoutInMinutes | 2           |
      | onTimeout        | <onTimeout> |
    When I run the pipeline "tests/features/pipelines/recipes/manual-validation.yml" as "erin"
    Then the run is paused waiting for the manual validation of job "ManualValidation"
    When I wait 1.2 seconds
    And I resume the run
    Then the run <result>
    And job "ManualValidation" of stage "Validate" <result>
    And the log of step "manualValidation" of stage "Validate" mentions "<message>"

    Examples:
      | onTimeout | result    | message                                    |
      | resume    | succeeded | timed out after 2 minutes and was resumed  |
      | reject    | failed    | timed out after 2 minutes and was rejected |

  Scenario: A job timeout shorter than the validation's cancels the job first
    Given a timeout minute lasts 0.5 seconds
    And the parameters:
      | name                | value  |
      | timeoutInMinutes    | 4      |
      | jobTimeoutInMinutes | 2      |
      | onTimeout           | resume |
    When I run the pipeline "tests/features/pipelines/recipes/manual-validation.yml" as "erin"
    And I wait 1.2 seconds
    And I resume the run
    Then the run failed
    And job "ManualValidation" of stage "Validate" was canceled
    And the log of step "manualValidation" of stage "Validate" mentions "longer than its timeout of 2 minutes"

  Scenario: The validation is an agentless job with the ManualValidation@1 task
    When the pipeline "tests/features/pipelines/recipes/manual-validation.yml" is expanded
    Then the expansion succeeds
    And the expanded pipeline has the stages "Build, Validate, Release"
    And the expanded pipeline contains "- job: ManualValidation"
    And the expanded pipeline contains "pool: server"
    And the expanded pipeline contains "- task: ManualValidation@1"
    And the expanded pipeline contains "approvers: reviewers, carol"
    And the expanded pipeline contains "notifyUsers: ''"
    And the expanded pipeline contains "allowApproversToApproveTheirOwnRuns: True"

  Scenario Outline: A wrong value is refused at the line that passes it
    Given the parameters:
      | name    | value   |
      | <name>  | <value> |
    When the pipeline "tests/features/pipelines/recipes/manual-validation.yml" is expanded
    Then the expansion fails at "<location>" mentioning "<message>"

    Examples:
      | name             | value | location                            | message                                                                          |
      | onTimeout        | wait  | recipes/manual-validation.yml:28:18 | The 'onTimeout' parameter value 'wait' is not a valid value.                     |
      | timeoutInMinutes | 50000 | recipes/manual-validation.yml:29:25 | Invalid parameter 'timeoutInMinutes': 50000 is greater than the maximum of 43200 |

  Scenario: The approvers are a list, not the task's comma-separated text
    When the pipeline "tests/features/pipelines/recipes/errors/manual-validation-approvers-text.yml" is expanded
    Then the expansion fails at "errors/manual-validation-approvers-text.yml:7:18" mentioning "Invalid parameter 'approvers': 'reviewers, carol' is not of type 'array'"

  Scenario: The recipe is a jobs template, not steps
    When the pipeline "tests/features/pipelines/recipes/errors/manual-validation-on-agent.yml" is expanded
    Then the expansion fails at "recipes/manual-validation/template.yml" mentioning "is a jobs template; reference it from a 'jobs:' list"
