"""Bring an expanded pipeline into the shape of the service's "full YAML".

What the preview API returns [semantics notes 1.14]: a steps-only pipeline is wrapped in
`stage: __default` / `job: Job`, a jobs-only one in `stage: __default`; `script:` becomes
`task: CmdLine@2`, `bash:` becomes `task: Bash@3` with `targetType: inline`, `pwsh:`/`powershell:`
become `PowerShell@2`; a variables mapping becomes a list of `{name, value}`; `trigger: none`
becomes `{enabled: false}` (same for `pr`). The root `parameters:` block is kept.
"""

from __future__ import annotations

from typing import Any

from emulator.errors import Location, PipelineError, did_you_mean
from emulator.yamlio import YMap, YSeq, YStr, location_of

PIPELINE_KEYS = {"name", "parameters", "variables", "trigger", "pr", "schedules", "resources", "stages",
                 "jobs", "steps", "pool", "lockBehavior", "appendCommitMessageToRunName", "extends",
                 "workspace", "container", "services", "strategy", "continueOnError", "timeoutInMinutes",
                 "cancelTimeoutInMinutes", "condition", "templateContext"}
STAGE_KEYS = {"stage", "displayName", "dependsOn", "condition", "variables", "jobs", "lockBehavior",
              "trigger", "isSkippable", "templateContext", "pool"}
JOB_KEYS = {"job", "displayName", "dependsOn", "condition", "continueOnError", "timeoutInMinutes",
            "cancelTimeoutInMinutes", "variables", "pool", "strategy", "steps", "workspace", "container",
            "services", "uses", "templateContext"}
DEPLOYMENT_KEYS = {"deployment", "displayName", "dependsOn", "condition", "continueOnError",
                   "timeoutInMinutes", "cancelTimeoutInMinutes", "variables", "pool", "environment",
                   "strategy", "workspace", "container", "services", "uses", "templateContext"}
STEP_COMMON_KEYS = {"name", "displayName", "condition", "continueOnError", "enabled", "env",
                    "timeoutInMinutes", "retryCountOnTaskFailure", "target"}
_SCRIPT_KEYS = {"workingDirectory", "failOnStderr"}
_STEP_SHORTCUTS = {"task", "script", "bash", "pwsh", "powershell", "checkout", "download", "publish",
                   "downloadBuild", "getPackage", "reviewApp", "template"}
_STEP_EXTRA_KEYS = {
    "task": {"inputs"},
    "script": _SCRIPT_KEYS,
    "bash": _SCRIPT_KEYS,
    "pwsh": _SCRIPT_KEYS | {"errorActionPreference", "ignoreLASTEXITCODE"},
    "powershell": _SCRIPT_KEYS | {"errorActionPreference", "ignoreLASTEXITCODE"},
    "checkout": {"clean", "fetchDepth", "fetchFilter", "fetchTags", "lfs", "persistCredentials", "submodules",
                 "path", "sparseCheckoutDirectories", "sparseCheckoutPatterns", "workspaceRepo"},
    "download": {"artifact", "patterns", "path"},
    "publish": {"artifact"},
    "downloadBuild": {"artifact", "patterns", "path", "inputs"},
    "getPackage": {"path"},
    "reviewApp": set(),
}


def _err(message: str, node: Any, fallback: Location, **kw: Any) -> PipelineError:
    return PipelineError(message, location_of(node) or fallback, **kw)


def _check_keys(node: YMap, allowed: set[str], what: str) -> None:
    for key in node:
        if key not in allowed:
            raise PipelineError(f"Unexpected value '{key}' in {what}", node.key_loc(key),
                                expected=", ".join(sorted(allowed)), hint=did_you_mean(key, allowed))


