"""`mlops validate PATH...`: every check of every pipeline, without running anything; a CI gate.

PATH is a pipeline file, a folder (the pipelines in it), or a glob (`'mlops_pipelines/**/*.yml'`,
quoted so that mlops expands it the same way on every shell). Files that a folder or a glob brings in
are validated when they have a pipeline's top-level keys (`stages`, `jobs`, `steps`, `extends`); a file
named explicitly always is. One file that does not expand does not stop the others.

Exit codes: 0 every pipeline is valid (warnings and notes may be listed), 2 an error in any pipeline
(with `--strict`, a warning too), or bad input (no file matched, a malformed option).
"""

from __future__ import annotations

import argparse
import glob
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from emulator import runner
from emulator.cli import validate_formats as formats
from emulator.errors import Location, MlopsError
from emulator.findings import Finding, count
from emulator.recipes import is_pipeline
from emulator.tasks.connections import for_pipeline
from emulator.templates.references import find_repo_root
from emulator.validation import Report, check_decisions
from emulator.validation_cache import cached_validate

FORMATS = ("text", "json", "sarif", "vso")
_STYLE = {"error": "bold red", "warning": "yellow", "note": "cyan"}


def add_arguments(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--var",
        action="append",
        metavar="NAME=VALUE",
        help="a queue-time variable the pipeline's conditions may read (repeatable)",
    )
    sp.add_argument(
        "--var-file",
        action="append",
        type=Path,
        metavar="FILE",
        help="queue-time variables from a YAML mapping (NAME: value); --var wins over it",
    )
    sp.add_argument(
        "--approve",
        action="append",
        metavar="ENV",
        default=[],
        help="check that ENV can be approved in advance, as mlops run --approve ENV (repeatable)",
    )
    sp.add_argument(
        "--reject",
        action="append",
        metavar="ENV",
        default=[],
        help="check that ENV can be rejected in advance, as mlops run --reject ENV (repeatable)",
    )
    sp.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="stdout: text (default), json, sarif (SARIF 2.1.0) or vso (##vso[task.logissue] "
        "lines for Azure DevOps)",
    )
    sp.add_argument(
        "--sarif", type=Path, metavar="FILE", help="also write the findings as SARIF 2.1.0 to FILE"
    )
    sp.add_argument(
        "--junit",
        type=Path,
        metavar="FILE",
        help="also write JUnit XML to FILE (a testcase per pipeline file)",
    )
    sp.add_argument("--strict", action="store_true", help="warnings fail the validation too")


