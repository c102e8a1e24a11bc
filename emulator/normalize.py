"""Bring an expanded pipeline into the shape of the service's "full YAML".

What the preview API returns [semantics notes 1.14; PG C-E04-001..037, C-E12-017..021, C-E03-002/003]:
every document is rooted at `stages:` - a steps-only pipeline is wrapped in `stage: __default` /
`job: Job` (root job properties such as `pool` move into that job), a jobs-only one in
`stage: __default`; `script:` becomes `task: CmdLine@2`, `bash:` `task: Bash@3` with
`targetType: inline`, `pwsh:`/`powershell:` `PowerShell@2` (told apart by `pwsh: true`), and
`workingDirectory`/`failOnStderr` move into the inputs; variables mappings become `{name, value}`
lists at every level; `trigger: none` becomes `{enabled: false}` (same for `pr`); a scalar
`dependsOn` becomes a one-item list, `environment: x` becomes `{name: x}`, `container: x`
`{alias: x}`, a step's `target: x` `{container: x}`. The root `parameters:` block is kept.

Two shortcuts are kept in a form the run-time model reads: `checkout:` stays a `checkout:` step and
`publish:`/`download:` become `PublishPipelineArtifact@1`/`DownloadPipelineArtifact@2` (the tasks
that do the same). `final_yaml()` turns those into the service's spelling (task GUIDs) for display.
"""

from __future__ import annotations

from typing import Any

from emulator.errors import Location, PipelineError, did_you_mean
from emulator.yamlio import PLAIN, YMap, YSeq, YStr, location_of, no_cyclic_gc

_BASE_KEYS = {
    "name",
    "parameters",
    "variables",
    "trigger",
    "pr",
    "schedules",
    "resources",
    "lockBehavior",
    "appendCommitMessageToRunName",
}
ROOT_KEYS = {
    "stages": _BASE_KEYS | {"stages", "pool"},
    "jobs": _BASE_KEYS | {"jobs", "pool"},
    "steps": _BASE_KEYS
    | {"steps", "pool", "strategy", "continueOnError", "container", "services", "workspace"},
    "phases": _BASE_KEYS | {"phases"},
}
"""[SCHEMA pipeline: one branch per root list]."""
PIPELINE_KEYS = set().union(*ROOT_KEYS.values()) | {"extends"}
STAGE_KEYS = {
    "stage",
    "group",
    "displayName",
    "pool",
    "dependsOn",
    "condition",
    "variables",
    "jobs",
    "lockBehavior",
    "trigger",
    "isSkippable",
    "templateContext",
    "checks",
}
JOB_KEYS = {
    "job",
    "displayName",
    "dependsOn",
    "condition",
    "continueOnError",
    "timeoutInMinutes",
    "cancelTimeoutInMinutes",
    "variables",
    "strategy",
    "pool",
    "container",
    "services",
    "workspace",
    "uses",
    "steps",
    "templateContext",
}
DEPLOYMENT_KEYS = {
    "deployment",
    "displayName",
    "dependsOn",
    "condition",
    "continueOnError",
    "timeoutInMinutes",
    "cancelTimeoutInMinutes",
    "variables",
    "pool",
    "environment",
    "strategy",
    "workspace",
    "uses",
    "container",
    "services",
    "templateContext",
}
STEP_COMMON_KEYS = {
    "name",
    "displayName",
    "condition",
    "continueOnError",
    "enabled",
    "env",
    "timeoutInMinutes",
    "retryCountOnTaskFailure",
    "target",
}
_SCRIPT_KEYS = {"workingDirectory", "failOnStderr"}
_STEP_SHORTCUTS = {
    "task",
    "script",
    "bash",
    "pwsh",
    "powershell",
    "checkout",
    "download",
    "publish",
    "upload",
    "downloadBuild",
    "getPackage",
    "reviewApp",
    "template",
}
_STEP_EXTRA_KEYS = {
    "task": {"inputs"},
    "script": _SCRIPT_KEYS,
    "bash": _SCRIPT_KEYS,
    "pwsh": _SCRIPT_KEYS | {"errorActionPreference", "ignoreLASTEXITCODE"},
    "powershell": _SCRIPT_KEYS | {"errorActionPreference", "ignoreLASTEXITCODE"},
    "checkout": {
        "clean",
        "fetchDepth",
        "fetchFilter",
        "fetchTags",
        "lfs",
        "persistCredentials",
        "submodules",
        "path",
        "sparseCheckoutDirectories",
        "sparseCheckoutPatterns",
        "workspaceRepo",
    },
    "download": {"artifact", "patterns"},
    "publish": {"artifact"},
    "upload": {"artifact"},
    "downloadBuild": {"artifact", "patterns", "path", "inputs"},
    "getPackage": {"path"},
    "reviewApp": set(),
}
"""[SCHEMA step: the keys of each step form]."""
SCRIPT_TASKS = {"script": "CmdLine@2", "bash": "Bash@3", "pwsh": "PowerShell@2", "powershell": "PowerShell@2"}
TASK_GUIDS = {
    "checkout": "6d15af64-176c-496d-b583-fd2ae21d4df4@1",
    "download": "30f35852-3f7e-4c0c-9a88-e127b4f97211@1",
    "publish": "ecdc45f6-832d-4ad9-b52b-ee49e94659be@1",
}
"""How the service spells the desugared checkout/download/publish steps [PG C-E04-030/032, C-E12-019]."""


