"""Directives: if / elseif / else, each, insert, and where they may be written."""

from template_harness import case

EXPR = "DOC template-expressions.md"
NOTES = "notes 1.4"

CASES = [
    # ---- conditional insertion -------------------------------------------------------------
    case(
        "if-true-sequence",
        f"{EXPR}#conditional-insertion; PG C-E03-122",
        """
        steps:
        - script: echo before
        - ${{ if eq(1, 1) }}:
          - script: echo yes
        - script: echo after
        """,
        expanded="""
        steps:
        - script: echo before
        - script: echo yes
        - script: echo after
        """,
    ),
    case(
        "if-false-sequence",
        "PG C-E03-125",
        """
        steps:
        - script: echo before
        - ${{ if eq(1, 2) }}:
          - script: echo no
        - script: echo after
        """,
        expanded="""
        steps:
        - script: echo before
        - script: echo after
        """,
    ),
    case(
        "elseif-wins",
        f"{EXPR}#conditional-insertion; PG C-E03-122",
        """
        steps:
        - ${{ if eq(1, 2) }}:
          - script: echo if
        - ${{ elseif eq(2, 2) }}:
          - script: echo elseif
        - ${{ else }}:
          - script: echo else
        """,
        expanded="""
        steps:
        - script: echo elseif
        """,
    ),
    case(
        "else-wins",
        "PG C-E03-124",
        """
        steps:
        - ${{ if eq(1, 2) }}:
          - script: echo if
        - ${{ elseif eq(2, 3) }}:
          - script: echo elseif
        - ${{ else }}:
          - script: echo else
        """,
        expanded="""
        steps:
        - script: echo else
        """,
    ),
    case(
        "if-true-suppresses-else",
        "PG C-E03-124",
        """
        steps:
        - ${{ if true }}:
          - script: echo if
        - ${{ else }}:
          - script: echo else
        """,
        expanded="""
        steps:
        - script: echo if
        """,
    ),
    case(
        "chain-survives-ordinary-sibling",
        "PG C-E03-128 (interrupted-else-sequence)",
        """
        steps:
        - ${{ if eq(1, 2) }}:
          - script: echo not-if
        - script: echo interruption
        - ${{ else }}:
          - script: echo orphan-else-bound-to-if
        """,
        expanded="""
        steps:
        - script: echo interruption
        - script: echo orphan-else-bound-to-if
        """,
    ),
    case(
        "chain-elseif-after-sibling",
        "PG C-E03-128 (interrupted-elseif-sequence)",
        """
        steps:
        - ${{ if eq(1, 2) }}:
          - script: echo not-if
        - script: echo interruption
        - ${{ elseif eq(2, 2) }}:
          - script: echo selected-elseif
        - ${{ else }}:
          - script: echo not-else
        """,
        expanded="""
        steps:
        - script: echo interruption
        - script: echo selected-elseif
        """,
    ),
    case(
        "new-if-starts-new-chain",
        "PG C-E03-127",
        """
        steps:
        - ${{ if eq(1, 2) }}:
          - script: echo first
        - ${{ if eq(2, 2) }}:
          - script: echo second-selected
        - ${{ else }}:
          - script: echo else
        """,
        expanded="""
        steps:
        - script: echo second-selected
        """,
    ),
    case(
        "nested-chain-independent",
        "PG C-E03-126",
        """
        steps:
        - ${{ if true }}:
          - script: echo outer-before
          - ${{ if false }}:
            - script: echo nested-if
          - ${{ elseif true }}:
            - script: echo nested-elseif
          - ${{ else }}:
            - script: echo nested-else
          - script: echo outer-after
        """,
        expanded="""
        steps:
        - script: echo outer-before
        - script: echo nested-elseif
        - script: echo outer-after
        """,
    ),
    case(
        "mapping-conditional",
        f"{EXPR}#conditional-insertion; PG C-E03-123",
        """
        steps:
        - script: echo mapping
          env:
            BEFORE: before
            ${{ if eq(1, 2) }}:
              PICKED: if
            ${{ elseif eq(2, 2) }}:
              PICKED: elseif
              ELSEIF_ONLY: yes
            ${{ else }}:
              PICKED: else
            AFTER: after
        """,
        expanded="""
        steps:
        - script: echo mapping
          env:
            BEFORE: before
            PICKED: elseif
            ELSEIF_ONLY: yes
            AFTER: after
        """,
    ),
    case(
        "mapping-no-match",
        "PG C-E03-125 (mapping-no-match-no-else)",
        """
        steps:
        - script: echo mapping
          env:
            BEFORE: before
            ${{ if eq(1, 2) }}:
              NOT_IF: no
            ${{ elseif eq(2, 3) }}:
              NOT_ELSEIF: no
            AFTER: after
        """,
        final="""
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps:
            - task: CmdLine@2
              env:
                BEFORE: before
                AFTER: after
              inputs:
                script: echo mapping
        """,
    ),
    case(
        "mapping-sequence-body-rejected",
        "PG C-E03-123 (mapping-sequence-body)",
        """
        steps:
        - script: echo x
          env:
            ${{ if eq(1, 1) }}:
              - A
        """,
        error="Expected a mapping",
        at=("azure-pipelines.yml", 5, 7),
    ),
    case(
        "sequence-mapping-body-one-item",
        "PG C-E03-136",
        """
        steps:
        - ${{ if eq(1, 1) }}:
            script: echo wrong-shape
        """,
        expanded="""
        steps:
        - script: echo wrong-shape
        """,
    ),
    case(
        "orphan-else-sequence",
        "PG C-E03-129; RS else-with-colon-exec-error",
        """
        steps:
        - ${{ else }}:
          - script: echo orphan
        """,
        error="The expression directive 'else' is not supported in this context",
        at=("azure-pipelines.yml", 2, 3),
    ),
    case(
        "orphan-elseif-sequence",
        "PG C-E03-129",
        """
        steps:
        - script: echo x
        - ${{ elseif true }}:
          - script: echo orphan
        """,
        error="The expression directive 'elseif' is not supported in this context",
        at=("azure-pipelines.yml", 3, 3),
    ),
    case(
        "orphan-else-mapping",
        "PG C-E03-139",
        """
        variables:
          A: a
          ${{ else }}:
            B: b
        steps:
        - script: echo x
        """,
        error="The expression directive 'else' is not supported in this context",
        at=("azure-pipelines.yml", 3, 3),
    ),
    case(
        "else-after-else",
        "PG C-E03-137; RS else-after-else-error",
        """
        steps:
        - ${{ if false }}:
          - script: echo a
        - ${{ else }}:
          - script: echo b
        - ${{ else }}:
          - script: echo c
        """,
        error="The expression directive 'else' is not supported",
        at=("azure-pipelines.yml", 6, 3),
    ),
    case(
        "elseif-after-else",
        "PG C-E03-130",
        """
        steps:
        - ${{ if false }}:
          - script: echo a
        - ${{ else }}:
          - script: echo b
        - ${{ elseif true }}:
          - script: echo c
        """,
        error="The expression directive 'elseif' is not supported",
    ),
    case(
        "else-in-untaken-body-not-checked",
        "RS else-with-colon-no-error",
        """
        steps:
        - ${{ if false }}:
          - ${{ else }}:
        - ${{ else }}:
          - script: noop
        """,
        expanded="""
        steps:
        - script: noop
        """,
    ),
    case(
        "else-in-taken-body-is-orphan",
        "RS else-with-colon-exec-error",
        """
        steps:
        - ${{ if true }}:
          - ${{ else }}:
        - ${{ else }}:
          - script: noop
        """,
        error="The expression directive 'else' is not supported",
    ),
    case(
        "else-scalar-in-untaken-body",
        "RS else-without-colon-error; PG C-E03-173",
        """
        steps:
        - ${{ if false }}:
          - ${{ else }}
        - ${{ else }}:
          - script: noop
        """,
        error="Unexpected value '${{ else }}'",
        at=("azure-pipelines.yml", 3, 5),
    ),
    case(
        "insert-between-ends-chain",
        "PG C-E03-138 (chain-insert-between)",
        """
        parameters:
        - name: extra
          type: object
          default: {X: x}
        variables:
          ${{ if false }}:
            A: a
          ${{ insert }}: ${{ parameters.extra }}
          ${{ else }}:
            B: b
        steps:
        - script: echo x
        """,
        error="The expression directive 'else' is not supported",
    ),
    case(
        "each-between-ends-chain",
        "PG C-E03-138 (chain-each-between)",
        """
        steps:
        - ${{ if false }}:
          - script: echo a
        - ${{ each x in split('1', ',') }}:
          - script: echo ${{ x }}
        - ${{ else }}:
          - script: echo b
        """,
        error="The expression directive 'else' is not supported",
    ),
    case(
        "elseif-not-evaluated-after-taken",
        "PG C-E03-132",
        """
        steps:
        - ${{ if true }}:
          - script: echo if
        - ${{ elseif lt(1, 'not-a-number') }}:
          - script: echo never
        """,
        expanded="""
        steps:
        - script: echo if
        """,
    ),
    case(
        "untaken-body-not-evaluated",
        "PG C-E03-133",
        """
        parameters:
        - name: a
          type: boolean
          default: false
        steps:
        - ${{ if parameters.a }}:
          - script: echo ${{ parameters.missing }}
        - script: echo ok
        """,
        expanded="""
        parameters:
        - name: a
          type: boolean
          default: false
        steps:
        - script: echo ok
        """,
    ),
    case(
        "condition-missing-parameter",
        "PG C-E03-134",
        """
        steps:
        - ${{ if parameters.missing }}:
          - script: echo x
        """,
        error="Key not found 'missing'",
        at=("azure-pipelines.yml", 2, 21),
    ),
    case(
        "truthiness-primitives",
        "PG C-E03-131; RS null-if-conditional",
        """
        steps:
        - ${{ if 'text' }}:
          - script: echo text
        - ${{ if 1 }}:
          - script: echo one
        - ${{ if '' }}:
          - script: echo empty
        - ${{ if 0 }}:
          - script: echo zero
        - ${{ if variables.absent }}:
          - script: echo absent
        - ${{ if 'False' }}:
          - script: echo string-False-is-true
        - ${{ if 0.0.0.0 }}:
          - script: echo version
        """,
        expanded="""
        steps:
        - script: echo text
        - script: echo one
        - script: echo string-False-is-true
        - script: echo version
        """,
    ),
    case(
        "truthiness-collections",
        "PG C-E03-135",
        """
        parameters:
        - name: items
          type: object
          default: []
        steps:
        - ${{ if parameters.items }}:
          - script: echo empty-list-is-true
        - ${{ if split('a,b', ',') }}:
          - script: echo split
        """,
        steps="""
        - task: CmdLine@2
          inputs: {script: echo empty-list-is-true}
        - task: CmdLine@2
          inputs: {script: echo split}
        """,
    ),
    case(
        "directive-padding-optional",
        "PG C-E03-108",
        """
        steps:
        - ${{if eq(1, 1)}}:
          - script: echo a
        - ${{    if     eq(1, 1)    }}:
          - script: echo b
        """,
        expanded="""
        steps:
        - script: echo a
        - script: echo b
        """,
    ),
    case(
        "keyword-uppercase-not-directive",
        "PG C-E03-100",
        """
        steps:
        - ${{ IF eq(1, 1) }}:
          - script: echo a
        """,
        error="Unexpected symbol: 'eq'",
        at=("azure-pipelines.yml", 2, 10),
    ),
    case(
        "keyword-titlecase-else",
        "PG C-E03-100",
        """
        steps:
        - ${{ if true }}:
          - script: echo a
        - ${{ Else }}:
          - script: echo b
        """,
        error="Unrecognized value: 'Else'",
    ),
    case(
        "if-without-condition",
        "PG C-E03-102",
        """
        steps:
        - ${{ if }}:
          - script: echo a
        """,
        error="Unrecognized value: 'if'",
    ),
    case(
        "else-with-parameters",
        "PG C-E03-101",
        """
        steps:
        - ${{ if false }}:
          - script: echo a
        - ${{ else if eq(1, 1) }}:
          - script: echo b
        """,
        error="Exactly 0 parameter(s) were expected following the directive 'else'. "
        "Actual parameter count: 2",
    ),
    case(
        "insert-with-parameter",
        "PG C-E03-101",
        """
        variables:
          ${{ insert extra }}: {}
        steps:
        - script: x
        """,
        error="Exactly 0 parameter(s) were expected following the directive 'insert'. "
        "Actual parameter count: 1",
    ),
    case(
        "directive-as-value",
        "PG C-E03-112",
        """
        steps:
        - script: ${{ if eq(1, 1) }}
        """,
        error="Unexpected value '${{ if eq(1, 1) }}'",
        at=("azure-pipelines.yml", 2, 11),
    ),
    case(
        "insert-as-value",
        "PG C-E03-173/194",
        """
        steps:
        - script: x
          env:
            KEY: ${{ insert }}
        """,
        error="Unexpected value '${{ insert }}'",
    ),
    case(
        "insert-as-sequence-item",
        "PG C-E03-173",
        """
        steps:
        - ${{ insert }}
        """,
        error="Unexpected value '${{ insert }}'",
    ),
    case(
        "identical-directive-keys-both-applied",
        "PG C-E03-111; notes 1.15",
        """
        variables:
          BASE: '1'
          ${{ if eq(1, 1) }}:
            A: '1'
          ${{ if eq(1, 1) }}:
            B: '1'
        steps:
        - script: x
        """,
        expanded="""
        variables:
          BASE: '1'
          A: '1'
          B: '1'
        steps:
        - script: x
        """,
    ),
    case(
        "works-outside-templates",
        f"{EXPR} 'Conditionals only work when using template syntax'",
        """
        variables:
          ${{ if eq(variables['Build.SourceBranchName'], 'main') }}:
            stageName: prod
          ${{ else }}:
            stageName: dev
        steps:
        - script: echo ${{ variables.stageName }}
        """,
        predefined={"Build.SourceBranchName": "main"},
        expanded="""
        variables:
          stageName: prod
        steps:
        - script: echo prod
        """,
    ),
    case(
        "if-in-pool-demands",
        "PG C-E03-110",
        """
        pool:
          name: mypool
          demands:
          - ${{ if true }}:
            - agent.os -equals Linux
        steps:
        - script: x
        """,
        expanded="""
        pool:
          name: mypool
          demands:
          - agent.os -equals Linux
        steps:
        - script: x
        """,
    ),
    # ---- each --------------------------------------------------------------------------------
    case(
        "each-sequence-scalars",
        f"{EXPR}#each-keyword; PG C-E03-144",
        """
        parameters:
        - name: items
          type: object
          default: [alpha, beta, gamma]
        steps:
        - ${{ each item in parameters.items }}:
          - script: echo ${{ item }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo alpha}}
        - {task: CmdLine@2, inputs: {script: echo beta}}
        - {task: CmdLine@2, inputs: {script: echo gamma}}
        """,
    ),
    case(
        "each-sequence-objects",
        "PG C-E03-144",
        """
        parameters:
        - name: items
          type: object
          default:
          - {name: first, value: one}
          - {name: second, value: two}
        steps:
        - ${{ each item in parameters.items }}:
          - script: echo ${{ item.name }}=${{ item.value }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo first=one}}
        - {task: CmdLine@2, inputs: {script: echo second=two}}
        """,
    ),
    case(
        "each-mapping-pairs-authored-order",
        f"{EXPR}#each-keyword; PG C-E03-145",
        """
        parameters:
        - name: entries
          type: object
          default:
            '10': ten
            '2': two
            '01': leading
            Zulu: z
            alpha: a
        steps:
        - ${{ each pair in parameters.entries }}:
          - script: echo ${{ pair.key }}=${{ pair.value }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo 10=ten}}
        - {task: CmdLine@2, inputs: {script: echo 2=two}}
        - {task: CmdLine@2, inputs: {script: echo 01=leading}}
        - {task: CmdLine@2, inputs: {script: echo Zulu=z}}
        - {task: CmdLine@2, inputs: {script: echo alpha=a}}
        """,
    ),
    case(
        "each-in-mapping-splices-entries",
        "PG C-E03-146",
        """
        parameters:
        - name: entries
          type: object
          default: {FIRST: one, SECOND: two}
        variables:
          BASE: base
          ${{ each pair in parameters.entries }}:
            ${{ pair.key }}: ${{ pair.value }}
        steps:
        - script: x
        """,
        final="""
        parameters:
        - name: entries
          type: object
          default: {FIRST: one, SECOND: two}
        variables:
        - {name: BASE, value: base}
        - {name: FIRST, value: one}
        - {name: SECOND, value: two}
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps:
            - {task: CmdLine@2, inputs: {script: x}}
        """,
    ),
    case(
        "each-nested",
        "PG C-E03-147",
        """
        parameters:
        - name: fruits
          type: object
          default:
          - {name: apple, colors: [red, green]}
          - {name: lemon, colors: [yellow]}
        steps:
        - ${{ each fruit in parameters.fruits }}:
          - ${{ each color in fruit.colors }}:
            - script: echo ${{ fruit.name }}-${{ color }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo apple-red}}
        - {task: CmdLine@2, inputs: {script: echo apple-green}}
        - {task: CmdLine@2, inputs: {script: echo lemon-yellow}}
        """,
    ),
    case(
        "each-empty",
        "PG C-E03-149",
        """
        parameters:
        - name: items
          type: object
          default: []
        steps:
        - script: echo before
        - ${{ each item in parameters.items }}:
          - script: echo ${{ item }}
        - script: echo after
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo before}}
        - {task: CmdLine@2, inputs: {script: echo after}}
        """,
    ),
    case(
        "each-over-null",
        "RS null-each-loop",
        """
        parameters:
        - name: objectArray
          type: object
          default:
          - name: one
            options: [a, b]
          - name: two
        steps:
        - ${{ each item in parameters.objectArray }}:
          - ${{ each option in item.options }}:
            - script: echo ${{ item.name }}-${{ option }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo one-a}}
        - {task: CmdLine@2, inputs: {script: echo one-b}}
        """,
    ),
    case(
        "each-null-parameter",
        "RS null-if-conditional",
        """
        parameters:
        - name: a
          type: object
          default: null
        steps:
        - ${{ each x in parameters.a }}:
          - script: echo ${{ x }}
        - ${{ if parameters.a }}:
          - script: echo wrong
        - ${{ else }}:
          - script: echo ok
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo ok}}
        """,
    ),
    case(
        "each-collection-with-in-in-string",
        "PG C-E03-104/150",
        """
        steps:
        - ${{ each item in split('a in b', ' in ') }}:
          - script: echo ${{ item }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo a}}
        - {task: CmdLine@2, inputs: {script: echo b}}
        """,
    ),
    case(
        "each-collection-in-function-after-separator",
        "PG C-E03-104",
        """
        steps:
        - ${{ each item in split(format('{0}', in('b', 'b')), ',') }}:
          - script: echo ${{ item }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo True}}
        """,
    ),
    case(
        "each-separator-must-be-in",
        "PG C-E03-103",
        """
        steps:
        - ${{ each item on split('a', ',') }}:
          - script: x
        """,
        error="The value 'on' is unexpected. The expected format of an 'each' expression is: "
        "${ each <identifier> in <value> }",
    ),
    case(
        "each-separator-case-sensitive",
        "PG C-E03-103",
        """
        steps:
        - ${{ each item IN split('a', ',') }}:
          - script: x
        """,
        error="The value 'IN' is unexpected",
    ),
    case(
        "each-arity",
        "PG C-E03-101",
        """
        steps:
        - ${{ each a in split('a', ',') extra }}:
          - script: x
        """,
        error="Exactly 3 parameter(s) were expected following the directive 'each'. "
        "Actual parameter count: 4",
    ),
    case(
        "each-variable-named-like-function",
        "PG C-E03-105",
        """
        steps:
        - ${{ each eq in split('a', ',') }}:
          - script: x
        """,
        error="Expected '(' to follow a function: 'eq'",
    ),
    case(
        "each-variable-redefines-context",
        "PG C-E03-106",
        """
        steps:
        - ${{ each variables in split('a', ',') }}:
          - script: x
        """,
        error="The idenfifier 'variables' has already been defined within the current scope",
    ),
    case(
        "each-variable-redefines-outer",
        "PG C-E03-106",
        """
        steps:
        - ${{ each x in split('a', ',') }}:
          - ${{ each X in split('b', ',') }}:
            - script: x
        """,
        error="The idenfifier 'X' has already been defined within the current scope",
    ),
    case(
        "each-variable-folds-case",
        "PG C-E03-107",
        """
        steps:
        - ${{ each ITEM in split('a,b', ',') }}:
          - script: echo ${{ item }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: echo a}}
        - {task: CmdLine@2, inputs: {script: echo b}}
        """,
    ),
    case(
        "each-no-implicit-index",
        "PG C-E03-151",
        """
        steps:
        - ${{ each item in split('a,b', ',') }}:
          - script: echo ${{ index }}
        """,
        error="Unrecognized value: 'index'",
    ),
    case(
        "each-item-index-member-empty",
        "PG C-E03-151",
        """
        parameters:
        - name: items
          type: object
          default: [{n: alpha}, {n: beta}]
        steps:
        - ${{ each item in parameters.items }}:
          - script: echo ${{ item.n }}:${{ item.index }}
        """,
        steps="""
        - {task: CmdLine@2, inputs: {script: 'echo alpha:'}}
        - {task: CmdLine@2, inputs: {script: 'echo beta:'}}
        """,
    ),
    case(
        "each-over-scalar-rejected",
        "notes 1.4 (each iterates sequences or mappings)",
        """
        steps:
        - ${{ each item in 'abc' }}:
          - script: x
        """,
        error="'each' needs a sequence or a mapping",
    ),
    case(
        "each-pair-rebuilds-job",
        f"{EXPR}#iterative-insertion (job.yml example); PG C-E03-141",
        """
        parameters:
        - name: jobs
          type: jobList
          default:
          - job: A
            pool: {vmImage: ubuntu-latest}
            steps:
            - script: echo a
        jobs:
        - ${{ each job in parameters.jobs }}:
          - ${{ each pair in job }}:
              ${{ if ne(pair.key, 'steps') }}:
                ${{ pair.key }}: ${{ pair.value }}
            steps:
            - script: echo pre
            - ${{ job.steps }}
            - script: echo post
        """,
        expanded="""
        parameters:
        - name: jobs
          type: jobList
          default:
          - job: A
            pool: {vmImage: ubuntu-latest}
            steps:
            - script: echo a
        jobs:
        - job: A
          pool: {vmImage: ubuntu-latest}
          steps:
          - script: echo pre
          - script: echo a
          - script: echo post
        """,
    ),
    case(
        "each-pair-key-collision",
        "PG C-E03-171",
        """
        parameters:
        - name: entries
          type: object
          default: {FOO: x}
        variables:
          FOO: literal
          ${{ each pair in parameters.entries }}:
            ${{ pair.key }}: ${{ pair.value }}
        steps:
        - script: x
        """,
        error="'FOO' is already defined",
    ),
    case(
        "each-inside-resources",
        "RS each-inside-resources",
        """
        parameters:
        - name: cons
          type: object
          default:
            test-a: {image: a}
            test-b: {image: b}
            test-d: {}
        resources:
          containers:
          - ${{ each c in parameters.cons }}:
            - ${{ if c.value.image }}:
              - container: ${{ c.key }}
                image: ${{ c.value.image }}
        steps:
        - bash: echo ok
        """,
        expanded="""
        parameters:
        - name: cons
          type: object
          default:
            test-a: {image: a}
            test-b: {image: b}
            test-d: {}
        resources:
          containers:
          - {container: test-a, image: a}
          - {container: test-b, image: b}
        steps:
        - bash: echo ok
        """,
    ),
    # ---- insert -------------------------------------------------------------------------------
    case(
        "insert-object",
        f"{EXPR}#insertion; PG C-E03-161/163",
        """
        parameters:
        - name: additionalVariables
          type: object
          default: {MID_A: a, MID_B: b}
        variables:
          BEFORE: before
          ${{ insert }}: ${{ parameters.additionalVariables }}
          AFTER: after
        steps:
        - script: x
        """,
        expanded="""
        parameters:
        - name: additionalVariables
          type: object
          default: {MID_A: a, MID_B: b}
        variables:
          BEFORE: before
          MID_A: a
          MID_B: b
          AFTER: after
        steps:
        - script: x
        """,
    ),
    case(
        "insert-literal-mapping",
        "PG C-E03-164",
        """
        steps:
        - script: x
          env:
            BEFORE: b
            ${{ insert }}:
              LIT_A: a
              LIT_B: ${{ 'b' }}
            AFTER: a
        """,
        steps="""
        - task: CmdLine@2
          env: {BEFORE: b, LIT_A: a, LIT_B: b, AFTER: a}
          inputs: {script: x}
        """,
    ),
    case(
        "insert-empty-object",
        "PG C-E03-165",
        """
        parameters:
        - name: extra
          type: object
          default: {}
        steps:
        - script: x
          env:
            BEFORE: b
            ${{ insert }}: ${{ parameters.extra }}
            AFTER: a
        """,
        steps="""
        - task: CmdLine@2
          env: {BEFORE: b, AFTER: a}
          inputs: {script: x}
        """,
    ),
    case(
        "insert-collision-case-insensitive",
        "PG C-E03-169/170",
        """
        parameters:
        - name: extra
          type: object
          default: {foo: inserted}
        steps:
        - script: x
          env:
            FOO: literal
            ${{ insert }}: ${{ parameters.extra }}
        """,
        error="'foo' is already defined",
    ),
    case(
        "insert-two-identical-keys-sequential",
        "PG C-E03-168",
        """
        parameters:
        - name: first
          type: object
          default: {ONE: '1'}
        - name: second
          type: object
          default: {TWO: '2'}
        steps:
        - script: x
          env:
            ${{ insert }}: ${{ parameters.first }}
            ${{ insert }}: ${{ parameters.second }}
        """,
        steps="""
        - task: CmdLine@2
          env: {ONE: '1', TWO: '2'}
          inputs: {script: x}
        """,
    ),
    case(
        "insert-string-rejected",
        "PG C-E03-172",
        """
        parameters:
        - name: extra
          type: string
          default: text
        steps:
        - script: x
          env:
            ${{ insert }}: ${{ parameters.extra }}
        """,
        error="Expected a mapping",
    ),
    case(
        "insert-array-rejected",
        "PG C-E03-172",
        """
        parameters:
        - name: extra
          type: object
          default: [a]
        steps:
        - script: x
          env:
            ${{ insert }}: ${{ parameters.extra }}
        """,
        error="Expected a mapping",
    ),
    case(
        "insert-null-rejected",
        "PG C-E03-172",
        """
        steps:
        - script: x
          env:
            ${{ insert }}:
        """,
        error="Expected a mapping",
    ),
    case(
        "insert-in-job-mapping",
        "PG C-E03-167/179",
        """
        parameters:
        - name: jobProps
          type: object
          default:
            displayName: Nested
            continueOnError: true
            workspace: {clean: all}
        jobs:
        - job: A
          ${{ insert }}: ${{ parameters.jobProps }}
          steps:
          - script: x
        """,
        final="""
        parameters:
        - name: jobProps
          type: object
          default:
            displayName: Nested
            continueOnError: true
            workspace: {clean: all}
        stages:
        - stage: __default
          jobs:
          - job: A
            displayName: Nested
            continueOnError: True
            workspace: {clean: all}
            steps:
            - {task: CmdLine@2, inputs: {script: x}}
        """,
    ),
    case(
        "insert-in-sequence-position-one-item",
        "PG C-E03-174 (sequence-position-valid)",
        """
        parameters:
        - name: step
          type: object
          default: {script: echo merged, displayName: Merged}
        steps:
        - ${{ insert }}: ${{ parameters.step }}
        """,
        steps="""
        - task: CmdLine@2
          displayName: Merged
          inputs: {script: echo merged}
        """,
    ),
    case(
        "insert-inside-if-body",
        "PG C-E03-166 (nested-in-if-body)",
        """
        parameters:
        - name: mid
          type: object
          default: {MID: m}
        steps:
        - script: x
          env:
            BASE: b
            ${{ if true }}:
              PICK: p
              ${{ insert }}: ${{ parameters.mid }}
        """,
        steps="""
        - task: CmdLine@2
          env: {BASE: b, PICK: p, MID: m}
          inputs: {script: x}
        """,
    ),
    case(
        "insert-inside-each",
        "PG C-E03-166 (inside-each)",
        """
        parameters:
        - name: groups
          type: object
          default:
          - {name: one, vars: {G: '1'}}
          - {name: two, vars: {G: '2'}}
        stages:
        - ${{ each group in parameters.groups }}:
          - stage: ${{ group.name }}
            variables:
              ${{ insert }}: ${{ group.vars }}
            jobs:
            - job: J
              steps:
              - script: echo ${{ variables.G }}
        """,
        final="""
        parameters:
        - name: groups
          type: object
          default:
          - {name: one, vars: {G: '1'}}
          - {name: two, vars: {G: '2'}}
        stages:
        - stage: one
          variables: [{name: G, value: '1'}]
          jobs:
          - job: J
            steps: [{task: CmdLine@2, inputs: {script: echo 1}}]
        - stage: two
          variables: [{name: G, value: '2'}]
          jobs:
          - job: J
            steps: [{task: CmdLine@2, inputs: {script: echo 2}}]
        """,
    ),
]
