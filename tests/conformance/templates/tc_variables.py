"""Compile-time `variables` (notes 1.7): scopes, sequential visibility, templates, predefined."""

from template_harness import case

V = "DOC variables.md"
TE = "DOC template-expressions.md (context: variables defined so far)"

CASES = [
    case(
        "mapping-form-sequential",
        f"{TE}; RS staticvars",
        """
        variables:
          staticVar: 'my value'
          compileVar: ${{ variables.staticVar }}
          isMain: $[eq(variables['Build.SourceBranch'], 'refs/heads/main')]
        steps:
        - script: echo ${{ variables.staticVar }}
          condition: ne('${{ variables.staticVar }}', 'my value')
        """,
        final="""
        variables:
        - {name: staticVar, value: my value}
        - {name: compileVar, value: my value}
        - {name: isMain, value: "$[eq(variables['Build.SourceBranch'], 'refs/heads/main')]"}
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps:
            - task: CmdLine@2
              condition: ne('my value', 'my value')
              inputs: {script: echo my value}
        """,
    ),
    case(
        "defined-later-is-empty",
        "RS dynamic-variable-interpolation (othervar2)",
        """
        variables:
          early: ${{ variables.late }}
          late: x
        steps:
        - script: echo [${{ variables.early }}]
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: 'echo []'}}
        """,
    ),
    case(
        "list-form-sequential-with-if",
        "RS dynamic-variable-interpolation; notes 1.7",
        """
        parameters:
        - name: test
          type: boolean
          default: true
        jobs:
        - job: A
          variables:
          - ${{ if not(parameters.test) }}:
            - name: requiredVar
              value: s
          - ${{ else }}:
            - name: requiredVar
              value: s3
            - name: othervar10
              value: ${{ variables.requiredVar }}
          - ${{ if variables.requiredVar }}:
            - name: requiredVar2
              value: ${{ variables.requiredVar }}-s2
          - name: chained-0
            value: loop-0
          - ${{ each x in split('0,1|1,2', '|') }}:
            - name: chained-${{ split(x, ',')[1] }}
              value: ${{ variables[format('chained-{0}', split(x, ',')[0])] }}-${{ split(x, ',')[1] }}
          steps:
          - script: echo ${{ variables.othervar10 }} ${{ variables.requiredVar2 }} ${{variables['chained-2']}}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo s3 s3-s2 loop-0-1-2}}
        """,
    ),
    case(
        "mapping-form-sequential-in-if-body",
        "RS dynamic-variable-interpolation-legacy",
        """
        jobs:
        - job: A
          variables:
            ${{ if false }}:
              requiredVar: s
            ${{ else }}:
              requiredVar: s3
              othervar10: ${{ variables.requiredVar }}
            othervar: ${{ variables.othervar10 }}
          steps:
          - script: echo ${{ variables.othervar }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo s3}}
        """,
    ),
    case(
        "job-overrides-pipeline",
        "RS override-same-variable-name-in-different-scope; PG C-E12-024",
        """
        variables:
          test: val0
        jobs:
        - job: job1
          variables:
            test: val1
          steps:
          - script: echo ${{ variables.test }}
        - job: job2
          variables:
          - name: test
            value: val2
          steps:
          - script: echo ${{ variables['test'] }}
        - job: job3
          steps:
          - script: echo ${{ variables.TEST }}
        """,
        final="""
        variables:
        - {name: test, value: val0}
        stages:
        - stage: __default
          jobs:
          - job: job1
            variables: [{name: test, value: val1}]
            steps: [{task: CmdLine@2, inputs: {script: echo val1}}]
          - job: job2
            variables: [{name: test, value: val2}]
            steps: [{task: CmdLine@2, inputs: {script: echo val2}}]
          - job: job3
            steps: [{task: CmdLine@2, inputs: {script: echo val0}}]
        """,
    ),
    case(
        "stage-scope-does-not-leak",
        "notes 1.7 (scopes root/stage/job)",
        """
        stages:
        - stage: A
          variables:
            s: from-a
          jobs:
          - job: J
            steps:
            - script: echo ${{ variables.s }}
        - stage: B
          jobs:
          - job: J
            steps:
            - script: echo [${{ variables.s }}]
        """,
        final="""
        stages:
        - stage: A
          variables: [{name: s, value: from-a}]
          jobs:
          - job: J
            steps: [{task: CmdLine@2, inputs: {script: echo from-a}}]
        - stage: B
          jobs:
          - job: J
            steps: [{task: CmdLine@2, inputs: {script: 'echo []'}}]
        """,
    ),
    case(
        "template-variables-visible-after",
        "RS static-template-vars; DOC templates.md#variable-reuse",
        """
        variables:
        - template: ./vars.yml
        - name: ncfg
          value: TEST-${{ variables.buildConfig }}
        steps:
        - bash: ${{ variables.ncfg }}
        - ${{ if ne(variables.ncfg, 'TEST-Release') }}:
          - script: exit 1
        """,
        files={"vars.yml": "variables:\n- name: buildConfig\n  value: Release\n"},
        steps="""
        - {task: Bash@3, inputs: {targetType: inline, script: TEST-Release}}
        """,
    ),
    case(
        "template-variables-with-parameters",
        "RS static-template-vars-dynamic-parameters",
        """
        parameters:
        - name: templateParameters
          default: Release
        variables:
        - template: vars.yml
          parameters:
            prefix: ${{ parameters.templateParameters }}
        - name: ncfg
          value: TEST-${{ variables.buildConfig }}
        steps:
        - bash: ${{ variables.ncfg }}
        """,
        files={
            "vars.yml": """
        parameters:
        - name: prefix
          default: Debug
        variables:
        - name: buildConfig
          value: ${{ parameters.prefix }}
        """
        },
        steps="""
        - {task: Bash@3, inputs: {targetType: inline, script: TEST-Release}}
        """,
    ),
    case(
        "variables-inside-template-sequential",
        "RS static-template-vars (inside the template)",
        """
        variables:
        - template: vars.yml
        steps:
        - script: echo ${{ variables.b }}
        """,
        files={"vars.yml": "variables:\n- name: a\n  value: x\n- name: b\n  value: ${{ variables.a }}y\n"},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo xy}}
        """,
    ),
    case(
        "template-sees-caller-variables",
        "DOC template-expressions.md (variables context)",
        """
        variables:
          who: world
        steps:
        - template: t.yml
        """,
        files={"t.yml": "steps:\n- script: echo hello ${{ variables.who }}\n"},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo hello world}}
        """,
    ),
    case(
        "job-template-own-variables",
        "notes 1.7 (job scope inside templates)",
        """
        variables:
          x: pipeline
        jobs:
        - template: j.yml
        - job: Other
          steps:
          - script: echo ${{ variables.x }}
        """,
        files={
            "j.yml": """
        jobs:
        - job: FromTemplate
          variables:
            x: job
          steps:
          - script: echo ${{ variables.x }}
        """
        },
        final="""
        variables:
        - {name: x, value: pipeline}
        stages:
        - stage: __default
          jobs:
          - job: FromTemplate
            variables: [{name: x, value: job}]
            steps: [{task: CmdLine@2, inputs: {script: echo job}}]
          - job: Other
            steps: [{task: CmdLine@2, inputs: {script: echo pipeline}}]
        """,
    ),
    case(
        "variables-from-parameter",
        "RS variables-parameter",
        """
        parameters:
        - name: variables
          type: object
          default:
          - name: x
            value: e
        variables: ${{ parameters.variables }}
        steps:
        - script: echo ${{ variables.x }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo e}}
        """,
    ),
    case(
        "variable-group-not-compile-time",
        f"{V} (groups need the list form); PG C-E12-016",
        """
        variables:
        - group: my-group
        - name: a
          value: ${{ variables.fromGroup }}
        steps:
        - script: x
        """,
        final="""
        variables:
        - {group: my-group}
        - {name: a, value: ''}
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps: [{task: CmdLine@2, inputs: {script: x}}]
        """,
    ),
    case(
        "readonly-kept",
        "PG C-E12-023",
        """
        variables:
        - name: configuration
          value: Release
          readonly: true
        steps:
        - script: x
        """,
        final="""
        variables:
        - {name: configuration, value: Release, readonly: true}
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps: [{task: CmdLine@2, inputs: {script: x}}]
        """,
    ),
    case(
        "predefined-variable",
        "DOC template-expressions.md (predefined variables available in templates)",
        """
        steps:
        - script: echo ${{ variables['Build.SourceBranchName'] }} ${{ variables['build.reason'] }}
        """,
        predefined={"Build.SourceBranchName": "main", "Build.Reason": "Manual"},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo main Manual}}
        """,
    ),
    case(
        "runtime-variables-unknown-at-compile-time",
        "notes 1.6 (template syntax: not found renders '')",
        """
        steps:
        - script: echo [${{ variables['Build.BuildId'] }}]
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: 'echo []'}}
        """,
    ),
    case(
        "variables-boolean-source-text",
        "PG C-E03-321 (scalars bind by source text); notes 1.5 (variables are strings)",
        """
        variables:
          flag: true
        steps:
        - script: echo ${{ variables.flag }}
        - ${{ if eq(variables.flag, 'true') }}:
          - script: echo string-compare
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo true}}
        - {task: CmdLine@2, inputs: {script: echo string-compare}}
        """,
    ),
    case(
        "variable-structured-value-rejected",
        "SCHEMA variable value: string",
        """
        variables:
          a: {b: c}
        steps:
        - script: x
        """,
        error="A mapping was not expected",
    ),
    case(
        "variables-template-stage-level",
        "DOC templates.md (stage variables template)",
        """
        stages:
        - stage: Release
          variables:
          - template: stage-vars.yml
            parameters: {env: prod}
          jobs:
          - job: J
            steps:
            - script: echo ${{ variables.environment }}
        """,
        files={
            "stage-vars.yml": "parameters:\n- name: env\nvariables:\n"
            "- name: environment\n  value: ${{ parameters.env }}\n"
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo prod}}
        """,
    ),
]

