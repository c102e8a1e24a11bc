"""Generate emulator/task_catalog/catalog.json: Microsoft's in-box Azure Pipelines tasks.

Two published sources, both MIT-licensed, read here and reduced to the facts the emulator needs (name,
id, major and version, where the task runs, inputs with aliases, required, defaults, allowed values,
visibility rules, output variables); nothing else is copied:

* the task definitions (`Tasks/*/task.json`) of github.com/microsoft/azure-pipelines-tasks, read from a
  local clone or mirror (`--tasks-git DIR`, any git directory: the files are read at its HEAD);
* the pipeline schema the service publishes (microsoft/azure-pipelines-vscode `service-schema.json`,
  `--schema FILE`), which also lists task versions that the repository no longer holds (older majors,
  closed-source server tasks).

A task in both is described by its task.json (the schema renames inputs to their aliases and drops
defaults); a task only in the schema keeps what the schema says. Usage:

    python scripts/generate_task_catalog.py \\
        --schema ../shared/reference/azure-pipelines-service-schema.json \\
        --tasks-git /path/to/azure-pipelines-tasks [-o emulator/task_catalog/catalog.json]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "emulator" / "task_catalog" / "catalog.json"
DEFAULT_RUNS_ON = ["Agent", "DeploymentGroup"]  # what the agent assumes when task.json says nothing


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _input_from_task_json(item: dict[str, Any], groups: dict[str, str]) -> dict[str, Any]:
    kind = str(item.get("type", "string"))
    out: dict[str, Any] = {"name": item["name"], "type": kind}
    if item.get("aliases"):
        out["aliases"] = list(item["aliases"])
    if item.get("required") in (True, "true", "True"):
        out["required"] = True
    if _text(item.get("defaultValue")) != "":
        out["default"] = _text(item["defaultValue"])
    if item.get("visibleRule"):
        out["visibleRule"] = item["visibleRule"]
    group_rule = groups.get(str(item.get("groupName") or item.get("groupname") or "").lower())
    if group_rule:
        out["groupRule"] = group_rule  # the input's group is shown only when this holds
    editable = str((item.get("properties") or {}).get("EditableOptions", "false")).lower() == "true"
    if kind.lower() in ("picklist", "radio") and isinstance(item.get("options"), dict) and not editable:
        out["options"] = list(item["options"])
    return out


def from_task_json(doc: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    version = doc["version"]
    key = f"{doc['name']}@{version['Major']}"
    groups = {
        str(g["name"]).lower(): g["visibleRule"] for g in doc.get("groups") or () if g.get("visibleRule")
    }
    entry: dict[str, Any] = {
        "id": str(doc["id"]).lower(),
        "name": doc["name"],
        "version": f"{version['Major']}.{version['Minor']}.{version['Patch']}",
        "friendlyName": doc.get("friendlyName", doc["name"]),
        "runsOn": list(doc.get("runsOn") or DEFAULT_RUNS_ON),
        "inputs": [_input_from_task_json(i, groups) for i in doc.get("inputs") or ()],
        "source": "task.json",
    }
    outputs = doc.get("outputVariables") or doc.get("OutputVariables") or []
    if outputs:
        entry["outputs"] = [o["name"] for o in outputs]
    if doc.get("deprecated"):
        entry["deprecated"] = True
    return key, entry


def _input_from_schema(name: str, spec: dict[str, Any], required: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": spec.get("type", "pickList" if "enum" in spec else "string")}
    if spec.get("aliases"):
        out["aliases"] = list(spec["aliases"])
    if name in required:
        out["required"] = True
    if "enum" in spec:
        out["options"] = list(spec["enum"])
    return out


def from_schema(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`definitions.task.anyOf[]`: one branch per task version (some listed twice: merged)."""
    tasks: dict[str, dict[str, Any]] = {}
    for branch in schema["definitions"]["task"]["anyOf"]:
        props = branch["properties"]
        key = re.fullmatch(r"\^(.+)\$", props["task"]["pattern"]).group(1)  # type: ignore[union-attr]
        inputs = props.get("inputs", {})
        required = set(inputs.get("required") or ())
        description = str(props["task"].get("description", ""))
        entry = tasks.setdefault(
            key,
            {
                "name": key.split("@")[0],
                "friendlyName": description.split("\n")[0] or key,
                "inputs": [],
                "source": "schema",
            },
        )
        known = {i["name"] for i in entry["inputs"]}
        for name, spec in (inputs.get("properties") or {}).items():
            if name not in known:
                entry["inputs"].append(_input_from_schema(name, spec, required))
        if branch.get("deprecationMessage"):
            entry["deprecated"] = True
    return tasks


def build(schema_path: Path, tasks_git: Path) -> dict[str, Any]:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    tasks = from_schema(schema)
    commit = _git(tasks_git, "rev-parse", "HEAD").strip()
    paths = [
        p
        for p in _git(tasks_git, "ls-tree", "-r", "--name-only", "HEAD", "Tasks").splitlines()
        if re.fullmatch(r"Tasks/[^/]+/task\.json", p)
    ]
    ids: dict[str, str] = {}
    runs_on: dict[str, list[str]] = {}
    for path in paths:
        doc = json.loads(_git(tasks_git, "show", f"HEAD:{path}").lstrip("\ufeff"))
        key, entry = from_task_json(doc)
        entry["file"] = path
        tasks[key] = entry  # task.json wins over the schema's reading of the same version
        ids[entry["name"].lower()] = entry["id"]
        runs_on[entry["name"].lower()] = entry["runsOn"]
    for entry in tasks.values():  # schema-only versions: the id and targets of the task's other majors
        if entry["source"] == "schema":
            name = entry["name"].lower()
            if name in ids:
                entry["id"] = ids[name]
            entry["runsOn"] = runs_on.get(name, DEFAULT_RUNS_ON)
    return {
        "format": 1,
        "generatedBy": "scripts/generate_task_catalog.py",
        "sources": [
            {
                "name": "microsoft/azure-pipelines-tasks",
                "what": "Tasks/*/task.json",
                "commit": commit,
                "license": "MIT",
            },
            {
                "name": "microsoft/azure-pipelines-vscode service-schema.json",
                "what": "definitions.task (task names, inputs, aliases, required, allowed values)",
                "version": str(schema.get("$comment", "")),
                "license": "MIT",
            },
        ],
        "tasks": dict(sorted(tasks.items(), key=lambda kv: kv[0].lower())),
    }


def dumps(catalog: dict[str, Any]) -> str:
    """Compact JSON with one task per line, so a regeneration diffs task by task."""

    def compact(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    head = compact({k: v for k, v in catalog.items() if k != "tasks"})[:-1]
    rows = ",\n".join(f"{compact(k)}:{compact(v)}" for k, v in catalog["tasks"].items())
    return f'{head},"tasks":{{\n{rows}\n}}}}\n'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schema", type=Path, required=True, help="service-schema.json")
    parser.add_argument(
        "--tasks-git",
        type=Path,
        required=True,
        help="a git directory of microsoft/azure-pipelines-tasks (read at HEAD)",
    )
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    args = parser.parse_args(argv)
    catalog = build(args.schema, args.tasks_git)
    args.output.write_text(dumps(catalog), encoding="utf-8")
    sys.stderr.write(f"{len(catalog['tasks'])} task versions written to {args.output}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
