"""Parameters: declaration forms, types, defaults, values, runtime (-p) binding."""

from template_harness import case

TP = "DOC template-parameters.md"
RP = "DOC runtime-parameters.md"
STEPS_TMPL = """
parameters:
- name: expected
  type: string
- name: required
  type: string
steps:
- script: echo ${{ parameters.expected }} ${{ parameters.required }}
"""

CASES = [
    case(
        "typed-unexpected-parameter",
        "RS parameters-validation/pipeline-unexpected; PG C-E03-318",
        """
        steps:
        - template: steps.yml
          parameters:
            expected: present
            required: present
            unexpected: bogus
        """,
        files={"steps.yml": STEPS_TMPL},
        error="Unexpected parameter 'unexpected'",
        at=("azure-pipelines.yml", 6, 5),
    ),
    case(
        "typed-missing-required",
        "RS parameters-validation/pipeline-missing; PG C-E03-309",
        """
        steps:
        - template: steps.yml
          parameters:
            expected: present
        """,
        files={"steps.yml": STEPS_TMPL},
        error="A value for the 'required' parameter must be provided.",
        at=("azure-pipelines.yml", 2, 13),
    ),
    case(
        "parameters-from-expression-missing",
        "RS parameters-validation/pipeline-insertion-missing",
        """
        parameters:
        - name: parametersObject
          type: object
          default:
            expected: provided
        steps:
        - template: steps.yml
          parameters: ${{ parameters.parametersObject }}
        """,
        files={"steps.yml": STEPS_TMPL},
        error="A value for the 'required' parameter must be provided.",
    ),
    case(
        "parameters-from-expression",
        "RS parameters-validation (insertion form)",
        """
        parameters:
        - name: parametersObject
          type: object
          default: {expected: a, required: b}
        steps:
        - template: steps.yml
          parameters: ${{ parameters.parametersObject }}
        """,
        files={"steps.yml": STEPS_TMPL},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo a b}}
        """,
    ),
    case(
        "declaration-without-name",
        "RS parameters-validation/pipeline-no-name; PG C-E03-333",
        """
        parameters:
        - parameter: value
          type: object
        steps:
        - script: x
        """,
        error="Unexpected value 'parameter'",
        at=("azure-pipelines.yml", 2, 3),
    ),
    case(
        "declaration-unknown-property",
        "SCHEMA templateParameter additionalProperties false",
        """
        parameters:
        - name: p
          typo: string
        steps:
        - script: x
        """,
        error="Unexpected value 'typo'",
        at=("azure-pipelines.yml", 3, 3),
    ),
    case(
        "declared-twice",
        "PG C-E03-313",
        """
        parameters:
        - name: p
        - name: P
        steps:
        - script: x
        """,
        error="The 'P' parameter is declared more than once in the parameter list.",
        at=("azure-pipelines.yml", 3, 3),
    ),
    case(
        "unknown-type",
        "PG C-E03-307",
        """
        parameters:
        - name: p
          type: notAType
        steps:
        - script: x
        """,
        error="Unexpected value 'notAType'",
        at=("azure-pipelines.yml", 3, 9),
    ),
    case(
        "type-case-sensitive",
        "PG C-E03-307",
        """
        parameters:
        - name: p
          type: String
        steps:
        - script: x
        """,
        error="Unexpected value 'String'",
    ),
    case(
        "legacyobject-not-at-root",
        "PG C-E03-305",
        """
        parameters:
        - name: p
          type: legacyObject
          default: {}
        steps:
        - script: x
        """,
        error="Unexpected value 'legacyObject'",
    ),
    case(
        "root-only-type-in-template",
        "PG C-E03-305",
        """
        steps:
        - template: t.yml
        """,
        files={
            "t.yml": """
        parameters:
        - name: conn
          type: serviceConnection
          default: x
        steps:
        - script: x
        """
        },
        error="Unexpected value 'serviceConnection'",
        at=("t.yml", 3, 9),
    ),
    case(
        "root-only-types-at-root",
        "SCHEMA pipelineTemplateParameterType; notes 1.3",
        """
        parameters:
        - {name: env, type: environment, default: test}
        - {name: file, type: filePath, default: a/b.txt}
        - {name: pool, type: pool, default: {vmImage: ubuntu-latest}}
        - {name: secure, type: secureFile, default: cert.pfx}
        - {name: conn, type: serviceConnection, default: arm}
        steps:
        - script: echo ${{ parameters.env }} ${{ parameters.file }} ${{ parameters.pool.vmImage }}
        - script: echo ${{ parameters.secure }} ${{ parameters.conn }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo test a/b.txt ubuntu-latest}}
        - {task: CmdLine@2, inputs: {script: echo cert.pfx arm}}
        """,
    ),
    case(
        "stringlist-in-template",
        "PG C-E03-306 (stringList is available in templates)",
        """
        steps:
        - template: t.yml
          parameters:
            items: [a, b]
        """,
        files={
            "t.yml": """
        parameters:
        - name: items
          type: stringList
          values: [a, b, c]
        steps:
        - ${{ each i in parameters.items }}:
          - script: echo ${{ i }}
        """
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo a}}
        - {task: CmdLine@2, inputs: {script: echo b}}
        """,
    ),
    case(
        "stringlist-item-not-in-values",
        "PG C-E03-326",
        """
        steps:
        - template: t.yml
          parameters:
            items: [a, zzz]
        """,
        files={
            "t.yml": """
        parameters:
        - name: items
          type: stringList
          values: [a, b]
        steps:
        - script: x
        """
        },
        error="The 'items' parameter value 'zzz' is not a valid value.",
    ),
    case(
        "stringlist-scalar-rejected",
        "PG C-E03-326",
        """
        steps:
        - template: t.yml
          parameters:
            items: a
        """,
        files={
            "t.yml": """
        parameters:
        - name: items
          type: stringList
        steps:
        - script: x
        """
        },
        error="The 'items' parameter value 'a' is not a valid StringList.",
    ),
    case(
        "missing-type-is-string",
        "PG C-E03-308; RS untyped-array-param-type-string-error",
        """
        parameters:
        - name: str1
          default:
          - a
          - b
        steps:
        - script: x
        """,
        error="A sequence was not expected",
    ),
    case(
        "missing-type-mapping-default",
        "PG C-E03-308 (type-root-missing-untyped-object)",
        """
        parameters:
        - name: p
          default: {a: 1}
        steps:
        - script: x
        """,
        error="The 'p' parameter is not a valid String.",
    ),
    case(
        "untyped-string-ok",
        "RS untyped-array-param-type-string-ok",
        """
        parameters:
        - name: str1
          default: "Hello World"
        steps:
        - script: echo ${{ parameters.str1 }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo Hello World}}
        """,
    ),
    case(
        "untyped-false-is-string",
        "DOC templates.md NOTE (untyped scalar parameters are strings)",
        """
        steps:
        - template: t.yml
          parameters:
            myparam: false
        """,
        files={
            "t.yml": """
        parameters:
          myparam: ''
        steps:
        - ${{ if eq(true, parameters['myparam']) }}:
          - script: echo non-empty string is true
        """
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo non-empty string is true}}
        """,
    ),
    case(
        "boolean-accepted-spellings",
        "RS typedtemplates; PG C-E03-323",
        """
        stages:
        - template: tmpl.yml
          parameters:
            stages:
            - stage: A
              jobs:
              - job: A
                steps:
                - script: exit 0
        """,
        files={
            "tmpl.yml": """
        parameters:
        - {name: stages, type: stageList, default: []}
        - {name: b1, type: boolean, default: true}
        - {name: b2, type: boolean, default: "true"}
        - {name: b3, type: boolean, default: True}
        - {name: b4, type: boolean, default: "True"}
        - {name: b5, type: boolean, default: TRUE}
        - {name: n1, type: number, default: 0}
        - {name: n2, type: number, default: "0"}
        - {name: n5, type: number, default: 234335.23}
        - {name: n6, type: number, default: "234335.23"}
        - name: containerType
          type: container
          default: {container: alias, image: 'ubuntu:latest'}
        stages:
        - ${{ parameters.stages }}
        - ${{ if and(parameters.b1, parameters.b2, parameters.b3, parameters.b4, parameters.b5) }}:
          - stage: Booleans
            jobs:
            - job: N
              steps:
              - script: echo ${{ parameters.n1 }} ${{ parameters.n2 }} ${{ parameters.n5 }} ${{parameters.n6}}
        """
        },
        final="""
        stages:
        - stage: A
          jobs:
          - job: A
            steps: [{task: CmdLine@2, inputs: {script: exit 0}}]
        - stage: Booleans
          jobs:
          - job: N
            steps: [{task: CmdLine@2, inputs: {script: echo 0 0 234335.23 234335.23}}]
        """,
    ),
    case(
        "boolean-rejects-yes",
        "PG C-E03-323; DOC template-parameters.md (apples fails)",
        """
        steps:
        - template: t.yml
          parameters:
            flag: yes
        """,
        files={
            "t.yml": """
        parameters:
        - name: flag
          type: boolean
        steps:
        - script: x
        """
        },
        error="The 'flag' parameter value 'yes' is not a valid Boolean.",
        at=("azure-pipelines.yml", 4, 11),
    ),
    case(
        "boolean-rejects-apples",
        "DOC template-parameters.md (passing 'apples' fails)",
        """
        steps:
        - template: t.yml
          parameters:
            flag: apples
        """,
        files={
            "t.yml": """
        parameters:
        - name: flag
          type: boolean
        steps:
        - script: x
        """
        },
        error="The 'flag' parameter value 'apples' is not a valid Boolean.",
    ),
    case(
        "number-rejects-text",
        "PG C-E03-322",
        """
        steps:
        - template: t.yml
          parameters:
            n: abc
        """,
        files={
            "t.yml": """
        parameters:
        - name: n
          type: number
        steps:
        - script: x
        """
        },
        error="The 'n' parameter value 'abc' is not a valid Number.",
    ),
    case(
        "number-rejects-empty",
        "PG C-E03-332",
        """
        steps:
        - template: t.yml
          parameters:
            n: ''
        """,
        files={
            "t.yml": """
        parameters:
        - name: n
          type: number
        steps:
        - script: x
        """
        },
        error="The 'n' parameter value '' is not a valid Number.",
    ),
    case(
        "null-binds-empty-string",
        "PG C-E03-332",
        """
        steps:
        - template: t.yml
          parameters:
            n:
        """,
        files={
            "t.yml": """
        parameters:
        - name: n
          type: number
        steps:
        - script: x
        """
        },
        error="The 'n' parameter value '' is not a valid Number.",
    ),
    case(
        "default-wrong-type",
        "PG C-E03-312",
        """
        parameters:
        - name: p
          type: number
          default: abc
        steps:
        - script: x
        """,
        error="The 'p' parameter value 'abc' is not a valid Number.",
        at=("azure-pipelines.yml", 4, 12),
    ),
    case(
        "number-binds-double",
        "PG C-E03-322 (number-float-binding)",
        """
        steps:
        - template: t.yml
          parameters: {a: 1.0, b: 0.5, c: 1.0, d: '8'}
        """,
        files={
            "t.yml": """
        parameters:
        - {name: a, type: number}
        - {name: b, type: number}
        - {name: c, type: string}
        - {name: d, type: number}
        steps:
        - script: echo ${{ parameters.a }} ${{ parameters.b }} ${{ parameters.c }} ${{ parameters.d }}
        """
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo 1 0.5 1.0 8}}
        """,
    ),
    case(
        "string-binds-source-text",
        "PG C-E03-321",
        """
        steps:
        - template: t.yml
          parameters: {a: 42, b: true, c: True, d: 007}
        """,
        files={
            "t.yml": """
        parameters:
        - {name: a, type: string}
        - {name: b, type: string}
        - {name: c, type: string}
        - {name: d, type: string}
        steps:
        - script: echo ${{ parameters.a }} ${{ parameters.b }} ${{ parameters.c }} ${{ parameters.d }}
        """
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo 42 true True 007}}
        """,
    ),
    case(
        "object-keeps-types",
        "PG C-E03-324",
        """
        steps:
        - template: t.yml
          parameters:
            p:
              s: text
              n: 3
              b: true
              nil:
              list: [1, two]
        """,
        files={
            "t.yml": """
        parameters:
        - {name: p, type: object}
        steps:
        - script: echo ${{ convertToJson(parameters.p) }}
        - ${{ if eq(parameters.p.n, 3) }}:
          - script: echo number
        - ${{ if eq(parameters.p.b, true) }}:
          - script: echo boolean ${{ parameters.p.b }}
        """
        },
        steps="""
        - task: CmdLine@2
          inputs:
            script: |-
              echo {
                "s": "text",
                "n": 3,
                "b": true,
                "nil": "",
                "list": [
                  1,
                  "two"
                ]
              }
        - {task: CmdLine@2, inputs: {script: echo number}}
        - {task: CmdLine@2, inputs: {script: echo boolean True}}
        """,
    ),
    case(
        "legacyobject-stringifies-leaves",
        "PG C-E03-325; RS typedtemplates-other-types",
        """
        steps:
        - template: t.yml
        """,
        files={
            "t.yml": """
        parameters:
        - name: legObj
          type: legacyObject
          default:
            b: true
            n: 3
        steps:
        - script: echo ${{ convertToJson(parameters.legObj.b) }} ${{ convertToJson(parameters.legObj.n) }}
        """
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo "true" "3"}}
        """,
    ),
    case(
        "object-scalar-value",
        "PG C-E03-324 (pass-string-to-object); RS variable-template-bug",
        """
        variables:
        - template: v.yml
          parameters:
            objectVariableName: myVariable
            objectVariableValue: magic value
        steps:
        - script: echo ${{ variables.myVariable }}
        """,
        files={
            "v.yml": """
        parameters:
        - name: objectVariableName
          type: string
        - name: objectVariableValue
          type: object
          default: {}
        variables:
        - name: ${{ parameters.objectVariableName }}
          value: ${{ convertToJson(parameters.objectVariableValue) }}
        """
        },
        final="""
        variables:
        - {name: myVariable, value: '"magic value"'}
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps: [{task: CmdLine@2, inputs: {script: echo "magic value"}}]
        """,
    ),
    case(
        "steplist-desugared-at-binding",
        "PG C-E03-328; DOC templates.md (extends example rejecting CmdLine@2)",
        """
        steps:
        - template: t.yml
          parameters:
            buildSteps:
            - bash: echo ok
            - script: echo blocked
        """,
        files={
            "t.yml": """
        parameters:
        - name: buildSteps
          type: stepList
          default: []
        steps:
        - ${{ each step in parameters.buildSteps }}:
          - ${{ each pair in step }}:
              ${{ if ne(pair.value, 'CmdLine@2') }}:
                ${{ pair.key }}: ${{ pair.value }}
              ${{ if eq(pair.value, 'CmdLine@2') }}:
                '${{ pair.value }}': error
        """
        },
        error="Unexpected value 'CmdLine@2'",
    ),
    case(
        "steplist-scalar-rejected",
        "PG C-E03-327",
        """
        steps:
        - template: t.yml
          parameters:
            p: nope
        """,
        files={
            "t.yml": """
        parameters:
        - {name: p, type: stepList}
        steps:
        - ${{ parameters.p }}
        """
        },
        error="The 'p' parameter is not a valid StepList. Unexpected value 'nope'",
    ),
    case(
        "step-invalid-shape",
        "PG C-E03-327",
        """
        steps:
        - template: t.yml
          parameters:
            p: {notAStep: x}
        """,
        files={
            "t.yml": """
        parameters:
        - {name: p, type: step}
        steps:
        - ${{ parameters.p }}
        """
        },
        error="The 'p' parameter is not a valid Step. Unexpected value 'notAStep'",
    ),
    case(
        "step-parameter",
        f"{TP}#parameter-data-types",
        """
        steps:
        - template: t.yml
          parameters:
            myStep: {script: echo hi}
        """,
        files={
            "t.yml": """
        parameters:
        - {name: myStep, type: step}
        steps:
        - ${{ parameters.myStep }}
        """
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo hi}}
        """,
    ),
    case(
        "container-requires-mapping",
        "PG C-E03-310",
        """
        parameters:
        - name: c
          type: container
          default: alpine
        steps:
        - script: x
        """,
        error="The 'c' parameter is not a valid Container. Unexpected value 'alpine'",
    ),
    case(
        "joblist-templatecontext",
        "DOC template-parameters.md (templateContext); RS job-templateContext",
        """
        jobs:
        - template: job-template.yml
          parameters:
            job:
              job: BuildJob
              templateContext:
                environment: Production
                appVersion: 2.0.1
        """,
        files={
            "job-template.yml": """
        parameters:
        - name: job
          type: job
        jobs:
        - job: ${{ parameters.job.job }}
          steps:
          - script: echo ${{ parameters.job.templateContext.environment }}
          - script: echo ${{ parameters.job.templateContext.appVersion }}
        """
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo Production}}
        - {task: CmdLine@2, inputs: {script: echo 2.0.1}}
        """,
    ),
    case(
        "stagelist-templatecontext",
        "DOC template-parameters.md; RS templateContext-stage",
        """
        extends:
          template: template-file.yml
          parameters:
            stageSet:
            - stage: BuildStage
              templateContext: {environment: Development}
            - stage: DeployStage
              templateContext: {environment: Production}
        """,
        files={
            "template-file.yml": """
        parameters:
        - name: stageSet
          type: stageList
        stages:
        - ${{ each stageItem in parameters.stageSet }}:
          - stage: ${{ stageItem.stage }}
            jobs:
            - job: ExampleJob
              steps:
              - script: echo ${{ stageItem.templateContext.environment }}
        """
        },
        final="""
        stages:
        - stage: BuildStage
          jobs:
          - job: ExampleJob
            steps: [{task: CmdLine@2, inputs: {script: echo Development}}]
        - stage: DeployStage
          jobs:
          - job: ExampleJob
            steps: [{task: CmdLine@2, inputs: {script: echo Production}}]
        """,
    ),
    case(
        "values-default-not-allowed",
        "RS parameter-dropdown-invalid; PG C-E03-311",
        """
        parameters:
        - name: items
          type: string
          default: opt4
          values: [opt1, opt2, opt3]
        steps:
        - script: x
        """,
        error="The 'items' parameter value 'opt4' is not a valid value.",
    ),
    case(
        "values-case-sensitive",
        "PG C-E03-314",
        """
        parameters:
        - name: p
          default: ALPHA
          values: [alpha]
        steps:
        - script: x
        """,
        error="The 'p' parameter value 'ALPHA' is not a valid value.",
    ),
    case(
        "values-number-coerced",
        "PG C-E03-314",
        """
        steps:
        - template: t.yml
          parameters: {n: '2'}
        """,
        files={
            "t.yml": """
        parameters:
        - name: n
          type: number
          values: [1, 2]
        steps:
        - script: echo ${{ parameters.n }}
        """
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo 2}}
        """,
    ),
    case(
        "values-ignored-on-object",
        "PG C-E03-314",
        """
        parameters:
        - name: o
          type: object
          default: zzz
          values: [a]
        steps:
        - script: echo ${{ parameters.o }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo zzz}}
        """,
    ),
    case(
        "default-expression-literal-string",
        "PG C-E03-315",
        """
        parameters:
        - name: p
          type: number
          default: ${{ '42' }}
        steps:
        - script: echo ${{ parameters.p }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo 42}}
        """,
    ),
    case(
        "default-expression-rejected",
        f"PG C-E03-315; {TP} (only literals for defaults)",
        """
        parameters:
        - name: p
          default: ${{ format('{0}', 'x') }}
        steps:
        - script: x
        """,
        error="A template expression is not allowed in this context",
        at=("azure-pipelines.yml", 3, 12),
    ),
    case(
        "parameter-names-fold-case",
        "PG C-E03-316",
        """
        parameters:
        - name: myParam
          default: v
        steps:
        - template: t.yml
          parameters:
            P: passed
        - script: echo ${{ parameters.MYPARAM }}
        """,
        files={
            "t.yml": """
        parameters:
        - name: p
        steps:
        - script: echo ${{ parameters.p }}
        """
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo passed}}
        - {task: CmdLine@2, inputs: {script: echo v}}
        """,
    ),
    case(
        "undeclared-parameter-read",
        "PG C-E03-317",
        """
        steps:
        - script: echo ${{ parameters.nope }}
        """,
        error="Key not found 'nope'",
    ),
    case(
        "arguments-evaluated-in-caller",
        "PG C-E03-320",
        """
        parameters:
        - name: outer
          default: from-caller
        steps:
        - template: t.yml
          parameters:
            p: ${{ parameters.outer }}
        """,
        files={
            "t.yml": """
        parameters:
        - name: p
        steps:
        - script: echo ${{ parameters.p }}
        """
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo from-caller}}
        """,
    ),
    case(
        "arguments-cannot-see-callee",
        "PG C-E03-320 (pass-expression-callee-param)",
        """
        steps:
        - template: t.yml
          parameters:
            p: ${{ parameters.p }}
        """,
        files={
            "t.yml": """
        parameters:
        - name: p
        steps:
        - script: x
        """
        },
        error="Key not found 'p'",
    ),
    case(
        "callee-sees-only-own-parameters",
        "PG C-E03-319",
        """
        parameters:
        - name: outer
          default: o
        steps:
        - template: t.yml
          parameters:
            p: ok
        """,
        files={
            "t.yml": """
        parameters:
        - name: p
        steps:
        - script: echo ${{ convertToJson(parameters) }}
        """
        },
        steps="""
        - task: CmdLine@2
          inputs:
            script: |-
              echo {
                "p": "ok"
              }
        """,
    ),
    case(
        "legacy-template-accepts-extras",
        "RS typedtemplates-unexpected-parameter; notes 1.3",
        """
        steps:
        - template: t.yml
          parameters:
            invalid-parameter: this-should-be-ok
        """,
        files={
            "t.yml": """
        parameters:
          stages: []
        steps:
        - script: echo ${{ parameters['invalid-parameter'] }}
        """
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo this-should-be-ok}}
        """,
    ),
    case(
        "typed-template-rejects-extras",
        "RS mapping-templates-allow-unexpected-parameter",
        """
        stages:
        - template: tmpl.yml
          parameters:
            stages:
            - stage: A
              jobs:
              - job: A
                steps:
                - script: exit 0
            invalid-parameter: this-should-fail
        """,
        files={
            "tmpl.yml": """
        parameters:
          - name: stages
            type: stageList
            default: []
        stages:
          - ${{ parameters.stages }}
        """
        },
        error="Unexpected parameter 'invalid-parameter'",
    ),
    case(
        "no-parameters-block-accepts-any",
        "RS old-style-template-no-parameter-declared; PG C-E03-318",
        """
        steps:
        - template: ./test.yml
          parameters:
            test:
              script: echo Test
        """,
        files={
            "test.yml": """
        steps:
        - ${{ parameters.test }}
        """
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo Test}}
        """,
    ),
    case(
        "legacy-undeclared-readable",
        "RS old-style-template-mapping-parameter-use-undeclared",
        """
        steps:
        - template: ./test.yml
          parameters:
            test: {script: echo Test}
            test2: {script: echo Test2}
        """,
        files={
            "test.yml": """
        parameters:
          test:
        steps:
        - ${{ parameters.test2 }}
        """
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo Test2}}
        """,
    ),
    case(
        "legacy-default-used",
        "DOC templates.md (2019: parameters: {name: default})",
        """
        steps:
        - template: t.yml
        """,
        files={
            "t.yml": """
        parameters:
          greeting: hello
        steps:
        - script: echo ${{ parameters.greeting }}
        """
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo hello}}
        """,
    ),
    case(
        "root-mapping-form-rejected",
        "SCHEMA pipelineTemplateParameters (array only)",
        """
        parameters:
          p: x
        steps:
        - script: x
        """,
        error="A mapping was not expected",
    ),
    case(
        "runtime-parameter-coerced",
        f"{RP}; PG C-E03-329/414",
        """
        parameters:
        - {name: n, type: number, default: 1}
        - {name: b, type: boolean, default: false}
        - {name: o, type: object, default: {}}
        steps:
        - script: echo ${{ parameters.n }} ${{ parameters.b }} ${{ parameters.o.a }}
        """,
        params={"n": "8", "b": "true", "o": '{"a": 1}'},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo 8 True 1}}
        """,
    ),
    case(
        "runtime-parameter-undeclared",
        "PG C-E03-330/415",
        """
        steps:
        - script: x
        """,
        params={"nosuchparameter": "x"},
        error="Unexpected parameter 'nosuchparameter'",
    ),
    case(
        "runtime-parameter-not-in-values",
        "PG C-E03-311/331",
        """
        parameters:
        - name: env
          default: dev
          values: [dev, prod]
        steps:
        - script: x
        """,
        params={"env": "test"},
        error="The 'env' parameter value 'test' is not a valid value.",
    ),
    case(
        "runtime-first-value-when-no-default",
        f"{RP} ('the first available value is used')",
        """
        parameters:
        - name: env
          values: [dev, prod]
        steps:
        - script: echo ${{ parameters.env }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo dev}}
        """,
    ),
    case(
        "runtime-required",
        f"{RP}; PG C-E03-309",
        """
        parameters:
        - name: env
        steps:
        - script: echo ${{ parameters.env }}
        """,
        error="A value for the 'env' parameter must be provided.",
    ),
    case(
        "runtime-stringlist",
        "DOC runtime-parameters.md (stringList)",
        """
        parameters:
        - name: regions
          type: stringList
          default: [eu]
          values: [eu, us]
        steps:
        - ${{ each r in parameters.regions }}:
          - script: echo ${{ r }}
        """,
        params={"regions": "[eu, us]"},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo eu}}
        - {task: CmdLine@2, inputs: {script: echo us}}
        """,
    ),
]

CASES += [
    case(
        "deploymentlist-each",
        f"{TP}#parameter-data-types (deploymentList)",
        """
        jobs:
        - template: t.yml
          parameters:
            deployments:
            - deployment: Web
              environment: test
              strategy: {runOnce: {deploy: {steps: [{script: echo web}]}}}
        """,
        files={
            "t.yml": """
        parameters:
        - name: deployments
          type: deploymentList
        jobs:
        - ${{ each d in parameters.deployments }}:
          - ${{ d }}
        """
        },
        final="""
        stages:
        - stage: __default
          jobs:
          - deployment: Web
            environment: {name: test}
            strategy:
              runOnce:
                deploy:
                  steps: [{task: CmdLine@2, inputs: {script: echo web}}]
        """,
    ),
    case(
        "deployment-rejects-job",
        f"{TP}#parameter-data-types (deployment)",
        """
        jobs:
        - template: t.yml
          parameters:
            d: {job: NotADeployment}
        """,
        files={"t.yml": "parameters:\n- {name: d, type: deployment}\njobs:\n- ${{ parameters.d }}\n"},
        error="The 'd' parameter is not a valid Deployment. Unexpected value 'job'",
    ),
    case(
        "joblist-rejects-steps",
        f"{TP}#parameter-data-types (jobList)",
        """
        jobs:
        - template: t.yml
          parameters:
            jobs:
            - script: echo not a job
        """,
        files={"t.yml": "parameters:\n- {name: jobs, type: jobList}\njobs:\n- ${{ parameters.jobs }}\n"},
        error="The 'jobs' parameter is not a valid JobList. Unexpected value 'script'",
    ),
    case(
        "stage-parameter",
        f"{TP}#parameter-data-types (stage)",
        """
        stages:
        - template: t.yml
          parameters:
            s: {stage: Only, jobs: [{job: J, steps: [{script: x}]}]}
        """,
        files={"t.yml": "parameters:\n- {name: s, type: stage}\nstages:\n- ${{ parameters.s }}\n"},
        final="""
        stages:
        - stage: Only
          jobs:
          - job: J
            steps: [{task: CmdLine@2, inputs: {script: x}}]
        """,
    ),
    case(
        "containerlist-parameter",
        "SCHEMA templateParameterType (containerList); RS typedtemplates-other-types",
        """
        steps:
        - template: t.yml
        """,
        files={
            "t.yml": """
        parameters:
        - name: containers
          type: containerList
          default:
          - {container: ub0, image: 'ubuntu:latest'}
          - {container: ub1, image: 'ubuntu:22.04'}
        steps:
        - ${{ each c in parameters.containers }}:
          - script: echo ${{ c.container }}=${{ c.image }}
        """
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: 'echo ub0=ubuntu:latest'}}
        - {task: CmdLine@2, inputs: {script: 'echo ub1=ubuntu:22.04'}}
        """,
    ),
    case(
        "boolean-parameter-renders-True",
        "notes 1.4 (Boolean -> True/False); DOC template-parameters.md",
        """
        parameters:
        - name: flag
          type: boolean
          default: false
        steps:
        - script: echo ${{ parameters.flag }} ${{ not(parameters.flag) }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo False True}}
        """,
    ),
]