def _err(message: str, node: Any, fallback: Location, **kw: Any) -> PipelineError:
    return PipelineError(message, location_of(node) or fallback, **kw)


def _text(value: str, loc: Location | None = None) -> YStr:
    """Text the service writes plain (`false`, `inline`), whatever a YAML loader would type it as."""
    return YStr(value, loc or Location("<normalize>"), PLAIN)


def _check_keys(node: YMap, allowed: set[str], what: str) -> None:
    for key in node:
        if key not in allowed:
            raise PipelineError(
                f"Unexpected value '{key}'",
                node.key_loc(key),
                expected=f"in {what}: " + ", ".join(sorted(allowed)),
                hint=did_you_mean(key, allowed),
            )


def _copy(node: YMap, key: str, out: YMap, value: Any = None) -> None:
    out.set(key, node[key] if value is None else value, node.key_loc(key))


def normalize(doc: YMap) -> YMap:
    """The expanded document in full-YAML shape (a new tree; the input is not modified)."""
    with no_cyclic_gc():
        return _normalize(doc)


def _normalize(doc: YMap) -> YMap:
    kinds = [k for k in ("stages", "jobs", "steps", "phases") if k in doc]
    if len(kinds) != 1:
        if not kinds:
            unknown = [k for k in doc if k not in PIPELINE_KEYS]
            if unknown:
                _check_keys(doc, PIPELINE_KEYS, "the pipeline")
            raise PipelineError(
                "A pipeline needs exactly one of 'stages', 'jobs' or 'steps'",
                doc.loc,
                expected="stages:, jobs: or steps: (or extends: a template that has them)",
            )
        raise PipelineError(
            f"Unexpected value '{kinds[1]}'",
            doc.key_loc(kinds[1]),
            hint=f"a pipeline has one of stages, jobs or steps; this one already has '{kinds[0]}'",
        )
    kind = kinds[0]
    _check_keys(doc, ROOT_KEYS[kind], "the pipeline")
    out = YMap(doc.loc)
    for key in ("parameters", "name"):
        if key in doc:
            _copy(doc, key, out)
    if "variables" in doc:
        _copy(doc, "variables", out, variables(doc["variables"], doc.loc))
    for key in ("trigger", "pr"):
        if key in doc:
            value = doc[key]
            if isinstance(value, str) and value.strip().lower() == "none":
                value = YMap(doc.key_loc(key), {"enabled": _text("false", doc.key_loc(key))})
            out.set(key, value, doc.key_loc(key))
    for key in ("schedules", "resources", "lockBehavior", "appendCommitMessageToRunName"):
        if key in doc:
            _copy(doc, key, out)
    if kind == "stages":
        stage_list = doc["stages"]
        if "pool" in doc:
            _copy(doc, "pool", out)
    elif kind in ("jobs", "phases"):
        stage = YMap(doc.key_loc(kind))
        stage.set("stage", _text("__default"))
        if "pool" in doc:
            _copy(doc, "pool", stage)
        stage.set("jobs", doc[kind], doc.key_loc(kind))
        stage_list = YSeq(doc.loc, [stage])
    else:
        job = YMap(doc.key_loc("steps"))
        job.set("job", _text("Job"))
        for key in ("pool", "workspace", "container", "services", "strategy", "continueOnError"):
            if key in doc:
                _copy(doc, key, job)
        job.set("steps", doc["steps"], doc.key_loc("steps"))
        stage = YMap(doc.key_loc("steps"))
        stage.set("stage", _text("__default"))
        stage.set("jobs", YSeq(doc.loc, [job]))
        stage_list = YSeq(doc.loc, [stage])
    out.set("stages", stages(stage_list, doc.loc), doc.key_loc(kind))
    _check_packages(out)
    return out


