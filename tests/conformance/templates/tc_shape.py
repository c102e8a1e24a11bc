"""The service's full-YAML shape (notes 1.14; PG C-E04-*, C-E12-*, C-E03-002/003)."""

from template_harness import case

N = "notes 1.14"

CASES = [
    case(
        "steps-root-wrapped",
        f"{N}; PG C-E04-002",
        """
        steps:
        - script: echo probe
        """,
        final="""
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps:
            - task: CmdLine@2
              inputs: {script: echo probe}
        """,
    ),
    case(
        "steps-root-pool-into-job",
        "PG fixture AzureCLI probe (pool moves into job Job)",
        """
        trigger: none
        pool:
          vmImage: ubuntu-latest
        steps:
        - task: AzureCLI@2
          inputs:
            scriptType: bash
            scriptLocation: inlineScript
            inlineScript: az account show
        """,
        final="""
        trigger:
          enabled: false
        stages:
        - stage: __default
          jobs:
          - job: Job
            pool:
              vmImage: ubuntu-latest
            steps:
            - task: AzureCLI@2
              inputs:
                scriptType: bash
                scriptLocation: inlineScript
                inlineScript: az account show
        """,
    ),
    case(
        "jobs-root-wrapped",
        "PG C-E04-003",
        """
        jobs:
        - job: Build
          steps:
          - script: echo b
        """,
        final="""
        stages:
        - stage: __default
          jobs:
          - job: Build
            steps: [{task: CmdLine@2, inputs: {script: echo b}}]
        """,
    ),
    case(
        "unnamed-job-keeps-empty-name",
        "PG C-E04-004",
        """
        jobs:
        - job:
          steps:
          - script: echo b
        """,
        final="""
        stages:
        - stage: __default
          jobs:
          - job: ''
            steps: [{task: CmdLine@2, inputs: {script: echo b}}]
        """,
    ),
    case(
        "stages-root-passes-through",
        "PG C-E04-005",
        """
        stages:
        - stage: probe
          jobs:
          - job: J
            steps:
            - script: x
        """,
        final="""
        stages:
        - stage: probe
          jobs:
          - job: J
            steps: [{task: CmdLine@2, inputs: {script: x}}]
        """,
    ),
    case(
        "bash-and-pwsh",
        "PG C-E04-030/037/061/067",
        """
        steps:
        - bash: echo hi
          workingDirectory: src
          failOnStderr: true
        - pwsh: Write-Host hi
        - powershell: Write-Host hi
          errorActionPreference: stop
        """,
        steps="""
        - task: Bash@3
          inputs: {targetType: inline, script: echo hi, failOnStderr: true, workingDirectory: src}
        - task: PowerShell@2
          inputs: {targetType: inline, script: Write-Host hi, pwsh: true}
        - task: PowerShell@2
          inputs: {targetType: inline, script: Write-Host hi, errorActionPreference: stop}
        """,
    ),
    case(
        "script-inputs",
        "PG C-E04-061",
        """
        steps:
        - script: echo hi
          workingDirectory: src
          failOnStderr: true
          displayName: Hi
          env: {A: b}
        """,
        steps="""
        - task: CmdLine@2
          displayName: Hi
          env: {A: b}
          inputs: {script: echo hi, failOnStderr: true, workingDirectory: src}
        """,
    ),
    case(
        "task-passes-through",
        "PG C-E04-036",
        """
        steps:
        - task: CmdLine@2
          inputs:
            script: echo canonical
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo canonical}}
        """,
    ),
    case(
        "common-step-fields-kept",
        "PG C-E04-060/064",
        """
        steps:
        - script: x
          name: step1
          displayName: Step
          enabled: false
          timeoutInMinutes: 3
          retryCountOnTaskFailure: 2
          continueOnError: true
          condition: always()
        """,
        steps="""
        - task: CmdLine@2
          name: step1
          displayName: Step
          condition: always()
          continueOnError: true
          enabled: false
          timeoutInMinutes: 3
          retryCountOnTaskFailure: 2
          inputs: {script: x}
        """,
    ),
    case(
        "target-scalar-to-object",
        "PG C-E04-062",
        """
        steps:
        - script: x
          target: host
        """,
        steps="""
        - {task: CmdLine@2, target: {container: host}, inputs: {script: x}}
        """,
    ),
    case(
        "variables-mapping-to-list",
        "notes 1.14; PG C-E12-021",
        """
        variables:
          a: 1
          b: two
        steps:
        - script: x
        """,
        final="""
        variables:
        - {name: a, value: '1'}
        - {name: b, value: two}
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps: [{task: CmdLine@2, inputs: {script: x}}]
        """,
    ),
    case(
        "trigger-pr-none",
        "notes 1.14; PG C-E03-002",
        """
        trigger: none
        pr: none
        steps:
        - script: x
        """,
        final="""
        trigger: {enabled: false}
        pr: {enabled: false}
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps: [{task: CmdLine@2, inputs: {script: x}}]
        """,
    ),
    case(
        "root-parameters-kept",
        "notes 1.14 (root parameters block retained)",
        """
        parameters:
        - name: objectA
          type: object
          default:
            key: value
        - name: arrayA
          type: object
          default: [one, two]
        variables:
          probe: ${{ ne(1, 'x') }}
        steps:
        - script: echo done
        """,
        final="""
        parameters:
        - name: objectA
          type: object
          default:
            key: value
        - name: arrayA
          type: object
          default:
          - one
          - two
        variables:
        - name: probe
          value: True
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps:
            - task: CmdLine@2
              inputs:
                script: echo done
        """,
    ),
    case(
        "depends-on-scalar-to-list",
        "PG C-E12-021",
        """
        stages:
        - stage: A
          jobs: [{job: J, steps: [{script: x}]}]
        - stage: B
          dependsOn: A
          jobs:
          - job: K
            dependsOn: J0
            steps: [{script: y}]
          - job: J0
            steps: [{script: z}]
        """,
        final="""
        stages:
        - stage: A
          jobs:
          - job: J
            steps: [{task: CmdLine@2, inputs: {script: x}}]
        - stage: B
          dependsOn: [A]
          jobs:
          - job: K
            dependsOn: [J0]
            steps: [{task: CmdLine@2, inputs: {script: y}}]
          - job: J0
            steps: [{task: CmdLine@2, inputs: {script: z}}]
        """,
    ),
    case(
        "environment-scalar-to-mapping",
        "PG C-E12-017",
        """
        jobs:
        - deployment: Deploy
          environment: corpus-staging
          strategy:
            runOnce:
              deploy:
                steps:
                - script: x
        """,
        final="""
        stages:
        - stage: __default
          jobs:
          - deployment: Deploy
            environment: {name: corpus-staging}
            strategy:
              runOnce:
                deploy:
                  steps: [{task: CmdLine@2, inputs: {script: x}}]
        """,
    ),
    case(
        "container-and-services-aliases",
        "PG C-E03-003",
        """
        resources:
          containers:
          - container: builder
            image: ubuntu:22.04
          - container: redis
            image: redis
        jobs:
        - job: J
          container: builder
          services:
            redis: redis
          steps:
          - script: x
        """,
        final="""
        resources:
          containers:
          - {container: builder, image: 'ubuntu:22.04'}
          - {container: redis, image: redis}
        stages:
        - stage: __default
          jobs:
          - job: J
            container: {alias: builder}
            services:
              redis: {alias: redis}
            steps: [{task: CmdLine@2, inputs: {script: x}}]
        """,
    ),
    case(
        "checkout-guid-in-service-spelling",
        "PG C-E04-030/032; C-E12-019",
        """
        steps:
        - checkout: self
          clean: true
        - checkout: none
        - script: x
        """,
        service="""
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps:
            - task: 6d15af64-176c-496d-b583-fd2ae21d4df4@1
              inputs: {repository: self, clean: true}
            - task: 6d15af64-176c-496d-b583-fd2ae21d4df4@1
              condition: false
              inputs: {repository: none}
            - {task: CmdLine@2, inputs: {script: x}}
        """,
    ),
    case(
        "publish-download-guids",
        "PG C-E04-032; C-E12-019",
        """
        steps:
        - publish: out/app
          artifact: drop
        - download: current
          artifact: drop
        - task: PublishPipelineArtifact@1
          inputs: {targetPath: x, artifactName: y}
        """,
        service="""
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps:
            - task: ecdc45f6-832d-4ad9-b52b-ee49e94659be@1
              inputs: {path: out/app, artifactName: drop}
            - task: 30f35852-3f7e-4c0c-9a88-e127b4f97211@1
              inputs: {alias: current, artifact: drop}
            - task: PublishPipelineArtifact@1
              inputs: {targetPath: x, artifactName: y}
        """,
    ),
    case(
        "stages-root-pool-stays-at-root",
        "DOC yaml-schema pipeline (pool at pipeline level)",
        """
        pool:
          vmImage: ubuntu-latest
        stages:
        - stage: S
          jobs:
          - job: J
            steps:
            - checkout: self
        """,
        service="""
        pool:
          vmImage: ubuntu-latest
        stages:
        - stage: S
          jobs:
          - job: J
            steps:
            - task: 6d15af64-176c-496d-b583-fd2ae21d4df4@1
              inputs: {repository: self}
        """,
    ),
    case(
        "get-package-needs-its-resource",
        "PG C-E04-035 (HTTP 400 'Cannot find package resource for pkg', Line: 2, Col: 15)",
        """
        steps:
        - getPackage: pkg
        """,
        error="Cannot find package resource for pkg",
        at=("azure-pipelines.yml", 2, 15),
    ),
    case(
        "publish-download-model-form",
        "emulator: the run-time model reads named artifact tasks",
        """
        steps:
        - publish: out/app
          artifact: drop
        - download: current
          artifact: drop
          patterns: '**/*.whl'
        - download: none
        """,
        steps="""
        - task: PublishPipelineArtifact@1
          inputs: {targetPath: out/app, artifactName: drop}
        - task: DownloadPipelineArtifact@2
          inputs: {buildType: current, artifactName: drop, itemPattern: '**/*.whl'}
        - download: none
        """,
    ),
    case(
        "deployment-hooks",
        "DOC deployment-jobs.md (runOnce hooks)",
        """
        jobs:
        - deployment: D
          environment: prod.vm1
          strategy:
            runOnce:
              preDeploy:
                steps: [{script: pre}]
              deploy:
                steps: [{script: deploy}]
              on:
                failure:
                  steps: [{script: rollback}]
        """,
        final="""
        stages:
        - stage: __default
          jobs:
          - deployment: D
            environment: {name: prod, resourceName: vm1}
            strategy:
              runOnce:
                preDeploy:
                  steps: [{task: CmdLine@2, inputs: {script: pre}}]
                deploy:
                  steps: [{task: CmdLine@2, inputs: {script: deploy}}]
                on:
                  failure:
                    steps: [{task: CmdLine@2, inputs: {script: rollback}}]
        """,
    ),
    case(
        "group-kept-verbatim",
        "PG C-E12-016",
        """
        variables:
        - group: secrets
        steps:
        - script: x
        """,
        final="""
        variables:
        - group: secrets
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps: [{task: CmdLine@2, inputs: {script: x}}]
        """,
    ),
    case(
        "matrix-not-expanded",
        "PG C-E12-018",
        """
        jobs:
        - job: J
          strategy:
            matrix:
              linux: {os: ubuntu}
              mac: {os: macos}
          steps:
          - script: x
        """,
        final="""
        stages:
        - stage: __default
          jobs:
          - job: J
            strategy:
              matrix:
                linux: {os: ubuntu}
                mac: {os: macos}
            steps: [{task: CmdLine@2, inputs: {script: x}}]
        """,
    ),
    case(
        "unknown-stage-key",
        "PG C-E03-254",
        """
        stages:
        - stage: A
          notAStageKey: whatever
          jobs: []
        """,
        error="Unexpected value 'notAStageKey'",
        at=("azure-pipelines.yml", 3, 3),
    ),
    case(
        "unknown-step-key",
        "SCHEMA step; notes 1.15",
        """
        steps:
        - script: x
          persistCredential: true
        """,
        error="Unexpected value 'persistCredential'",
        at=("azure-pipelines.yml", 3, 3),
    ),
    case(
        "two-root-lists",
        "SCHEMA pipeline (one of stages, jobs, steps)",
        """
        jobs:
        - job: A
        steps:
        - script: x
        """,
        error="Unexpected value 'steps'",
        at=("azure-pipelines.yml", 3, 1),
    ),
    case(
        "steps-root-rejects-timeout",
        "SCHEMA pipeline (steps branch keys)",
        """
        timeoutInMinutes: 5
        steps:
        - script: x
        """,
        error="Unexpected value 'timeoutInMinutes'",
    ),
    case(
        "no-root-list",
        "SCHEMA pipeline (required: stages | jobs | steps | extends)",
        """
        trigger: none
        """,
        error="A pipeline needs exactly one of 'stages', 'jobs' or 'steps'",
    ),
    case(
        "variable-unknown-key",
        "SCHEMA variable (name, value, readonly)",
        """
        variables:
        - name: a
          value: b
          secret: true
        steps:
        - script: x
        """,
        error="Unexpected value 'secret'",
        at=("azure-pipelines.yml", 4, 3),
    ),
    case(
        "anchors-rejected",
        "DOC yaml-schema index.md (no anchors); notes 1.15",
        """
        steps:
        - &s {script: x}
        """,
        error="Anchors are not supported",
        at=("azure-pipelines.yml", 2, 3),
    ),
    case(
        "duplicate-keys-case-insensitive",
        "notes 1.15 (PG C-E01-022..028)",
        """
        steps:
        - script: x
          displayName: a
          DisplayName: b
        """,
        error="'DisplayName' is already defined",
        at=("azure-pipelines.yml", 4, 3),
    ),
    case(
        "multiple-documents-rejected",
        "notes 1.15 (one document per file)",
        """
        steps:
        - script: x
        ---
        steps:
        - script: y
        """,
        error="A file may hold only one YAML document",
    ),
]

# ---- approval-only deployment jobs and unnamed stages (issue 13 item 5) ------------------------------
CASES += [
    case(
        "deployment-without-strategy",
        "DOC yaml-schema/jobs-deployment.md (only the name is required; "
        "strategy is optional); rsethur/MLOps approval jobs",
        """
        stages:
        - stage: RegisterModel
          jobs:
          - deployment: Approval
            displayName: Approval for model registration
            environment: 'Test'
        """,
        final="""
        stages:
        - stage: RegisterModel
          jobs:
          - deployment: Approval
            displayName: Approval for model registration
            environment: {name: Test}
        """,
    ),
    case(
        "unnamed-stage-keeps-empty-name",
        "PG C-E04-004 (empty names are kept); dotnet/docker-tools#1217 (`- stage:` runs on the service)",
        """
        stages:
        - stage:
          jobs:
          - job:
            steps:
            - script: x
        """,
        final="""
        stages:
        - stage: ''
          jobs:
          - job: ''
            steps: [{task: CmdLine@2, inputs: {script: x}}]
        """,
    ),
]
