"""Template references and extends: kinds, paths, repositories, limits, cycles."""

from template_harness import case

T = "DOC templates.md"
STEP = "steps:\n- script: echo {}\n"

CASES = [
    # ---- kinds ----------------------------------------------------------------------------------
    case(
        "step-template",
        f"{T}#step-reuse",
        """
        steps:
        - script: echo before
        - template: templates/npm.yml
        - script: echo after
        """,
        files={"templates/npm.yml": STEP.format("npm")},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo before}}
        - {task: CmdLine@2, inputs: {script: echo npm}}
        - {task: CmdLine@2, inputs: {script: echo after}}
        """,
    ),
    case(
        "job-template",
        f"{T}#job-reuse",
        """
        jobs:
        - template: jobs.yml
          parameters: {name: Linux}
        """,
        files={
            "jobs.yml": """
        parameters:
        - name: name
        jobs:
        - job: ${{ parameters.name }}
          steps:
          - script: echo ${{ parameters.name }}
        """
        },
        final="""
        stages:
        - stage: __default
          jobs:
          - job: Linux
            steps: [{task: CmdLine@2, inputs: {script: echo Linux}}]
        """,
    ),
    case(
        "stage-template",
        f"{T}#stage-reuse",
        """
        stages:
        - template: stage.yml
          parameters: {name: Build}
        - template: stage.yml
          parameters: {name: Test}
        """,
        files={
            "stage.yml": """
        parameters:
        - name: name
        stages:
        - stage: ${{ parameters.name }}
          jobs:
          - job: J
            steps:
            - script: echo ${{ parameters.name }}
        """
        },
        final="""
        stages:
        - stage: Build
          jobs:
          - job: J
            steps: [{task: CmdLine@2, inputs: {script: echo Build}}]
        - stage: Test
          jobs:
          - job: J
            steps: [{task: CmdLine@2, inputs: {script: echo Test}}]
        """,
    ),
    case(
        "variables-template",
        f"{T}#variable-reuse",
        """
        variables:
        - template: vars.yml
        - name: local
          value: l
        steps:
        - script: echo ${{ variables.favoriteVeggie }} ${{ variables.local }}
        """,
        files={
            "vars.yml": """
        variables:
        - name: favoriteVeggie
          value: brussels sprouts
        """
        },
        final="""
        variables:
        - {name: favoriteVeggie, value: brussels sprouts}
        - {name: local, value: l}
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps: [{task: CmdLine@2, inputs: {script: echo brussels sprouts l}}]
        """,
    ),
    case(
        "deprecated-phases-template",
        "SCHEMA jobsTemplate (phases)",
        """
        jobs:
        - template: p.yml
        """,
        files={
            "p.yml": """
        phases:
        - job: A
          steps:
          - script: echo a
        """
        },
        final="""
        stages:
        - stage: __default
          jobs:
          - job: A
            steps: [{task: CmdLine@2, inputs: {script: echo a}}]
        """,
    ),
    case(
        "steps-template-used-as-jobs",
        "SCHEMA jobsTemplate additionalProperties false",
        """
        jobs:
        - template: s.yml
        """,
        files={"s.yml": STEP.format("x")},
        error="Unexpected value 'steps'",
        at=("s.yml", 1, 1),
    ),
    case(
        "variables-template-only-variables",
        f"{T} ('can only be used to define variables')",
        """
        variables:
        - template: v.yml
        steps:
        - script: x
        """,
        files={
            "v.yml": """
        variables:
        - name: a
          value: b
        steps:
        - script: y
        """
        },
        error="Unexpected value 'steps'",
        at=("v.yml", 4, 1),
    ),
    case(
        "template-reference-extra-key",
        "SCHEMA step template {template, parameters}",
        """
        steps:
        - template: s.yml
          displayName: nope
        """,
        files={"s.yml": STEP.format("x")},
        error="Unexpected value 'displayName'",
        at=("azure-pipelines.yml", 3, 3),
    ),
    case(
        "template-in-if-body",
        f"{T}; DOC template-expressions.md#conditional-insertion",
        """
        parameters:
        - name: useNpm
          type: boolean
          default: true
        steps:
        - ${{ if parameters.useNpm }}:
          - template: npm.yml
        """,
        files={"npm.yml": STEP.format("npm")},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo npm}}
        """,
    ),
    case(
        "template-in-each",
        "DOC template-expressions.md#iterative-insertion",
        """
        parameters:
        - name: names
          type: object
          default: [a, b]
        steps:
        - ${{ each n in parameters.names }}:
          - template: t.yml
            parameters: {who: '${{ n }}'}
        """,
        files={"t.yml": "parameters:\n- name: who\nsteps:\n- script: echo ${{ parameters.who }}\n"},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo a}}
        - {task: CmdLine@2, inputs: {script: echo b}}
        """,
    ),
    case(
        "template-path-from-parameter",
        "RS static-template-vars-dynamic-reference",
        """
        parameters:
        - name: templateName
          default: ./vars.yml
        variables:
        - template: ${{ parameters.templateName }}
        - name: ncfg
          value: TEST-${{ variables.buildConfig }}
        steps:
        - bash: ${{ variables.ncfg }}
        """,
        files={"vars.yml": "variables:\n- name: buildConfig\n  value: Release\n"},
        steps="""
        - {task: Bash@3, inputs: {targetType: inline, script: TEST-Release}}
        """,
    ),
    case(
        "template-reference-from-object",
        "RS static-template-vars-fully-dynamic",
        """
        parameters:
        - name: template
          type: object
          default:
            template: vars.yml
            parameters: {prefix: Release}
        variables:
        - ${{ parameters.template }}
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
        "same-file-twice",
        "PG C-E03-209 (diamond-not-cycle)",
        """
        steps:
        - template: leaf.yml
        - template: leaf.yml
        """,
        files={"leaf.yml": STEP.format("leaf")},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo leaf}}
        - {task: CmdLine@2, inputs: {script: echo leaf}}
        """,
    ),
    case(
        "nested-templates",
        "PG C-E12-012; RS relative-paths-should-work",
        """
        steps:
        - template: a/outer.yml
        """,
        files={
            "a/outer.yml": "steps:\n- template: inner.yml\n- script: echo outer\n",
            "a/inner.yml": STEP.format("inner"),
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo inner}}
        - {task: CmdLine@2, inputs: {script: echo outer}}
        """,
    ),
    # ---- paths ----------------------------------------------------------------------------------
    case(
        "relative-to-including-file",
        f"{T}#reference-template-paths; PG C-E03-202",
        """
        steps:
        - template: dir/deep-parent.yml
        """,
        files={"dir/deep-parent.yml": "steps:\n- template: ../leaf.yml\n", "leaf.yml": STEP.format("leaf")},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo leaf}}
        """,
    ),
    case(
        "absolute-from-repo-root",
        f"{T}#reference-template-paths; PG C-E03-195",
        """
        steps:
        - template: dir/deep-abs.yml
        """,
        files={
            "dir/deep-abs.yml": "steps:\n- template: /refs/leaf.yml\n",
            "refs/leaf.yml": STEP.format("abs"),
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo abs}}
        """,
    ),
    case(
        "dot-slash",
        "PG C-E03-199",
        """
        steps:
        - template: ./refs/leaf.yml
        """,
        files={"refs/leaf.yml": STEP.format("dot")},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo dot}}
        """,
    ),
    case(
        "backslashes",
        "PG C-E03-203; RS relative-and-absolute-paths-backslash",
        """
        steps:
        - template: refs\\leaf.yml
        """,
        files={"refs/leaf.yml": STEP.format("backslash")},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo backslash}}
        """,
    ),
    case(
        "pipeline-in-subfolder",
        "PG C-E12-011/012",
        """
        steps:
        - template: steps.yml
        - template: /shared/root.yml
        """,
        main="pipelines/ci.yml",
        files={"pipelines/steps.yml": STEP.format("beside"), "shared/root.yml": STEP.format("root")},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo beside}}
        - {task: CmdLine@2, inputs: {script: echo root}}
        """,
    ),
    case(
        "escape-above-root",
        "PG C-E03-206/200",
        """
        steps:
        - template: ../outside.yml
        """,
        error="The file path //../outside.yml is invalid",
        at=("azure-pipelines.yml", 2, 13),
    ),
    case(
        "escape-above-root-nested",
        "PG C-E03-206",
        """
        steps:
        - template: e/escape.yml
        """,
        files={"e/escape.yml": "steps:\n- template: ../../../outside.yml\n"},
        error="The file path /e/../../../outside.yml is invalid",
        at=("e/escape.yml", 2, 13),
    ),
    case(
        "not-found",
        "PG C-E03-207; notes 1.2",
        """
        steps:
        - template: missing.yml
        """,
        error="File /missing.yml not found in repository self",
        at=("azure-pipelines.yml", 2, 13),
    ),
    case(
        "path-case-sensitive",
        "PG C-E03-204",
        """
        steps:
        - template: LEAF.YML
        """,
        files={"leaf.yml": STEP.format("x")},
        error="File /LEAF.YML not found",
    ),
    case(
        "path-not-trimmed",
        "PG C-E03-205",
        """
        steps:
        - template: "leaf.yml "
        """,
        files={"leaf.yml": STEP.format("x")},
        error="File /leaf.yml  not found",
    ),
    case(
        "empty-reference",
        "SCHEMA nonEmptyString",
        """
        steps:
        - template: ''
        """,
        error="A template reference cannot be empty",
    ),
    # ---- repositories ---------------------------------------------------------------------------
    case(
        "other-repo-alias",
        f"{T}#use-other-repositories",
        """
        resources:
          repositories:
          - repository: templates
            type: github
            name: Contoso/BuildTemplates
        steps:
        - template: common.yml@templates
        """,
        files={"other/common.yml": STEP.format("from-other-repo")},
        repos={"templates": "other"},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo from-other-repo}}
        """,
    ),
    case(
        "alias-case-insensitive",
        "PG C-E03-213",
        """
        resources:
          repositories:
          - repository: templates
            type: git
            name: p/r
        steps:
        - template: common.yml@TEMPLATES
        """,
        files={"other/common.yml": STEP.format("x")},
        repos={"templates": "other"},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo x}}
        """,
    ),
    case(
        "undeclared-alias",
        "PG C-E03-211",
        """
        steps:
        - template: common.yml@nosuchalias
        """,
        error="No repository found by name nosuchalias",
        at=("azure-pipelines.yml", 2, 13),
    ),
    case(
        "alias-first-at",
        "PG C-E03-210",
        """
        steps:
        - template: a.yml@self@self
        """,
        error="No repository found by name self@self",
    ),
    case(
        "empty-alias-is-self",
        "PG C-E03-212",
        """
        steps:
        - template: leaf.yml@
        """,
        files={"leaf.yml": STEP.format("self")},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo self}}
        """,
    ),
    case(
        "crossing-resets-base",
        "PG C-E03-215/216 (cross-bare-inside); notes 1.2",
        """
        resources:
          repositories:
          - {repository: templates, type: git, name: p/t}
        steps:
        - template: cross/outer.yml@templates
        """,
        files={
            "other/cross/outer.yml": "steps:\n- template: leaf.yml\n- template: /root.yml\n",
            "other/cross/leaf.yml": STEP.format("cross-leaf"),
            "other/root.yml": STEP.format("cross-root"),
            "cross/leaf.yml": STEP.format("self-leaf-must-not-be-read"),
        },
        repos={"templates": "other"},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo cross-leaf}}
        - {task: CmdLine@2, inputs: {script: echo cross-root}}
        """,
    ),
    case(
        "self-from-other-repo",
        f"{T} (@self); PG C-E03-197",
        """
        resources:
          repositories:
          - {repository: templates, type: git, name: p/t}
        extends:
          template: base.yml@templates
        """,
        files={
            "other/base.yml": "steps:\n- template: local/steps.yml@self\n",
            "local/steps.yml": STEP.format("from-self"),
        },
        repos={"templates": "other"},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo from-self}}
        """,
    ),
    case(
        "self-relative-crossing-back",
        "PG C-E03-215 (cross-rel-self)",
        """
        resources:
          repositories:
          - {repository: templates, type: git, name: p/t}
        steps:
        - template: cross/rel-self.yml@templates
        """,
        files={"other/cross/rel-self.yml": "steps:\n- template: ../e03-refs/leaf.yml@self\n"},
        repos={"templates": "other"},
        error="The file path /../e03-refs/leaf.yml is invalid",
    ),
    case(
        "alias-without-local-folder",
        "emulator: --repo ALIAS=PATH maps repositories",
        """
        resources:
          repositories:
          - {repository: templates, type: git, name: p/t}
        steps:
        - template: common.yml@templates
        """,
        error="Repository 'templates' has no local folder",
    ),
    # ---- extends --------------------------------------------------------------------------------
    case(
        "extends-basic",
        f"{T}#extend-from-a-template",
        """
        trigger: none
        extends:
          template: start.yml
          parameters:
            buildSteps:
            - bash: echo Test
        """,
        files={
            "start.yml": """
        parameters:
        - name: buildSteps
          type: stepList
          default: []
        stages:
        - stage: secure_buildstage
          jobs:
          - job: secure_buildjob
            steps:
            - script: echo before
            - ${{ parameters.buildSteps }}
        """
        },
        final="""
        trigger: {enabled: false}
        stages:
        - stage: secure_buildstage
          jobs:
          - job: secure_buildjob
            steps:
            - {task: CmdLine@2, inputs: {script: echo before}}
            - {task: Bash@3, inputs: {targetType: inline, script: echo Test}}
        """,
    ),
    case(
        "extends-steps-root",
        "SCHEMA extendsTemplate (steps branch)",
        """
        extends:
          template: base.yml
        """,
        files={"base.yml": STEP.format("base")},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo base}}
        """,
    ),
    case(
        "extends-variables-both",
        "RS extends-variables-error; notes 1.2",
        """
        variables:
          myVar: one
        extends:
          template: base.yml
        """,
        files={"base.yml": "variables:\n  sharedVariable: base\nsteps:\n- script: exit 0\n"},
        error="'variables' is already defined",
        at=("base.yml", 1, 1),
    ),
    case(
        "extends-pipeline-variables-visible",
        "RS extend-variables",
        """
        variables:
          pipeline: value
        extends:
          template: base.yml
        """,
        files={"base.yml": "steps:\n- script: echo ${{ variables.pipeline }}\n"},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo value}}
        """,
    ),
    case(
        "extends-nested",
        "SCHEMA extendsTemplate (extends branch)",
        """
        extends:
          template: middle.yml
          parameters: {who: pipeline}
        """,
        files={
            "middle.yml": """
        parameters:
        - name: who
        extends:
          template: inner.yml
          parameters:
            who: ${{ parameters.who }}-via-middle
        """,
            "inner.yml": """
        parameters:
        - name: who
        steps:
        - script: echo ${{ parameters.who }}
        """,
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo pipeline-via-middle}}
        """,
    ),
    case(
        "extends-resources-merged",
        "RS Pipeline.cs (resources of both joined)",
        """
        resources:
          repositories:
          - {repository: tools, type: git, name: p/tools}
        extends:
          template: base.yml
        """,
        files={
            "base.yml": """
        resources:
          repositories:
          - {repository: other, type: git, name: p/other}
        steps:
        - script: x
        """
        },
        final="""
        resources:
          repositories:
          - {repository: tools, type: git, name: p/tools}
          - {repository: other, type: git, name: p/other}
        stages:
        - stage: __default
          jobs:
          - job: Job
            steps: [{task: CmdLine@2, inputs: {script: x}}]
        """,
    ),
    case(
        "extends-typed-parameters-only",
        "SCHEMA extendsParameters (array)",
        """
        extends:
          template: base.yml
        """,
        files={"base.yml": "parameters:\n  a: b\nsteps:\n- script: x\n"},
        error="A mapping was not expected",
        at=("base.yml", 2, 3),
    ),
    case(
        "extends-unexpected-root-key",
        "SCHEMA extendsTemplate",
        """
        extends:
          template: base.yml
        """,
        files={"base.yml": "pool: {vmImage: ubuntu-latest}\nsteps:\n- script: x\n"},
        error="Unexpected value 'pool'",
        at=("base.yml", 1, 1),
    ),
    case(
        "extends-with-stages-rejected",
        "SCHEMA pipeline (the extends branch has no stages)",
        """
        extends:
          template: base.yml
        stages:
        - stage: A
        """,
        files={"base.yml": STEP.format("x")},
        error="Unexpected value 'stages'",
        at=("azure-pipelines.yml", 3, 1),
    ),
    case(
        "extends-unexpected-parameter",
        "RS typedtemplates-extends; PG C-E03-318",
        """
        extends:
          template: base.yml
          parameters:
            nope: 1
        """,
        files={"base.yml": "parameters:\n- name: p\n  default: x\nsteps:\n- script: x\n"},
        error="Unexpected parameter 'nope'",
        at=("azure-pipelines.yml", 4, 5),
    ),
    case(
        "extends-legacyobject",
        "RS typedtemplates-extends-legacyObject",
        """
        extends:
          template: tmpl.yml
          parameters:
            stages:
            - stage:
              jobs:
              - job:
                condition: false
                steps:
                - script: exit 0
        """,
        files={
            "tmpl.yml": """
        parameters:
        - name: stages
          type: legacyObject
          default: []
        stages:
          - ${{ parameters.stages }}
        """
        },
        final="""
        stages:
        - stage: ''
          jobs:
          - job: ''
            condition: 'false'
            steps: [{task: CmdLine@2, inputs: {script: exit 0}}]
        """,
    ),
    case(
        "extends-extra-key",
        "SCHEMA extends {template, parameters}",
        """
        extends:
          template: base.yml
          pool: x
        """,
        files={"base.yml": STEP.format("x")},
        error="Unexpected value 'pool'",
    ),
    # ---- limits and cycles ----------------------------------------------------------------------
    case(
        "self-cycle",
        "PG C-E03-208; notes limits table (no cycle detection in the service)",
        """
        steps:
        - template: self-cycle.yml
        """,
        files={"self-cycle.yml": "steps:\n- template: self-cycle.yml\n"},
        error="Maximum object depth exceeded: template reference cycle "
        "azure-pipelines.yml -> self-cycle.yml -> self-cycle.yml",
        at=("self-cycle.yml", 2, 13),
    ),
    case(
        "mutual-cycle",
        "PG C-E03-208 (mutual-cycle)",
        """
        steps:
        - template: cycle-a.yml
        """,
        files={
            "cycle-a.yml": "steps:\n- template: cycle-b.yml\n",
            "cycle-b.yml": "steps:\n- template: cycle-a.yml\n",
        },
        error="azure-pipelines.yml -> cycle-a.yml -> cycle-b.yml -> cycle-a.yml",
    ),
    case(
        "recursion-on-data-terminates",
        "DOC template-expressions.md (each over nested objects); limits 100 levels",
        """
        steps:
        - template: tree.yml
          parameters:
            node: {name: root, children: [{name: a, children: [{name: b, children: []}]}]}
        """,
        files={
            "tree.yml": """
        parameters:
        - name: node
          type: object
        steps:
        - script: echo ${{ parameters.node.name }}
        - ${{ each child in parameters.node.children }}:
          - template: tree.yml
            parameters:
              node: ${{ child }}
        """
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo root}}
        - {task: CmdLine@2, inputs: {script: echo a}}
        - {task: CmdLine@2, inputs: {script: echo b}}
        """,
    ),
]


