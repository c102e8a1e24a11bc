Feature: Recipe conformance-gate stops a broken repository before anything reaches Azure
  The gate installs mlops on the agent (locally: it is already there), validates the repository's
  pipelines with every check and runs the feature suite, publishing JUnit results and a SARIF log in the
  CodeAnalysisLogs artifact. An error fails the gate's stage, so the deployment stage after it never
  runs. The feature's pipeline (tests/features/pipelines/recipes/conformance-gate.yml) runs a quick test
  file as its feature suite and deploys nothing real.

  Background:
    Given an isolated emulator state

  Scenario: This repository's pipelines pass the gate, and the results are published
    When I run the pipeline "tests/features/pipelines/recipes/conformance-gate.yml"
    Then the run succeeded
    And the log of step "install" of stage "ConformanceGate" mentions "mlops is installed"
    And step "validate" of stage "ConformanceGate" succeeded
    And the log of step "validate" of stage "ConformanceGate" mentions "mlops_pipelines/BasicBuildRelease.yml is valid"
    And step "features" of stage "ConformanceGate" succeeded
    And the log of step "Publish the test results" of stage "ConformanceGate" mentions "Published test run 'Conformance gate'"
    And the log of step "Publish the test results" of stage "ConformanceGate" mentions "0 failed"
    And the run published the artifact "CodeAnalysisLogs" holding "mlops-validate.sarif"
    And stage "DeployProduction" succeeded

  Scenario: A broken pipeline fails the gate, each mistake is an issue of the run, and nothing deploys
    Given the parameters:
      | name   | value |
      | broken | true  |
    When I run the pipeline "tests/features/pipelines/recipes/conformance-gate.yml"
    Then the run failed
    And step "validate" of stage "ConformanceGate" failed
    And step "validate" of stage "ConformanceGate" reported the error "Service connection 'aml-workspace-conection'" at "tests/features/pipelines/recipes/gate/Broken.yml:9:28"
    And step "validate" of stage "ConformanceGate" reported the error "Unrecognized function name: 'succeded'" at "tests/features/pipelines/recipes/gate/Broken.yml:14:14"
    And step "validate" of stage "ConformanceGate" reported the error "'JUnitt' is not a value of input 'testResultsFormat'" at "tests/features/pipelines/recipes/gate/Broken.yml:20:28"
    And step "features" of stage "ConformanceGate" succeeded
    And step "Publish the test results" of stage "ConformanceGate" succeeded
    And the log of step "Publish the test results" of stage "ConformanceGate" mentions "1 failed"
    And the run published the artifact "CodeAnalysisLogs" holding "mlops-validate.sarif"
    And stage "DeployProduction" was skipped

  Scenario: On a fresh agent the gate installs mlops from a feed
    Given the parameters:
      | name | value                                                       |
      | feed | https://pkgs.dev.azure.com/contoso/_packaging/ml/pypi/simple/ |
    When the pipeline "tests/features/pipelines/recipes/conformance-gate.yml" is expanded
    Then the expansion succeeds
    And the expanded pipeline contains "python -m pip install"
    And the expanded pipeline contains "MLOPS_PACKAGE: .[test]"
    And the expanded pipeline contains "PIP_INDEX_URL: https://pkgs.dev.azure.com/contoso/_packaging/ml/pypi/simple/"
    And the expanded pipeline contains "ArtifactName: CodeAnalysisLogs"
    And job "Conformance" of stage "ConformanceGate" of the expanded pipeline has the named steps "install, validate, features"

  Scenario: Nothing to validate is refused by the recipe's schema
    When the pipeline "tests/features/pipelines/recipes/errors/conformance-gate-no-pipelines.yml" is expanded
    Then the expansion fails at "errors/conformance-gate-no-pipelines.yml:5:16" mentioning "Invalid parameter 'pipelines': [] should be non-empty"