# ---- variables templates in mapping form (issue 13 item 1) ----------------------------------------
VR = "DOC templates.md#variable-reuse (vars.yml in mapping form); SCHEMA variablesTemplate (mapping or list)"

CASES += [
    case(
        "variables-template-mapping-form",
        VR,
        """
        variables:
        - template: vars.yml
        steps:
        - script: echo My favorite vegetable is ${{ variables.favoriteVeggie }}.
        """,
        files={"vars.yml": "variables:\n  favoriteVeggie: 'brussels sprouts'\n"},
        final="""
        variables:
        - {name: favoriteVeggie, value: brussels sprouts}
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps: [{task: CmdLine@2, inputs: {script: echo My favorite vegetable is brussels sprouts.}}]
        """,
    ),
    case(
        "variables-template-mapping-form-sequential",
        f"{VR}; {TE}",
        """
        variables:
        - template: common/Variables.yml
        - name: after
          value: ${{ variables.WORKSPACE }}
        steps:
        - script: echo ${{ variables['WORKSPACE'] }} $(after)
        """,
        files={
            "common/Variables.yml": """
        variables:
          BASE_NAME: 'setu49'
          WORKSPACE: '${{ variables.BASE_NAME }}-ws'
          ${{ if eq(variables.BASE_NAME, 'setu49') }}:
            KNOWN: yes
        """
        },
        final="""
        variables:
        - {name: BASE_NAME, value: setu49}
        - {name: WORKSPACE, value: setu49-ws}
        - {name: KNOWN, value: 'yes'}
        - {name: after, value: setu49-ws}
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps: [{task: CmdLine@2, inputs: {script: echo setu49-ws $(after)}}]
        """,
    ),
    case(
        "variables-template-mapping-form-parameters",
        f"{VR}; {V}#variable-templates-with-parameter",
        """
        variables:
        - template: vars.yml
          parameters: {env: prod}
        steps:
        - script: echo ${{ variables.rg }}
        """,
        files={
            "vars.yml": """
        parameters:
        - name: env
          type: string
        variables:
          rg: rg-${{ parameters.env }}
        """
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo rg-prod}}
        """,
    ),
    case(
        "variables-template-mapping-form-later-wins",
        f"{VR}; {V} (same scope: the last one wins)",
        """
        variables:
        - name: location
          value: westeurope
        - template: vars.yml
        steps:
        - script: echo ${{ variables.location }}
        """,
        files={"vars.yml": "variables:\n  location: eastus\n"},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo eastus}}
        """,
    ),
    case(
        "variables-template-mapping-form-structure-rejected",
        f"{VR}; {V} (variables are text)",
        """
        variables:
        - template: vars.yml
        steps:
        - script: x
        """,
        files={"vars.yml": "variables:\n  list: [a, b]\n"},
        error="A sequence was not expected",
    ),
    case(
        "variables-templates-under-if",
        f"{TE}#conditional-insertion; Azure/mlops-project-template "
        "(config-infra-prod.yml / config-infra-dev.yml chosen by branch)",
        """
        variables:
        - ${{ if eq(variables['Build.SourceBranchName'], 'main') }}:
          - template: config-infra-prod.yml
        - ${{ if ne(variables['Build.SourceBranchName'], 'main') }}:
          - template: config-infra-dev.yml
        - name: version
          value: aml-cli-v2
        steps:
        - script: echo ${{ variables.environment }} $(resource_group)
        """,
        files={
            "config-infra-prod.yml": "variables:\n  environment: prod\n  resource_group: rg-$(environment)\n",
            "config-infra-dev.yml": "variables:\n  environment: dev\n  resource_group: rg-$(environment)\n",
        },
        predefined={"Build.SourceBranchName": "main"},
        final="""
        variables:
        - {name: environment, value: prod}
        - {name: resource_group, value: rg-$(environment)}
        - {name: version, value: aml-cli-v2}
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps: [{task: CmdLine@2, inputs: {script: echo prod $(resource_group)}}]
        """,
    ),
]