def _chain(depth: int) -> dict[str, str]:
    files = {f"t{i}.yml": f"steps:\n- template: t{i + 1}.yml\n" for i in range(depth)}
    files[f"t{depth}.yml"] = STEP.format("deep")
    return files


def _many(count: int) -> dict[str, str]:
    files = {f"f{i}.yml": STEP.format(i) for i in range(count)}
    return files


CASES += [
    case(
        "nesting-100-levels-ok",
        f"{T} limits (100 levels of nesting)",
        """
        steps:
        - template: t1.yml
        """,
        files={k: v for k, v in _chain(100).items() if k != "t0.yml"},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo deep}}
        """,
    ),
    case(
        "nesting-101-levels-rejected",
        f"{T} limits (100 levels of nesting)",
        """
        steps:
        - template: r.yml
          parameters: {depth: x}
        """,
        files={
            "r.yml": """
        parameters:
        - name: depth
        steps:
        - template: r.yml
          parameters:
            depth: ${{ parameters.depth }}x
        """
        },
        error="No more than 100 levels of template nesting are allowed",
        at=("r.yml", 4, 13),
    ),
    case(
        "files-100-ok",
        f"{T} limits (100 separate YAML files)",
        "steps:\n" + "".join(f"- template: f{i}.yml\n" for i in range(100)),
        files=_many(100),
        expanded="steps:\n" + "".join(f"- script: echo {i}\n" for i in range(100)),
    ),
    case(
        "files-101-rejected",
        f"{T} limits (100 separate YAML files)",
        "steps:\n" + "".join(f"- template: f{i}.yml\n" for i in range(101)),
        files=_many(101),
        error="No more than 100 separate YAML files may be included",
        at=("azure-pipelines.yml", 102, 13),
    ),
    case(
        "size-limit",
        f"{T} limits (20 MB while parsing)",
        """
        steps:
        - template: big.yml
        """,
        files={"big.yml": "steps:\n- script: x\n" + "# " + "x" * (21 * 1024 * 1024) + "\n"},
        error="exceeds the 20 MB",
    ),
]

CASES += [
    case(
        "reference-in-parameter-resolves-from-writer",
        "emulator: a reference resolves from the file "
        "that wrote it (DOC templates.md 'relative to the including file')",
        """
        steps:
        - template: templates/wrap.yml
          parameters:
            inner:
            - template: local/step.yml
        """,
        files={
            "templates/wrap.yml": """
        parameters:
        - name: inner
          type: stepList
        steps:
        - script: echo pre
        - ${{ parameters.inner }}
        """,
            "local/step.yml": STEP.format("local"),
        },
        steps="""
        - {task: CmdLine@2, inputs: {script: echo pre}}
        - {task: CmdLine@2, inputs: {script: echo local}}
        """,
    ),
    case(
        "directive-in-repositories",
        "PG C-E03-110 (pos-if-in-resources-repositories)",
        """
        resources:
          repositories:
          - ${{ if true }}:
            - repository: x
              type: git
              name: p/x
        steps:
        - script: x
        """,
        error="A template expression is not allowed in this context",
        at=("azure-pipelines.yml", 3, 5),
    ),
    case(
        "value-expression-in-repositories",
        "RS ref-expression; notes 1.2 (values expand, directives don't)",
        """
        parameters:
        - name: ref
          default: refs/heads/main
        resources:
          repositories:
          - repository: x
            type: git
            name: p/x
            ref: ${{ parameters.ref }}
        steps:
        - script: x
        """,
        expanded="""
        parameters:
        - name: ref
          default: refs/heads/main
        resources:
          repositories:
          - {repository: x, type: git, name: p/x, ref: refs/heads/main}
        steps:
        - script: x
        """,
    ),
    case(
        "directive-in-trigger",
        "PG C-E03-110 (pos-if-in-trigger)",
        """
        trigger:
          branches:
            ${{ if true }}:
              include: [main]
        steps:
        - script: x
        """,
        error="A mapping was not expected",
        at=("azure-pipelines.yml", 3, 5),
    ),
]

# ---- real-world reference shapes (issue 13 item 1, 5) -------------------------------------------
CASES += [
    case(
        "template-path-expression-with-alias",
        f"{T}#use-other-repositories; DOC template-expressions.md "
        "(expressions in values are expanded before the reference is read); Azure/mlops-templates usage",
        """
        resources:
          repositories:
          - repository: mlops-templates
            type: git
            name: mlops-templates
        variables:
        - name: version
          value: aml-cli-v2
        steps:
        - template: templates/${{ variables.version }}/install.yml@mlops-templates
        """,
        files={"tpl/templates/aml-cli-v2/install.yml": STEP.format("v2")},
        repos={"mlops-templates": "tpl"},
        steps="""
        - {task: CmdLine@2, inputs: {script: echo v2}}
        """,
    ),
    case(
        "nested-template-relative-then-absolute",
        f"{T}#reference-template-paths",
        """
        stages:
        - template: stages/release.yml
        """,
        files={
            "stages/release.yml": "stages:\n- stage: Release\n  jobs:\n  - template: ../jobs/deploy.yml\n",
            "jobs/deploy.yml": "jobs:\n- job: Deploy\n  steps:\n  - template: /steps/run.yml\n",
            "steps/run.yml": STEP.format("run"),
        },
        final="""
        stages:
        - stage: Release
          jobs:
          - job: Deploy
            steps: [{task: CmdLine@2, inputs: {script: echo run}}]
        """,
    ),
]