def _check_packages(doc: YMap) -> None:
    """`getPackage: alias` needs a `resources.packages` entry of that alias: the service refuses the
    pipeline otherwise with "Cannot find package resource for <alias>" [PG C-E04-035]."""
    resources = doc.get("resources")
    packages = resources.get("packages") if isinstance(resources, dict) else None
    aliases = {str(p.get("package", "")).lower() for p in packages or () if isinstance(p, dict)}

    def walk(node: Any) -> None:
        if isinstance(node, YMap):
            if "getPackage" in node and str(node["getPackage"]).lower() not in aliases:
                raise PipelineError(
                    f"Cannot find package resource for {node['getPackage']}",
                    node.value_loc("getPackage"),
                    hint="declare it under resources.packages (- package: <alias>)",
                )
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(doc.get("stages"))


def variables(node: Any, fallback: Location) -> YSeq:
    """Variables as a list of `{name, value[, readonly]}` / `{group}` items [PG C-E12-016/021]."""
    loc = location_of(node) or fallback
    out = YSeq(loc)
    if node is None or node == "":
        return out
    if isinstance(node, dict):
        for key, value in node.items():
            kloc = node.key_loc(key) if isinstance(node, YMap) else loc
            _check_variable_value(key, value, kloc)
            item = YMap(kloc)
            item.set("name", key, kloc)
            item.set("value", "" if value is None else value, kloc)
            out.append(item)
        return out
    if not isinstance(node, list):
        raise _err("'variables' must be a mapping or a list", node, loc)
    for item in node:
        if not isinstance(item, YMap):
            raise _err(
                "A variable must be a mapping with 'name' and 'value' (or 'group')",
                item,
                loc,
                expected="- name: x\n  value: y",
            )
        if "group" in item:
            _check_keys(item, {"group"}, "a variable group reference")
        elif "name" in item:
            _check_keys(item, {"name", "value", "readonly"}, "a variable")
            _check_variable_value(str(item["name"]), item.get("value"), item.loc)
        else:
            first = next(iter(item), "")
            raise PipelineError(
                f"Unexpected value '{first}'",
                item.key_loc(first) if first else item.loc,
                expected="- name: x\n  value: y  (or - group: name, - template: file)",
            )
        out.append(item)
    return out


def _check_variable_value(name: str, value: Any, loc: Location) -> None:
    if isinstance(value, dict | list):
        shape = "A mapping" if isinstance(value, dict) else "A sequence"
        raise PipelineError(
            f"{shape} was not expected",
            location_of(value) or loc,
            hint=f"variable '{name}' must be text; use convertToJson() to store a structure",
        )


def _seq(node: Any, what: str, loc: Location) -> list[Any]:
    if node is None or node == "":
        return []
    if not isinstance(node, list):
        raise _err(f"'{what}' must be a list", node, loc)
    return node


def _depends_on(value: Any, loc: Location) -> Any:
    """A scalar `dependsOn` is a one-item list [PG C-E12-021]; empty stays empty."""
    if isinstance(value, str) and value != "":
        return YSeq(location_of(value) or loc, [value])
    return value


def _name(value: Any) -> Any:
    """An unnamed stage or job keeps the empty name [PG C-E04-004]."""
    return _text("") if value is None else value