def expand_paths(patterns: Sequence[Path]) -> list[Path]:
    """The files to validate: a file as named (one that is not there is reported with the others), a
    folder's or a glob's pipelines."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        text = str(pattern)
        if pattern.is_dir():
            matches = sorted([*pattern.glob("*.yml"), *pattern.glob("*.yaml")])
        elif glob.has_magic(text) and not pattern.is_file():
            matches = sorted(Path(p) for p in glob.glob(text, recursive=True))
        else:
            found[pattern] = None
            continue
        pipelines = [m for m in matches if m.is_file() and is_pipeline(m)]
        if not pipelines:
            raise MlopsError(
                f"No pipeline matches {pattern}",
                Location(text),
                hint="a pipeline is a YAML file with stages:, jobs:, steps: or extends: at its top",
            )
        found.update(dict.fromkeys(pipelines))
    return list(found)


def _summary(compiled: runner.Compiled, report: Report) -> dict[str, object]:
    p = compiled.pipeline
    return {
        "stages": len(p.stages),
        "jobs": sum(len(s.jobs) for s in p.stages),
        "steps": sum(len(j.all_steps()) for s in p.stages for j in s.jobs),
        "environments": sorted({e.name for s in p.stages for e in s.environments()}),
        "azuremlFiles": [str(f.path) for f in report.azureml_files],
        "notChecked": list(report.skipped),
        "serviceSchema": report.service_schema,
        "noLocalBehaviour": list(report.no_local_behaviour),
        "containerJobs": list(report.container_jobs),
    }


def validate_file(
    path: Path,
    args: argparse.Namespace,
    parameters: dict[str, str],
    repos: dict[str, Path],
    variables: dict[str, str],
) -> formats.FileResult:
    try:
        compiled = runner.compile_pipeline(
            path,
            parameters,
            repos,
            environments_file=args.environments,
            tasks_file=args.tasks,
            variable_groups_file=args.variable_groups,
            check_plan=False,
        )
        root = compiled.expanded.repo_root
        report = cached_validate(
            compiled.pipeline,
            compiled.expanded.document,
            root,
            runner.local_tasks(compiled),
            connections=for_pipeline(path.resolve(), compiled.environments_path, root),
            queue_variables=list(variables),
        )
        decisions = check_decisions(compiled.pipeline, compiled.environments, args.approve, args.reject)
        undeclared, unmapped = compiled.checkout_problems()
        local = [Finding.of(e) for e in undeclared]  # the service refuses a checkout of an undeclared repo
        # Azure accepts these; a local run lacks what they need: a repository's folder, a group's values
        local += [Finding.of(e, severity="warning") for e in [*unmapped, *compiled.undefined_groups()]]
    except MlopsError as exc:
        return formats.FileResult(path, (Finding.of(exc),))
    findings = (*decisions, *sorted([*report.findings, *local], key=_position))
    if args.strict:
        findings = tuple(
            Finding("error", f.rule, f.message, f.location, f.expected, f.hint)
            if f.severity == "warning"
            else f
            for f in findings
        )
    return formats.FileResult(path, findings, _summary(compiled, report))


def _position(finding: Finding) -> tuple[str, int, int]:
    """Findings in file order (the checks run one after the other over the whole pipeline)."""
    where = finding.location
    return (where.file, where.line, where.col) if where else ("", 0, 0)


def run(
    args: argparse.Namespace,
    console: Console,
    parameters: dict[str, str],
    repos: dict[str, Path],
    variables: dict[str, str],
) -> int:
    from emulator.cli import write_file

    files = expand_paths(args.pipeline)
    results = [validate_file(path, args, parameters, repos, variables) for path in files]
    root = find_repo_root(files[0].resolve())
    command = shlex.join(["mlops", "validate", *map(str, args.pipeline)])
    if args.sarif:
        write_file(args.sarif, formats.to_sarif(results, root, command).encode("utf-8"))
    if args.junit:
        write_file(args.junit, formats.to_junit(results).encode("utf-8"))
    if args.format == "json":
        sys.stdout.write(formats.to_json(results))
    elif args.format == "sarif":
        sys.stdout.write(formats.to_sarif(results, root, command))
    else:
        if args.format == "vso":
            sys.stdout.write(formats.to_vso(results, root))
            sys.stdout.flush()
        _text(results, console)
    return runner.EXIT_OK if all(r.valid for r in results) else runner.EXIT_BAD_INPUT


def _text(results: Sequence[formats.FileResult], console: Console) -> None:
    """Findings on stderr (with the offending line and a hint), a line per file on stdout."""
    errors = Console(stderr=True, soft_wrap=True, emoji=False)  # echoed source lines stay as written (:x:)
    for result in results:
        for f in result.findings:
            style = _STYLE[f.severity]
            errors.print(f"[{style}]{f.severity}:[/{style}] {escape(f.render())}", highlight=False)
        console.print(_headline(result), highlight=False)
        if result.summary:
            for line in _details(result):
                console.print(f"  {line}", highlight=False)
    if len(results) > 1:
        findings = [f for r in results for f in r.findings]
        valid = sum(1 for r in results if r.valid)
        console.print(
            f"{len(results)} pipelines: {valid} valid, {len(results) - valid} not valid; "
            f"{count(findings, 'error')} error(s), {count(findings, 'warning')} warning(s)",
            highlight=False,
        )


def _headline(result: formats.FileResult) -> str:
    n_errors, n_warnings = count(result.findings, "error"), count(result.findings, "warning")
    warned = f", {n_warnings} warning(s)" if n_warnings else ""
    if not result.valid:
        return f"[red]✘[/red] {escape(str(result.path))} is not valid: {n_errors} error(s){warned}"
    s = result.summary
    envs = s.get("environments") or []
    return (
        f"[green]✔[/green] {escape(str(result.path))} is valid: {s['stages']} stages, {s['jobs']} jobs, "
        f"{s['steps']} steps" + (f"; environments: {', '.join(map(str, envs))}" if envs else "") + warned
    )


def _details(result: formats.FileResult) -> list[str]:
    s = result.summary
    skipped = ", ".join(map(str, s.get("notChecked") or []))
    not_checked = f"; not checked (named at run time): {escape(skipped)}" if skipped else ""
    lines = [f"Azure ML YAML checked (azure-ai-ml): {len(s.get('azuremlFiles') or [])} file(s){not_checked}"]
    schema = (
        f"checked ({escape(str(s['serviceSchema']))})"
        if s.get("serviceSchema")
        else "not checked (set MLOPS_SERVICE_SCHEMA to Azure's service-schema.json)"
    )
    lines.append(f"Azure Pipelines schema: {schema}")
    if s.get("noLocalBehaviour"):
        names = escape(", ".join(map(str, s["noLocalBehaviour"])))
        lines.append(
            "[yellow]no local behaviour[/yellow] (the step fails when it runs, unless tasks.yml "
            f"gives it a stand-in, or --task-policy skip): {names}"
        )
    if s.get("containerJobs"):
        lines.append(
            "[yellow]container jobs[/yellow] (the run fails them: containers are not run locally): "
            f"{escape(', '.join(map(str, s['containerJobs'])))}"
        )
    return lines