def normalize(doc: YMap) -> YMap:
    """The expanded document in full-YAML shape (a new tree; the input is not modified)."""
    _check_keys(doc, PIPELINE_KEYS, "the pipeline")
    out = YMap(doc.loc)
    for key in ("parameters", "name"):
        if key in doc:
            out.set(key, doc[key], doc.key_loc(key))
    if "variables" in doc:
        out.set("variables", variables(doc["variables"], doc.loc), doc.key_loc("variables"))
    for key in ("trigger", "pr"):
        if key in doc:
            value = doc[key]
            if isinstance(value, str) and value.strip().lower() == "none":
                value = YMap(doc.key_loc(key), {"enabled": False})
            out.set(key, value, doc.key_loc(key))
    for key in ("schedules", "resources", "lockBehavior", "appendCommitMessageToRunName"):
        if key in doc:
            out.set(key, doc[key], doc.key_loc(key))
    kinds = [k for k in ("stages", "jobs", "steps") if k in doc]
    if len(kinds) != 1:
        raise PipelineError("A pipeline needs exactly one of 'stages', 'jobs' or 'steps'" if not kinds
                            else f"A pipeline can't have both '{kinds[0]}' and '{kinds[1]}'", doc.loc)
    kind = kinds[0]
    if kind == "stages":
        stage_list = doc["stages"]
    elif kind == "jobs":
        stage = YMap(doc.key_loc("jobs"), {"stage": "__default", "jobs": doc["jobs"]})
        for key in ("pool",):
            if key in doc:
                stage.set(key, doc[key])
        stage_list = YSeq(doc.loc, [stage])
    else:
        job = YMap(doc.key_loc("steps"), {"job": "Job"})
        for key in ("pool", "workspace", "container", "services", "strategy", "continueOnError",
                    "timeoutInMinutes", "cancelTimeoutInMinutes", "condition"):
            if key in doc:
                job.set(key, doc[key], doc.key_loc(key))
        job.set("steps", doc["steps"], doc.key_loc("steps"))
        stage_list = YSeq(doc.loc, [YMap(doc.key_loc("steps"), {"stage": "__default", "jobs": YSeq(doc.loc, [job])})])
    if "pool" in doc and kind == "stages":
        out.set("pool", doc["pool"], doc.key_loc("pool"))
    out.set("stages", stages(stage_list, doc.loc), doc.key_loc(kind))
    return out


def variables(node: Any, fallback: Location) -> YSeq:
    """Variables as a list of `{name, value}` / `{group}` items."""
    loc = location_of(node) or fallback
    out = YSeq(loc)
    if node is None:
        return out
    if isinstance(node, dict):
        for key, value in node.items():
            item = YMap(node.key_loc(key) if isinstance(node, YMap) else loc)
            item.set("name", key)
            item.set("value", value)
            out.append(item)
        return out
    if not isinstance(node, list):
        raise _err("'variables' must be a mapping or a sequence", node, loc)
    for item in node:
        if not isinstance(item, dict):
            raise _err("A variable must be a mapping with 'name' and 'value' (or 'group')", item, loc)
        if "group" in item:
            _check_keys(item, {"group"}, "a variable group reference") if isinstance(item, YMap) else None
        elif "name" in item:
            if isinstance(item, YMap):
                _check_keys(item, {"name", "value", "readonly"}, "a variable")
        else:
            raise _err("A variable needs a 'name' (or 'group')", item, loc, expected="- name: x\n  value: y")
        out.append(item)
    return out


def _seq(node: Any, what: str, loc: Location) -> list[Any]:
    if node is None:
        return []
    if not isinstance(node, list):
        raise _err(f"'{what}' must be a sequence", node, loc)
    return node


def stages(node: Any, loc: Location) -> YSeq:
    out = YSeq(location_of(node) or loc)
    for item in _seq(node, "stages", loc):
        if not isinstance(item, YMap) or "stage" not in item:
            raise _err("A stage must be a mapping that starts with 'stage:'", item, loc,
                       expected="- stage: Name\n  jobs: ...")
        _check_keys(item, STAGE_KEYS, f"stage '{item.get('stage')}'")
        stage = YMap(item.loc)
        for key, value in item.items():
            if key == "variables":
                value = variables(value, item.loc)
            elif key == "jobs":
                value = jobs(value, item.loc)
            stage.set(key, value, item.key_loc(key))
        if "jobs" not in stage:
            stage.set("jobs", YSeq(item.loc))
        out.append(stage)
    return out


def jobs(node: Any, loc: Location) -> YSeq:
    out = YSeq(location_of(node) or loc)
    for item in _seq(node, "jobs", loc):
        if not isinstance(item, YMap) or not ({"job", "deployment"} & set(item)):
            raise _err("A job must be a mapping that starts with 'job:' or 'deployment:'", item, loc,
                       expected="- job: Name\n  steps: ...")
        deployment = "deployment" in item
        _check_keys(item, DEPLOYMENT_KEYS if deployment else JOB_KEYS,
                    f"{'deployment' if deployment else 'job'} '{item.get('deployment') or item.get('job')}'")
        job = YMap(item.loc)
        for key, value in item.items():
            if key == "variables":
                value = variables(value, item.loc)
            elif key == "steps":
                value = steps(value, item.loc)
            elif key == "strategy" and deployment:
                value = deployment_strategy(value, item.loc)
            job.set(key, value, item.key_loc(key))
        out.append(job)
    return out