def stages(node: Any, loc: Location) -> YSeq:
    out = YSeq(location_of(node) or loc)
    for item in _seq(node, "stages", loc):
        if not isinstance(item, YMap) or "stage" not in item:
            raise _err(
                "A stage must be a mapping that starts with 'stage:'",
                item,
                loc,
                expected="- stage: Name\n  jobs: ...",
            )
        _check_keys(item, STAGE_KEYS, f"stage '{item.get('stage') or ''}'")
        stage = YMap(item.loc)
        for key, value in item.items():
            if key == "stage":
                value = _name(value)
            elif key == "variables":
                value = variables(value, item.loc)
            elif key == "jobs":
                value = jobs(value, item.loc)
            elif key == "dependsOn":
                value = _depends_on(value, item.loc)
            stage.set(key, value, item.key_loc(key))
        if "jobs" not in stage:
            stage.set("jobs", YSeq(item.loc))
        out.append(stage)
    return out


def jobs(node: Any, loc: Location) -> YSeq:
    out = YSeq(location_of(node) or loc)
    for item in _seq(node, "jobs", loc):
        if not isinstance(item, YMap) or not ({"job", "deployment"} & set(item)):
            raise _err(
                "A job must be a mapping that starts with 'job:' or 'deployment:'",
                item,
                loc,
                expected="- job: Name\n  steps: ...",
            )
        deployment = "deployment" in item
        name = item.get("deployment") if deployment else item.get("job")
        _check_keys(
            item,
            DEPLOYMENT_KEYS if deployment else JOB_KEYS,
            f"{'deployment' if deployment else 'job'} '{name or ''}'",
        )
        job = YMap(item.loc)
        for key, value in item.items():
            if key in ("job", "deployment"):
                value = _name(value)
            elif key == "variables":
                value = variables(value, item.loc)
            elif key == "steps":
                value = steps(value, item.loc)
            elif key == "strategy" and deployment:
                value = deployment_strategy(value, item.loc)
            elif key == "dependsOn":
                value = _depends_on(value, item.loc)
            elif key == "environment":
                value = _environment(value, item.key_loc(key))
            elif key == "container":
                value = _alias(value)
            elif key == "services" and isinstance(value, YMap):
                services = YMap(value.loc)
                for sk, sv in value.items():
                    services.set(sk, _alias(sv), value.key_loc(sk))
                value = services
            job.set(key, value, item.key_loc(key))
        out.append(job)
    return out


def _environment(value: Any, loc: Location) -> Any:
    """`environment: name[.resource]` as the mapping the service returns [PG C-E12-017]; the
    resource split of `name.resource` follows the docs' shorthand [UNVERIFIED in the final YAML]."""
    if isinstance(value, str) and value != "":
        out = YMap(location_of(value) or loc)
        name, dot, resource = str(value).partition(".")
        out.set("name", YStr(name, location_of(value) or loc, PLAIN))
        if dot and resource:
            out.set("resourceName", YStr(resource, location_of(value) or loc, PLAIN))
        return out
    return value


def _alias(value: Any) -> Any:
    """`container: x` (and a service `redis: x`) as `{alias: x}` [PG C-E03-003]."""
    if isinstance(value, str) and value != "":
        return YMap(location_of(value) or Location("<normalize>"), {"alias": value})
    return value


_STRATEGIES = ("runOnce", "rolling", "canary")


def deployment_strategy(node: Any, loc: Location) -> YMap:
    if not isinstance(node, YMap) or len(node) != 1 or next(iter(node)) not in _STRATEGIES:
        raise _err("A deployment 'strategy' needs exactly one of runOnce, rolling or canary", node, loc)
    name = next(iter(node))
    body = node[name]
    if not isinstance(body, YMap):
        raise _err(f"'{name}' must be a mapping of lifecycle hooks", body, node.loc)
    allowed = {"preDeploy", "deploy", "routeTraffic", "postRouteTraffic", "on"}
    allowed |= {"maxParallel"} if name == "rolling" else set()
    allowed |= {"increments"} if name == "canary" else set()
    _check_keys(body, allowed, f"the {name} strategy")
    out_body = YMap(body.loc)
    for key, value in body.items():
        if key in ("preDeploy", "deploy", "routeTraffic", "postRouteTraffic"):
            value = hook(value, key, body.key_loc(key))
        elif key == "on":
            if not isinstance(value, YMap):
                raise _err("'on' must hold 'success' and/or 'failure'", value, body.key_loc(key))
            _check_keys(value, {"success", "failure"}, "'on'")
            on = YMap(value.loc)
            for hk, hv in value.items():
                on.set(hk, hook(hv, hk, value.key_loc(hk)), value.key_loc(hk))
            value = on
        out_body.set(key, value, body.key_loc(key))
    return YMap(node.loc, {name: out_body})


