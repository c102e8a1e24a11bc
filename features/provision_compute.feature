Feature: Recipe provision-compute creates or updates the compute cluster from its YAML
  az ml compute create --file mlops_pipelines/aml/infra/compute.yml with the size, scale settings and
  tier overridden by parameters; the cluster's name and state are the outputs compute.name and
  compute.state of job ProvisionCompute.

  Background:
    Given an isolated emulator state

  Scenario: The cluster is created with the settings given
    Given the emulated az supports "ml compute create"
    And the parameters:
      | name | value        |
      | tier | low_priority |
    When I run the pipeline "tests/features/pipelines/recipes/provision.yml"
    Then the run succeeded
    And job "ProvisionCompute" of stage "ProvisionCompute" has the output "compute.name" equal to "features-cpu"
    When I run az "ml compute show --name features-cpu --query tier -o tsv"
    Then az printed "low_priority"

  Scenario: Parameters override the compute YAML
    When the pipeline "tests/features/pipelines/recipes/provision.yml" is expanded
    Then the expansion succeeds
    And the expanded pipeline contains "az ml compute create --file mlops_pipelines/aml/infra/compute.yml --name features-cpu"
    And the expanded pipeline contains "--set max_instances=1"
    And the expanded pipeline contains "--set tier=dedicated"

  Scenario: A tier that Azure ML does not have is refused where it is given
    Given the parameters:
      | name | value |
      | tier | spot  |
    When the pipeline "tests/features/pipelines/recipes/provision.yml" is expanded
    Then the expansion fails at "recipes/provision.yml:28:11" mentioning "The 'tier' parameter value 'spot' is not a valid value."

  Scenario: A cluster name that is too short is refused where it is given
    Given the parameters:
      | name        | value |
      | computeName | c     |
    When the pipeline "tests/features/pipelines/recipes/provision.yml" is expanded
    Then the expansion fails at "recipes/provision.yml:26:18" mentioning "Invalid parameter 'computeName': 'c' does not match"

  Scenario: A cluster needs at least one node at its largest
    When the pipeline "tests/features/pipelines/recipes/errors/provision-compute-no-nodes.yml" is expanded
    Then the expansion fails at "errors/provision-compute-no-nodes.yml:8:19" mentioning "Invalid parameter 'maxInstances': 0 is less than the minimum of 1"