def deployment_strategy(node: Any, loc: Location) -> YMap:
    if not isinstance(node, YMap) or len(node) != 1 or next(iter(node)) not in ("runOnce", "rolling", "canary"):
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
    """One step in task form: script/bash/pwsh/powershell shortcuts become their tasks."""
    if not isinstance(item, YMap):
        raise _err("A step must be a mapping (task:, script:, bash:, checkout: …)", item, loc)
    kinds = [k for k in item if k in _STEP_SHORTCUTS]
    if len(kinds) != 1:
        first = next(iter(item), "")
        raise PipelineError(
            "A step must start with exactly one of: " + ", ".join(sorted(_STEP_SHORTCUTS - {"template"}))
            if not kinds else f"A step can't have both '{kinds[0]}' and '{kinds[1]}'",
            item.loc, hint=did_you_mean(first, _STEP_SHORTCUTS) if not kinds else None)
    kind = kinds[0]
    if kind == "template":
        raise PipelineError("A step template reference was not expanded", item.loc)
    _check_keys(item, {kind} | STEP_COMMON_KEYS | _STEP_EXTRA_KEYS[kind], f"a '{kind}' step")
    out = YMap(item.loc)
    if kind in ("script", "bash", "pwsh", "powershell"):
        task = {"script": "CmdLine@2", "bash": "Bash@3", "pwsh": "PowerShell@2", "powershell": "PowerShell@2"}[kind]
        out.set("task", YStr(task, item.key_loc(kind)), item.key_loc(kind))
        inputs = YMap(item.key_loc(kind))
        if kind != "script":
            inputs.set("targetType", "inline")
        inputs.set("script", item[kind], item.key_loc(kind))
        if kind == "pwsh":
            inputs.set("pwsh", True)
        for key in sorted(_STEP_EXTRA_KEYS[kind] & set(item)):
            inputs.set(key, item[key], item.key_loc(key))
        for key in item:
            if key in STEP_COMMON_KEYS:
                out.set(key, item[key], item.key_loc(key))
        out.set("inputs", inputs, item.key_loc(kind))
        return _order(out)
    if kind == "publish":
        out.set("task", YStr("PublishPipelineArtifact@1", item.key_loc(kind)), item.key_loc(kind))
        inputs = YMap(item.key_loc(kind), {"targetPath": item["publish"]})
        if "artifact" in item:
            inputs.set("artifactName", item["artifact"], item.key_loc("artifact"))
        for key in item:
            if key in STEP_COMMON_KEYS:
                out.set(key, item[key], item.key_loc(key))
        out.set("inputs", inputs, item.key_loc(kind))
        return _order(out)
    if kind == "download" and str(item["download"]).lower() != "none":
        out.set("task", YStr("DownloadPipelineArtifact@2", item.key_loc(kind)), item.key_loc(kind))
        source = str(item["download"])
        inputs = YMap(item.key_loc(kind), {"buildType": "current" if source.lower() == "current" else "specific"})
        if source.lower() != "current":
            inputs.set("pipeline", source)
        for src, dst in (("artifact", "artifactName"), ("patterns", "itemPattern"), ("path", "targetPath")):
            if src in item:
                inputs.set(dst, item[src], item.key_loc(src))
        for key in item:
            if key in STEP_COMMON_KEYS:
                out.set(key, item[key], item.key_loc(key))
        out.set("inputs", inputs, item.key_loc(kind))
        return _order(out)
    for key, value in item.items():
        out.set(key, value, item.key_loc(key))
    return out


_ORDER = ["task", "checkout", "download", "name", "displayName", "condition", "continueOnError", "enabled",
          "timeoutInMinutes", "retryCountOnTaskFailure", "target", "env", "inputs"]


def _order(node: YMap) -> YMap:
    out = YMap(node.loc)
    for key in sorted(node, key=lambda k: _ORDER.index(k) if k in _ORDER else len(_ORDER)):
        out.set(key, node[key], node.key_loc(key))
    return out