def hook(node: Any, name: str, loc: Location) -> YMap:
    if not isinstance(node, YMap):
        raise _err(f"The '{name}' hook must be a mapping with 'steps'", node, loc)
    _check_keys(node, {"steps", "pool"}, f"the '{name}' hook")
    out = YMap(node.loc)
    for key, value in node.items():
        out.set(key, steps(value, node.loc) if key == "steps" else value, node.key_loc(key))
    return out


def steps(node: Any, loc: Location) -> YSeq:
    out = YSeq(location_of(node) or loc)
    for item in _seq(node, "steps", loc):
        out.append(step(item, loc))
    return out


def step(item: Any, loc: Location) -> YMap:
    """One step in task form: the script shortcuts become their tasks [PG C-E04-030/061/067]."""
    if not isinstance(item, dict):
        raise _err("A step must be a mapping (task:, script:, bash:, checkout: …)", item, loc)
    if not isinstance(item, YMap):
        item = YMap(loc, item)
    if not item:
        raise _err(
            "Expected at least one key-value pair in the mapping",
            item,
            loc,
            expected="a step: task:, script:, bash:, checkout: …",
            hint="an 'if' or 'each' that produced nothing leaves an empty step behind; give the "
            "directive a list ('- ${{ if … }}:' followed by indented '- ' items)",
        )
    kinds = [k for k in item if k in _STEP_SHORTCUTS]
    if len(kinds) != 1:
        first = next(iter(item), "")
        raise PipelineError(
            f"Unexpected value '{first}'" if not kinds else f"Unexpected value '{kinds[1]}'",
            item.key_loc(first) if not kinds else item.key_loc(kinds[1]),
            expected="a step starts with one of: " + ", ".join(sorted(_STEP_SHORTCUTS - {"template"})),
            hint=did_you_mean(first, _STEP_SHORTCUTS)
            if not kinds
            else f"this step already is a '{kinds[0]}' step",
        )
    kind = kinds[0]
    if kind == "template":
        raise PipelineError("A step template reference was not expanded", item.loc)
    _check_keys(item, {kind} | STEP_COMMON_KEYS | _STEP_EXTRA_KEYS[kind], f"a '{kind}' step")
    out = YMap(item.loc)
    out.origin = item.origin
    if kind in SCRIPT_TASKS:
        kloc = item.key_loc(kind)
        out.set("task", _text(SCRIPT_TASKS[kind], kloc), kloc)
        inputs = YMap(kloc)
        if kind != "script":
            inputs.set("targetType", _text("inline", kloc), kloc)
        inputs.set("script", item[kind], kloc)
        if kind == "pwsh":
            inputs.set("pwsh", _text("true", kloc), kloc)
        for key in ("errorActionPreference", "failOnStderr", "ignoreLASTEXITCODE", "workingDirectory"):
            if key in item:
                inputs.set(key, item[key], item.key_loc(key))
        _common(item, out)
        out.set("inputs", inputs, kloc)
        return _order(out)
    if kind in ("publish", "upload"):
        kloc = item.key_loc(kind)
        out.set("task", _text("PublishPipelineArtifact@1", kloc), kloc)
        out.origin = "publish"
        inputs = YMap(kloc, {"targetPath": item[kind]})
        if "artifact" in item:
            inputs.set("artifactName", item["artifact"], item.key_loc("artifact"))
        _common(item, out)
        out.set("inputs", inputs, kloc)
        return _order(out)
    if kind == "download" and str(item["download"] or "").lower() != "none":
        kloc = item.key_loc(kind)
        out.set("task", _text("DownloadPipelineArtifact@2", kloc), kloc)
        out.origin = "download"
        source = str(item["download"] or "")
        build_type = "current" if source.lower() == "current" else "specific"
        inputs = YMap(kloc, {"buildType": _text(build_type, kloc)})
        if source.lower() != "current":
            inputs.set("pipeline", item["download"])
        for src, dst in (("artifact", "artifactName"), ("patterns", "itemPattern")):
            if src in item:
                inputs.set(dst, item[src], item.key_loc(src))
        _common(item, out)
        out.set("inputs", inputs, kloc)
        return _order(out)
    for key, value in item.items():
        if key == "target":
            value = _target(value)
        out.set(key, value, item.key_loc(key))
    return _order(out) if kind == "task" else out


