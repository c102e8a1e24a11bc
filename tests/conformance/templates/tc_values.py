"""Scalar interpolation: lone vs mixed expressions, keys, escapes, syntax errors."""

from template_harness import case

EXPR = "DOC template-expressions.md"

CASES = [
    case(
        "lone-object-value",
        "PG C-E03-177",
        """
        parameters:
        - name: envVars
          type: object
          default: {ALPHA: a, BETA: b}
        steps:
        - script: x
          env: ${{ parameters.envVars }}
        """,
        steps="""
        - task: CmdLine@2
          env: {ALPHA: a, BETA: b}
          inputs: {script: x}
        """,
    ),
    case(
        "lone-object-value-quoted",
        "PG C-E03-177 (lone-object-value-quoted)",
        """
        parameters:
        - name: envVars
          type: object
          default: {ALPHA: a}
        steps:
        - script: x
          env: "${{ parameters.envVars }}"
        """,
        steps="""
        - task: CmdLine@2
          env: {ALPHA: a}
          inputs: {script: x}
        """,
    ),
    case(
        "lone-array-item-flattened",
        f"{EXPR}#insertion; PG C-E03-178",
        """
        parameters:
        - name: preBuild
          type: stepList
          default:
          - script: echo pre-one
          - script: echo pre-two
        steps:
        - ${{ parameters.preBuild }}
        - script: echo probe
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo pre-one}}
        - {task: CmdLine@2, inputs: {script: echo pre-two}}
        - {task: CmdLine@2, inputs: {script: echo probe}}
        """,
    ),
    case(
        "lone-object-item-not-flattened",
        "PG C-E03-178 (lone-object-sequence-item)",
        """
        parameters:
        - name: step
          type: object
          default: {script: echo from-object, displayName: From Object}
        steps:
        - ${{ parameters.step }}
        - script: echo probe
        """,
        steps="""
        - {task: CmdLine@2, displayName: From Object, inputs: {script: echo from-object}}
        - {task: CmdLine@2, inputs: {script: echo probe}}
        """,
    ),
    case(
        "whitespace-makes-mixed",
        "PG C-E03-180",
        """
        parameters:
        - name: obj
          type: object
          default: {A: a}
        steps:
        - script: x
          env: '  ${{ parameters.obj }}  '
        """,
        error="Unable to convert from Object to String. Value: Object",
    ),
    case(
        "whitespace-around-string-kept",
        "PG C-E03-180 (whitespace-around-lone-string)",
        """
        steps:
        - script: "  ${{ 'x' }}  "
        """,
        expanded="""
        steps:
        - script: '  x  '
        """,
    ),
    case(
        "lone-boolean",
        "PG C-E03-181; notes 1.4",
        """
        parameters:
        - name: flag
          type: boolean
          default: true
        variables:
          FROM_PARAM: ${{ parameters.flag }}
          LITERAL_TRUE: ${{ true }}
          LITERAL_FALSE: ${{ false }}
        steps:
        - script: x
        """,
        final="""
        parameters:
        - {name: flag, type: boolean, default: true}
        variables:
        - {name: FROM_PARAM, value: 'True'}
        - {name: LITERAL_TRUE, value: 'True'}
        - {name: LITERAL_FALSE, value: 'False'}
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps: [{task: CmdLine@2, inputs: {script: x}}]
        """,
    ),
    case(
        "lone-number",
        "PG C-E03-182",
        """
        steps:
        - script: x
          env:
            HALF: ${{ 0.5 }}
            ONE_POINT_ZERO: ${{ 1.0 }}
            MILLION: ${{ 1000000 }}
            NEGATIVE: ${{ -1.25 }}
        """,
        steps="""
        - task: CmdLine@2
          env: {HALF: '0.5', ONE_POINT_ZERO: '1', MILLION: '1000000', NEGATIVE: '-1.25'}
          inputs: {script: x}
        """,
    ),
    case(
        "lone-null-is-empty-string",
        "PG C-E03-183",
        """
        steps:
        - script: x
          env:
            BEFORE: before
            PROBE: ${{ variables.nosuchvariable }}
        """,
        steps="""
        - task: CmdLine@2
          env: {BEFORE: before, PROBE: ''}
          inputs: {script: x}
        """,
    ),
    case(
        "version-stringified",
        "PG C-E03-184",
        """
        steps:
        - script: x
          env:
            LONE: ${{ 1.2.3 }}
            MIXED: v${{ 1.2.3.4 }}
        """,
        steps="""
        - task: CmdLine@2
          env: {LONE: 1.2.3, MIXED: v1.2.3.4}
          inputs: {script: x}
        """,
    ),
    case(
        "result-not-reparsed",
        "PG C-E03-185",
        """
        steps:
        - script: x
          env:
            NUM: ${{ '0123' }}
            YAMLISH: "${{ 'a: b' }}"
        """,
        steps="""
        - task: CmdLine@2
          env: {NUM: '0123', YAMLISH: 'a: b'}
          inputs: {script: x}
        """,
    ),
    case(
        "mixed-content",
        "PG C-E03-186",
        """
        steps:
        - script: x
          env:
            BOOL: pre-${{ true }}-post
            NULL: pre-${{ variables.nosuchvariable }}-post
            TWO: ${{ 'a' }} then ${{ 'b' }}
            ADJACENT: ${{ 'a' }}${{ 'b' }}
        """,
        steps="""
        - task: CmdLine@2
          env: {BOOL: pre-True-post, NULL: pre--post, TWO: a then b, ADJACENT: ab}
          inputs: {script: x}
        """,
    ),
    case(
        "mixed-object-rejected",
        "PG C-E03-187",
        """
        parameters:
        - name: obj
          type: object
          default: {a: 1}
        steps:
        - script: pre-${{ parameters.obj }}
        """,
        error="Unable to convert from Object to String. Value: Object",
        at=("azure-pipelines.yml", 6, 18),
    ),
    case(
        "mixed-array-rejected",
        "PG C-E03-187",
        """
        parameters:
        - name: arr
          type: object
          default: [a]
        steps:
        - script: pre-${{ parameters.arr }}
        """,
        error="Unable to convert from Array to String. Value: Array",
    ),
    case(
        "escape-literal",
        f"{EXPR} escape; PG C-E03-188",
        """
        steps:
        - script: ${{ 'my${{value' }}
        - script: ${{ 'my${{value with a '' single quote too' }}
        """,
        expanded="""
        steps:
        - script: my${{value
        - script: my${{value with a ' single quote too
        """,
    ),
    case(
        "block-scalar-interpolation",
        "PG C-E03-189",
        """
        parameters:
        - name: who
          default: world
        steps:
        - script: |
            echo one
            echo ${{ parameters.who }}
            echo three
        """,
        steps="""
        - task: CmdLine@2
          inputs:
            script: |
              echo one
              echo world
              echo three
        """,
    ),
    case(
        "key-expressions",
        "PG C-E03-190; DOC variables.md (template expressions as keys)",
        """
        parameters:
        - name: suffix
          default: TAIL
        steps:
        - script: x
          env:
            ${{ true }}: bool
            ${{ 1.0 }}: one
            ${{ 'PROBE' }}: probe
            ${{ variables.none }}: empty
            PRE_${{ parameters.suffix }}: mixed
        """,
        steps="""
        - task: CmdLine@2
          env: {'True': bool, '1': one, PROBE: probe, '': empty, PRE_TAIL: mixed}
          inputs: {script: x}
        """,
    ),
    case(
        "key-lone-object-rejected",
        "PG C-E03-191",
        """
        parameters:
        - name: obj
          type: object
          default: {a: 1}
        steps:
        - script: x
          env:
            ${{ parameters.obj }}: value
        """,
        error="Expected a scalar value",
        at=("azure-pipelines.yml", 8, 5),
    ),
    case(
        "key-mixed-object-rejected",
        "PG C-E03-191",
        """
        parameters:
        - name: obj
          type: object
          default: {a: 1}
        steps:
        - script: x
          env:
            K_${{ parameters.obj }}: value
        """,
        error="Unable to convert from Object to String. Value: Object",
    ),
    case(
        "key-variable-expression",
        "DOC variables.md ('${{ variables.key }} : ${{ variables.value }}')",
        """
        variables:
          key: MY_KEY
          value: my-value
        steps:
        - script: x
          env:
            ${{ variables.key }}: ${{ variables.value }}
        """,
        steps="""
        - task: CmdLine@2
          env: {MY_KEY: my-value}
          inputs: {script: x}
        """,
    ),
    case(
        "duplicate-key-after-expansion",
        "notes 1.15 (duplicate ${{ pair.key }} keys rejected after expansion)",
        """
        steps:
        - script: x
          env:
            FOO: a
            ${{ 'foo' }}: b
        """,
        error="'foo' is already defined",
        at=("azure-pipelines.yml", 5, 5),
    ),
    case(
        "syntax-error-in-false-if-body",
        "RS expr-syntax-error-is-fatal-even-if-disabled; notes 1.4",
        """
        steps:
        - ${{ if false }}:
          - ${{ 3 + 4 }}
        """,
        error="'+'",
    ),
    case(
        "syntax-error-in-false-if-condition",
        "RS expr-syntax-error-is-fatal-even-if-disabled-if-body",
        """
        steps:
        - ${{ if false }}:
          - ${{ if and(3 + 4) }}:
            - bash: none
        """,
        error="'+'",
    ),
    case(
        "syntax-error-in-false-if-value",
        "RS syntax-validation-report-expr-error-if-false",
        """
        steps:
        - ${{ if false }}:
          - script: ${{ replace h(coalesce(parameters.y, parameters.y), '''', '''''') }}
        """,
        error="Located at position 2 within expression",
    ),
    case(
        "unknown-name-in-false-body-ok",
        "RS verify-if-false-no-error",
        """
        steps:
        - script: x
          env:
            ${{ if false }}:
              IsNull: ${{ replace(coalesce(parameters.y, parammeters.y), '''', '''''') }}
        """,
        steps="""
        - {task: CmdLine@2, env: {}, inputs: {script: x}}
        """,
    ),
    case(
        "unknown-name-in-true-body",
        "RS verify-if-true-error",
        """
        steps:
        - script: x
          env:
            ${{ if true }}:
              IsNull: ${{ replace(coalesce('a', parammeters.y), '''', '''''') }}
        """,
        error="Unrecognized value: 'parammeters'",
    ),
    case(
        "unclosed-expression",
        "RS verify-if-true-unclosed-expr-error-2",
        """
        steps:
        - script: x
          env:
            IsNull: ${{
        """,
        error="The expression is not closed",
    ),
    case(
        "unknown-function",
        "RS correct-error-for-unknown-function",
        """
        steps:
        - bash: ${{ nothing() }}
        """,
        error="nothing",
    ),
    case(
        "unknown-named-value",
        "RS correct-error-for-unknown-contextname",
        """
        steps:
        - bash: ${{ nothing }}
        """,
        error="Unrecognized value: 'nothing'",
        at=("azure-pipelines.yml", 2, 13),
    ),
    case(
        "minus-in-property-name",
        "RS verify-minus-is-no-keyword-error; notes 1.4",
        """
        parameters:
        - name: param-minus
          type: boolean
          default: true
        steps:
        - ${{ if parameters.param-minus }}:
          - script: echo x
        """,
        error="param-minus",
    ),
    case(
        "minus-via-indexer",
        "notes 1.4 (use parameters['param-minus'])",
        """
        parameters:
        - name: param-minus
          type: boolean
          default: true
        steps:
        - ${{ if parameters['param-minus'] }}:
          - script: echo x
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo x}}
        """,
    ),
    case(
        "missing-parameter-via-format",
        "RS referenced-missing-parameter-error; PG C-E02-087",
        """
        parameters:
        - name: no
          type: number
          default: 0
        steps:
        - script: echo ${{ parameters[format('{0}', 'test6')] }}
        """,
        error="test6",
    ),
    case(
        "coalesce-short-circuits-missing",
        "RS referenced-missing-parameter-ok",
        """
        parameters:
        - name: no
          type: number
          default: 2
        steps:
        - script: echo ${{ coalesce('test', parameters.y) }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo test}}
        """,
    ),
    case(
        "iif-evaluates-both",
        "notes 1.5 (iif both branches evaluated); RS iif-functions-ado-no-short-circuit",
        """
        steps:
        - script: echo ${{ iif(true, 'a', parameters.test3) }}
        """,
        error="test3",
    ),
    case(
        "expression-in-trigger",
        "PG C-E03-109",
        """
        trigger:
        - ${{ 'main' }}
        steps:
        - script: x
        """,
        expanded="""
        trigger:
        - main
        steps:
        - script: x
        """,
    ),
    case(
        "condition-with-embedded-template-expression",
        "DOC conditions.md (parameters in conditions)",
        """
        parameters:
        - name: doThing
          default: true
          type: boolean
        steps:
        - script: echo I did a thing
          condition: and(succeeded(), ${{ eq(parameters.doThing, true) }})
        """,
        steps="""
        - task: CmdLine@2
          condition: and(succeeded(), True)
          inputs: {script: echo I did a thing}
        """,
    ),
    case(
        "runtime-syntaxes-untouched",
        "notes 1.6 (macro and runtime syntax are run time)",
        """
        variables:
          a: $(b)
          c: $[ variables.d ]
        steps:
        - script: echo $(a)
        """,
        expanded="""
        variables:
          a: $(b)
          c: $[ variables.d ]
        steps:
        - script: echo $(a)
        """,
    ),
    case(
        "source-text-kept",
        "PG C-E04-066 (authored scalars echo as written)",
        """
        steps:
        - script: x
          enabled: false
          continueOnError: True
          timeoutInMinutes: 007
          retryCountOnTaskFailure: 2
        """,
        steps="""
        - task: CmdLine@2
          continueOnError: 'True'
          enabled: 'false'
          timeoutInMinutes: '007'
          retryCountOnTaskFailure: '2'
          inputs: {script: x}
        """,
    ),
]

CASES += [
    case(
        "identical-expression-keys-collide",
        "notes 1.15 (duplicate ${{ pair.key }} keys rejected after expansion)",
        """
        steps:
        - script: x
          env:
            ${{ 'A' }}: one
            ${{ 'A' }}: two
        """,
        error="'A' is already defined",
        at=("azure-pipelines.yml", 5, 5),
    ),
    case(
        "empty-step-from-false-mapping-if",
        "RS TemplateUnraveler (mapping-bodied if is a mapping item)",
        """
        steps:
        - ${{ if false }}:
            script: never
        """,
        error="Expected at least one key-value pair in the mapping",
    ),
]