# ---- deployment parameters as the template sees them (issue 13 item 5) -----------------------------
CASES += [
    case(
        "deployment-parameter-normalized",
        f"{TP}#parameter-data-types (deployment); PG C-E03-328 "
        "(bound steps are in task form) [UNVERIFIED for environment]",
        """
        jobs:
        - template: t.yml
          parameters:
            d:
              deployment: Web
              environment: test
              strategy: {runOnce: {deploy: {steps: [{script: echo web}]}}}
        """,
        files={
            "t.yml": """
        parameters:
        - {name: d, type: deployment}
        jobs:
        - ${{ parameters.d }}
        - job: Show
          steps:
          - script: >-
              echo ${{ parameters.d.environment.name }}
              ${{ parameters.d.strategy.runOnce.deploy.steps[0].task }}
        """
        },
        final="""
        stages:
        - stage: __default
          jobs:
          - deployment: Web
            environment: {name: test}
            strategy:
              runOnce:
                deploy:
                  steps: [{task: CmdLine@2, inputs: {script: echo web}}]
          - job: Show
            steps: [{task: CmdLine@2, inputs: {script: echo test CmdLine@2}}]
        """,
    ),
    case(
        "deploymentlist-approval-only-item",
        f"{TP}#parameter-data-types (deploymentList); DOC yaml-schema/jobs-deployment.md (strategy optional)",
        """
        jobs:
        - template: t.yml
          parameters:
            deployments:
            - deployment: Approval
              environment: Prod
        """,
        files={
            "t.yml": "parameters:\n- {name: deployments, type: deploymentList}\n"
            "jobs:\n- ${{ each d in parameters.deployments }}:\n  - ${{ d }}\n"
        },
        final="""
        stages:
        - stage: __default
          jobs:
          - deployment: Approval
            environment: {name: Prod}
        """,
    ),
]