def _common(item: YMap, out: YMap) -> None:
    for key in item:
        if key in STEP_COMMON_KEYS:
            out.set(key, _target(item[key]) if key == "target" else item[key], item.key_loc(key))


def _target(value: Any) -> Any:
    """`target: host` is `{container: host}` [PG C-E04-062]."""
    if isinstance(value, str) and value != "":
        return YMap(location_of(value) or Location("<normalize>"), {"container": value})
    return value


_ORDER = [
    "task",
    "checkout",
    "download",
    "name",
    "displayName",
    "condition",
    "continueOnError",
    "enabled",
    "timeoutInMinutes",
    "retryCountOnTaskFailure",
    "target",
    "env",
    "inputs",
]


def _order(node: YMap) -> YMap:
    out = YMap(node.loc)
    out.origin = node.origin
    for key in sorted(node, key=lambda k: _ORDER.index(k) if k in _ORDER else len(_ORDER)):
        out.set(key, node[key], node.key_loc(key))
    return out


# ---- the service's spelling -------------------------------------------------------------------


def final_yaml(doc: YMap) -> YMap:
    """A normalized document with the desugared shortcuts spelled as the service spells them:
    `checkout:` as task `6d15af64-…@1` with `inputs.repository` (`checkout: none` carries
    `condition: false`), `publish:` as `ecdc45f6-…@1` with `path`/`artifactName`, `download:` as
    `30f35852-…@1` with `alias`/`artifact` [PG C-E04-032, C-E12-019/020]. For display and diffs only:
    the run-time model reads the `normalize()` form."""
    out: YMap = _final(doc)
    return out


def _final(node: Any) -> Any:
    if isinstance(node, YMap):
        if "checkout" in node and "task" not in node:
            return _final_checkout(node)
        origin = node.origin
        if origin in ("publish", "download") and isinstance(node.get("inputs"), dict):
            return _final_artifact(node, origin)
        out = YMap(node.loc)
        for key, value in node.items():
            out.set(key, _final(value), node.key_loc(key))
        return out
    if isinstance(node, YSeq):
        return YSeq(node.loc, [_final(v) for v in node])
    return node


def _final_checkout(node: YMap) -> YMap:
    out = YMap(node.loc)
    kloc = node.key_loc("checkout")
    out.set("task", _text(TASK_GUIDS["checkout"], kloc), kloc)
    inputs = YMap(kloc, {"repository": node["checkout"]})
    for key, value in node.items():
        if key == "checkout":
            continue
        if key in STEP_COMMON_KEYS:
            out.set(key, value, node.key_loc(key))
        else:
            inputs.set(key, value, node.key_loc(key))
    if str(node["checkout"] or "").lower() == "none":
        out.set("condition", _text("false", kloc), kloc)
    out.set("inputs", inputs, kloc)
    return _order(out)


def _final_artifact(node: YMap, origin: str) -> YMap:
    out = YMap(node.loc)
    inputs = node["inputs"]
    new_inputs = YMap(node.key_loc("inputs"))
    if origin == "publish":
        new_inputs.set("path", inputs.get("targetPath"))
        if "artifactName" in inputs:
            new_inputs.set("artifactName", inputs["artifactName"])
    else:
        alias = inputs.get("pipeline") if inputs.get("buildType") == "specific" else "current"
        new_inputs.set("alias", alias)
        if "artifactName" in inputs:
            new_inputs.set("artifact", inputs["artifactName"])
        if "itemPattern" in inputs:
            new_inputs.set("patterns", inputs["itemPattern"])
    for key, value in node.items():
        if key == "task":
            out.set("task", _text(TASK_GUIDS[origin], node.key_loc(key)), node.key_loc(key))
        elif key == "inputs":
            out.set("inputs", new_inputs, node.key_loc(key))
        else:
            out.set(key, value, node.key_loc(key))
    return out
