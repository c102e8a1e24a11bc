"""`mlops`: the command line. Thin: parses arguments, calls the runner, renders with rich.

Exit codes: 0 succeeded, 1 the pipeline failed, 2 bad input (a located message), 3 paused for approval.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from emulator import __version__, runner
from emulator.cli import listing, render
from emulator.cli import validate as validate_command
from emulator.errors import MlopsError, did_you_mean
from emulator.records import RunRecord
from emulator.report.times import durations
from emulator.runtime.selection import Selection
from emulator.store import runs as runstore
from emulator.store.paths import state_home, writable

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
SECRET_ENV_PREFIX = "MLOPS_SECRET_"
ENVIRONMENTS_HELP = "environments file (default: environments.yml beside the pipeline or in mlops_pipelines/)"
GROUPS_HELP = "variable groups file (default: variable-groups.yml beside the pipeline or in mlops_pipelines/)"


def _pairs(values: Sequence[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise MlopsError(f"{flag} expects NAME=VALUE, got '{item}'", None, expected=f"{flag} NAME=VALUE")
        out[name.strip()] = value
    return out


def _secret_file(path: Path) -> dict[str, str]:
    """NAME=VALUE a line; blank lines and # comments are skipped; the value is the rest of the line."""
    from emulator.errors import Location

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise MlopsError(f"Can't read the secret file {path}: {exc}", Location(str(path))) from None
    out: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z0-9_.]+", name.strip()):
            raise MlopsError(f"Line {number} of the secret file is not NAME=VALUE",
                             Location(str(path), number, 1), expected="NAME=VALUE (letters, digits, . and _)")
        out[name.strip()] = value
    return out


def _var_file(path: Path) -> dict[str, str]:
    """Queue-time variables from a YAML mapping of NAME: value (scalars, kept as written)."""
    from emulator.errors import Location
    from emulator.yamlio import YMap, load_file, location_of

    doc = load_file(path, text_scalars=True)
    if doc is None:
        return {}
    if not isinstance(doc, YMap):
        raise MlopsError(f"The variables file {path} is not a mapping",
                         location_of(doc) or Location(str(path)), expected="NAME: value, one a line",
                         hint="e.g. modelName: credit-default")
    out: dict[str, str] = {}
    for name, value in doc.items():
        if not re.fullmatch(r"[A-Za-z0-9_.]+", name):
            raise MlopsError(f"'{name}' is not a variable name", doc.key_loc(name),
                             expected="letters, digits, . and _")
        if isinstance(value, (dict, list)):
            kind = "mapping" if isinstance(value, dict) else "list"
            raise MlopsError(f"Variable {name} must be a single value, not a {kind}",
                             doc.value_loc(name), expected=f"{name}: value",
                             hint="queue-time variables are strings; quote a JSON text to pass one")
        out[name] = "" if value is None else str(value)
    return out


def _queue_variables(args: argparse.Namespace) -> dict[str, str]:
    """Queue-time variables from --var-file (in order), then --var (the later wins)."""
    variables: dict[str, str] = {}
    for path in args.var_file or ():
        variables.update(_var_file(path))
    variables.update(_pairs(args.var, "--var"))
    return variables


def _queue_secrets(args: argparse.Namespace, environ: dict[str, str]) -> dict[str, str]:
    """Secret variables from MLOPS_SECRET_<NAME>, --secret-file and --secret (the later wins)."""
    secrets = {k[len(SECRET_ENV_PREFIX):]: v for k, v in environ.items()
               if k.startswith(SECRET_ENV_PREFIX) and len(k) > len(SECRET_ENV_PREFIX)}
    for path in args.secret_file or ():
        secrets.update(_secret_file(path))
    secrets.update(_pairs(args.secret, "--secret"))
    return secrets


def _take_secret_environment() -> dict[str, str]:
    """MLOPS_SECRET_* leave this process's environment, so no step (nor az job) inherits them."""
    return {k: os.environ.pop(k) for k in list(os.environ) if k.startswith(SECRET_ENV_PREFIX)}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mlops", description="Run Azure Pipelines MLOps recipes locally, "
                                "with Azure DevOps semantics and an emulated Azure ML CLI v2.")
    p.add_argument("--version", action="version", version=f"mlops {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def pipeline_args(sp: argparse.ArgumentParser, many: bool = False) -> None:
        if many:
            sp.add_argument("pipeline", type=Path, nargs="+", metavar="PATH",
                            help="pipeline files, folders or quoted globs ('mlops_pipelines/*.yml')")
        else:
            sp.add_argument("pipeline", type=Path, help="the pipeline YAML file")
        sp.add_argument("-p", "--parameter", action="append", metavar="NAME=VALUE",
                        help="a runtime parameter (repeatable)")
        sp.add_argument("--repo", action="append", metavar="ALIAS=PATH",
                        help="local folder of a repository resource used by template@alias (repeatable)")
        sp.add_argument("--environments", type=Path, metavar="FILE",
                        help=ENVIRONMENTS_HELP)
        sp.add_argument("--tasks", type=Path, metavar="FILE",
                        help="local stand-ins for tasks without local behaviour (default: tasks.yml beside "
                             "the pipeline or in mlops_pipelines/)")
        sp.add_argument("--variable-groups", type=Path, metavar="FILE",
                        help=GROUPS_HELP)

    run = sub.add_parser("run", help="expand and run a pipeline")
    pipeline_args(run)
    run.add_argument("--var", action="append", metavar="NAME=VALUE",
                     help="a queue-time variable (repeatable)")
    run.add_argument("--var-file", action="append", type=Path, metavar="FILE",
                     help="queue-time variables from a YAML mapping (NAME: value); --var wins over it")
    _secret_args(run)
    run.add_argument("--stage", action="append", metavar="NAME", default=[],
                     help="run only this stage (repeatable), as Azure's \"Stages to run\": the others are "
                          "skipped and do not hold back the stages that depend on them; stages with "
                          "isSkippable: false always run")
    run.add_argument("--skip-stage", action="append", metavar="NAME", default=[],
                     help="leave this stage out of the run (repeatable; Azure's \"Stages to run\")")
    run.add_argument("--job", action="append", metavar="[STAGE.]JOB", default=[],
                     help="run only this job (repeatable; an emulator extension: Azure selects stages "
                          "only): other jobs are skipped, stages without a selected job too")
    run.add_argument("--parallel", type=int, metavar="N",
                     help="how many jobs run at once (default: the number of CPU cores)")
    run.add_argument("--approve", action="append", metavar="ENV", default=[],
                     help="approve the checks of environment ENV in advance (repeatable)")
    run.add_argument("--reject", action="append", metavar="ENV", default=[],
                     help="reject the checks of environment ENV in advance (repeatable)")
    run.add_argument("--as", dest="user", metavar="USER",
                     help="who queues the run and decides (default: git user)")
    run.add_argument("--comment", help="comment recorded with --approve/--reject decisions")
    run.add_argument("--check-policy", choices=["pass", "fail", "ask"], default="fail",
                     help="decision for checks the emulator cannot evaluate (default: fail)")
    run.add_argument("--task-policy", choices=["fail", "skip"], default="fail",
                     help="what a step does when its task has no local behaviour and no tasks.yml stand-in "
                          "(default: fail)")
    _output_args(run)

    res = sub.add_parser("resume", help="continue a paused or interrupted run")
    res.add_argument("run_id", metavar="RUN")
    _output_args(res)

    rer = sub.add_parser("rerun", help="a new attempt of a finished run: its failed jobs run again (Azure's "
                         "\"Rerun failed jobs\")")
    rer.add_argument("run_id", metavar="RUN")
    rer.add_argument("--failed", action="store_true", required=True,
                     help="rerun the failed and canceled jobs and what they held back; succeeded jobs keep "
                          "their results and output variables")
    rer.add_argument("--as", dest="user", metavar="USER", help="who reruns (default: git user)")
    _secret_args(rer)
    _output_args(rer)

    for name, verb in (("approve", "approve"), ("reject", "reject")):
        d = sub.add_parser(name, help=f"{verb} the checks a paused run waits on")
        d.add_argument("run_id", metavar="RUN")
        d.add_argument("--environment", "-e", metavar="ENV",
                       help="the environment whose checks the run waits on")
        d.add_argument("--job", metavar="STAGE.JOB",
                       help="the agentless job whose manual validation the run waits on")
        d.add_argument("--as", dest="user", metavar="USER", help="who decides (default: git user)")
        d.add_argument("--comment", default="")

    exp = sub.add_parser("expand", help="print the fully expanded pipeline (the service's full YAML)")
    pipeline_args(exp)
    exp.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of stdout")
    exp.add_argument("--readable", action="store_true",
                     help="keep checkout/publish/download steps readable instead of the service's task ids")

    lst = sub.add_parser("list", help="list a pipeline's stages and jobs: kind, environment, checks and "
                         "approvals, dependencies (as act -l)")
    pipeline_args(lst)
    listing.add_arguments(lst)

    val = sub.add_parser("validate", help="check pipelines without running them (a CI gate: text, JSON, "
                         "SARIF, ##vso lines, JUnit)")
    pipeline_args(val, many=True)
    validate_command.add_arguments(val)

    init = sub.add_parser("init", help="write the local stand-ins a pipeline needs: environments, service "
                          "connections, variable groups, repository folders (never overwrites a file)")
    init.add_argument("pipeline", type=Path, help="the pipeline YAML file")
    init.add_argument("-p", "--parameter", action="append", metavar="NAME=VALUE",
                      help="a runtime parameter (repeatable)")
    init.add_argument("--repo", action="append", metavar="ALIAS=PATH",
                      help="local folder of a repository the pipeline uses (repeatable; written to "
                           "repositories.yml)")

    runs = sub.add_parser("runs", help="list runs or show one")
    listing.add_arguments(runs)
    runs_sub = runs.add_subparsers(dest="runs_command")
    listing.add_arguments(runs_sub.add_parser("list", help="list runs"), nested=True)
    show = runs_sub.add_parser("show", help="show a run")
    show.add_argument("run_id", metavar="RUN")
    show.add_argument("--json", action="store_true")

    logs = sub.add_parser("logs", help="print the logs of a run")
    logs.add_argument("run_id", metavar="RUN")
    logs.add_argument("--step", help="only steps whose name or display name contains this text")

    rec = sub.add_parser("recipes", help="list, show or check the recipe library, or print where it is")
    rec.add_argument("action", nargs="?", choices=["list", "show", "check", "path"], default="list",
                     help="path: the folder of the recipe library that comes with mlops, for "
                          "--repo recipes=$(mlops recipes path)")
    rec.add_argument("name", nargs="?", help="the recipe, for show")
    rec.add_argument("--root", type=Path,
                     help="the repository holding recipes/ (default: . if it has one, else the library that "
                          "comes with mlops)")
    listing.add_arguments(rec)

    eps = sub.add_parser("endpoints", help="list or stop the local online endpoints")
    eps.add_argument("action", nargs="?", choices=["list", "down"], default="list")
    listing.add_arguments(eps)
    sub.add_parser("down", help="stop what the emulator keeps running for the state folder: the online "
                   "endpoints, the MLflow tracking server jobs log to, the resident az worker")

    gr = sub.add_parser("graph", help="draw a pipeline's stages, jobs and gates (Mermaid, SVG or PNG)")
    gr.add_argument("pipeline", type=Path, nargs="?",
                    help="the pipeline YAML file (default with --run: the pipeline the run executed)")
    gr.add_argument("-o", "--output", type=Path, metavar="FILE",
                    help="FILE.mmd, FILE.svg or FILE.png (default: Mermaid text on stdout)")
    gr.add_argument("--format", choices=["mmd", "svg", "png"],
                    help="the format (default: from FILE's extension)")
    gr.add_argument("-p", "--parameter", action="append", metavar="NAME=VALUE",
                    help="a runtime parameter (repeatable)")
    gr.add_argument("--repo", action="append", metavar="ALIAS=PATH",
                    help="local folder of a repository resource used by template@alias (repeatable)")
    gr.add_argument("--environments", type=Path, metavar="FILE",
                    help=ENVIRONMENTS_HELP)
    gr.add_argument("--run", dest="run_id", metavar="RUN",
                    help="colour stages, jobs and gates by this run's results")

    rep = sub.add_parser("report", help="write a run's HTML report or JUnit XML")
    rep.add_argument("run_id", metavar="RUN")
    rep.add_argument("-o", "--output", type=Path, metavar="FILE.html", help="the self-contained HTML report")
    rep.add_argument("--junit", type=Path, metavar="FILE.xml",
                     help="JUnit XML: a testsuite per stage, a testcase per step")
    rep.add_argument("--no-mlflow", action="store_true",
                     help="leave out the model, metrics and plots from MLflow")

    ui = sub.add_parser("ui", help="serve the MLflow UI over the state folder's store on 127.0.0.1")
    ui.add_argument("--port", type=int, default=5000, help="port (default: 5000)")
    return p


def _secret_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--secret", action="append", metavar="NAME=VALUE",
                    help="a queue-time secret variable: masked everywhere, never written to the record "
                         "(other users see a command line in ps: prefer --secret-file or MLOPS_SECRET_NAME)")
    sp.add_argument("--secret-file", action="append", type=Path, metavar="FILE",
                    help="queue-time secret variables from FILE, one NAME=VALUE a line (# comments); "
                         f"also every {SECRET_ENV_PREFIX}NAME=VALUE in the environment")


def _output_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--json", action="store_true", help="print the run record as JSON last on stdout")
    sp.add_argument("-q", "--quiet", action="store_true", help="hide step output (errors and warnings stay)")
    sp.add_argument("-v", "--verbose", action="store_true",
                    help="also show debug lines, and every output line instead of folding it")
    sp.add_argument("--progress", choices=["auto", "live", "plain"], default="auto",
                    help="live tree on a terminal, plain lines otherwise (default: auto; plain when CI=true)")
    sp.add_argument("--no-prompt", action="store_true",
                    help="when the run pauses, do not ask for the decision even on a terminal")


def main(argv: Sequence[str] | None = None) -> int:
    secret_environment = _take_secret_environment()
    args = _parser().parse_args(argv)
    args.secret_environment = secret_environment
    json_mode = bool(getattr(args, "json", False))
    console = Console(stderr=json_mode, soft_wrap=True, emoji=False)
    errors = Console(stderr=True, soft_wrap=True, emoji=False)
    try:
        return _dispatch(args, console)
    except MlopsError as exc:
        errors.print(f"[bold red]error:[/bold red] {_escape(exc.render())}", highlight=False)
        return runner.EXIT_BAD_INPUT
    except KeyboardInterrupt:
        errors.print("[magenta]canceled[/magenta]")
        return runner.EXIT_FAILED
    except OSError as exc:  # a file or folder the command needs can't be used: a message, not a traceback
        where = f" {exc.filename}" if exc.filename else ""
        errors.print(f"[bold red]error:[/bold red]{_escape(where)}: {_escape(exc.strerror or str(exc))}",
                     highlight=False)
        return runner.EXIT_BAD_INPUT


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _dispatch(args: argparse.Namespace, console: Console) -> int:
    home = state_home()
    cmd = args.command
    if cmd in ("run", "resume", "rerun", "approve", "reject"):
        writable(home)
    if cmd == "run":
        request = runner.RunRequest(
            pipeline=args.pipeline, parameters=_pairs(args.parameter, "-p"),
            variables=_queue_variables(args),
            repos={k: Path(v) for k, v in _pairs(args.repo, "--repo").items()}, approve=args.approve,
            reject=args.reject, user=args.user, comment=args.comment, check_policy=args.check_policy,
            environments_file=args.environments, variable_groups_file=args.variable_groups,
            parallel=args.parallel, secret_variables=_queue_secrets(args, args.secret_environment),
            task_policy=args.task_policy, tasks_file=args.tasks,
            selection=Selection(tuple(args.stage), tuple(args.skip_stage), tuple(args.job)))
        with render.make_reporter(console, args.quiet, args.verbose, args.progress) as reporter:
            run = runner.start(request, home, reporter)
        return _until_undecided(run, console, args, isinstance(reporter, render.LiveReporter))
    if cmd == "resume":
        runner.check_resumable(runstore.load(home, args.run_id))
        console.print(f"Resuming run {args.run_id}", highlight=False)
        with render.make_reporter(console, args.quiet, args.verbose, args.progress) as reporter:
            run = runner.resume(args.run_id, home, reporter)
        return _until_undecided(run, console, args, isinstance(reporter, render.LiveReporter))
    if cmd == "rerun":
        console.print(f"Rerunning the failed jobs of run {args.run_id}", highlight=False)
        with render.make_reporter(console, args.quiet, args.verbose, args.progress) as reporter:
            run = runner.rerun_failed(args.run_id, home, reporter, args.user or runner.default_user(),
                                      _queue_secrets(args, args.secret_environment))
        return _until_undecided(run, console, args, isinstance(reporter, render.LiveReporter))
    if cmd in ("approve", "reject"):
        decision = "approved" if cmd == "approve" else "rejected"
        entry = runner.decide(args.run_id, home, args.environment, decision,
                              args.user or runner.default_user(), args.comment, job=args.job)
        console.print(render.decision_line(args.run_id, entry), highlight=False)
        return runner.EXIT_OK
    if cmd == "validate":
        return validate_command.run(args, console, _pairs(args.parameter, "-p"),
                                    {k: Path(v) for k, v in _pairs(args.repo, "--repo").items()},
                                    _queue_variables(args))
    if cmd == "expand":
        compiled = runner.compile_pipeline(args.pipeline, _pairs(args.parameter, "-p"),
                                           {k: Path(v) for k, v in _pairs(args.repo, "--repo").items()},
                                           environments_file=args.environments, tasks_file=args.tasks,
                                           variable_groups_file=args.variable_groups)
        from emulator.normalize import final_yaml
        from emulator.yamlio import dumps

        text = dumps(compiled.document if args.readable else final_yaml(compiled.document))
        if args.output:
            args.output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return runner.EXIT_OK
    if cmd == "init":
        return _init(args, console)
    if cmd == "list":
        from emulator import graph
        from emulator.cli import outline

        compiled = runner.compile_pipeline(args.pipeline, _pairs(args.parameter, "-p"),
                                           {k: Path(v) for k, v in _pairs(args.repo, "--repo").items()},
                                           environments_file=args.environments, tasks_file=args.tasks,
                                           variable_groups_file=args.variable_groups)
        rows = outline.items(graph.build_graph(compiled.pipeline, compiled.environments))
        listing.show(console, rows, args, outline.table(rows, str(args.pipeline)))
        return runner.EXIT_OK
    if cmd == "runs":
        if getattr(args, "runs_command", None) == "show":
            run = runstore.load(home, args.run_id)
            summary = runner.summary(run)
            if args.json:
                sys.stdout.write(json.dumps(summary, indent=2) + "\n")
            else:
                listing.print_wide(console, render.summary_table(summary, durations(run.data)))
                if summary.get("status") == "interrupted":
                    console.print(f"[red]✘ interrupted[/red]: {_escape(str(summary.get('message')))}",
                                  highlight=False)
                for line in render.audit_lines(summary):
                    console.print(line, highlight=False)
            return runner.EXIT_OK
        found = [runner.shown(runstore.load(home, r["id"])) if r.get("status") in ("running", "queued")
                 else r for r in runstore.list_runs(home)]
        listing.show(console, [_run_item(r) for r in found], args, render.runs_table(found))
        return runner.EXIT_OK
    if cmd == "logs":
        return _logs(home, args.run_id, args.step, console)
    if cmd == "recipes":
        from emulator import recipes

        if args.action == "path":
            sys.stdout.write(f"{recipes.library_root()}\n")
            return runner.EXIT_OK
        if args.root is None:
            args.root = Path(".") if Path("recipes").is_dir() else recipes.library_root()
        if args.action == "show":
            if not args.name:
                raise MlopsError("mlops recipes show needs a recipe name", None,
                                 hint="mlops recipes list shows them")
            sys.stdout.write(recipes.show(args.root, args.name))
            return runner.EXIT_OK
        if args.action == "check":
            problems = recipes.check(args.root)
            sys.stdout.write(recipes.format_problems(problems))
            return runner.EXIT_BAD_INPUT if problems else runner.EXIT_OK
        library = recipes.list_recipes(args.root)
        items = [{"name": r.name, "kind": r.kind, "summary": r.summary,
                  "required": [p.name for p in r.parameters if p.required]} for r in library]
        if getattr(args, "output", None) or getattr(args, "query", None):
            listing.show(console, items, args, render.recipes_table(items))
        else:
            sys.stdout.write(recipes.format_list(library))
        return runner.EXIT_OK
    if cmd == "down" or (cmd == "endpoints" and args.action == "down"):
        for line in _down(home):
            console.print(line, highlight=False)
        return runner.EXIT_OK
    if cmd == "endpoints":
        from emulator.azureml.serving.endpoints import list_endpoints

        endpoints = list_endpoints(home)
        listing.show(console, endpoints, args, render.endpoints_table(endpoints))
        return runner.EXIT_OK
    if cmd == "graph":
        return _graph(args, home, console)
    if cmd == "report":
        return _report(args, home, console)
    if cmd == "ui":
        from emulator.cli.ui import serve

        return serve(home, args.port, console)
    raise AssertionError(cmd)  # pragma: no cover - argparse rejects unknown commands


def _down(home: Path) -> list[str]:
    """Stop what the emulator keeps running for the state folder; a line per thing stopped."""
    from emulator.azureml.compute.tracking_server import stop_server
    from emulator.azureml.context import Context
    from emulator.azureml.resident.client import stop_workers
    from emulator.azureml.serving.endpoints import stop_all_endpoints

    stopped = stop_all_endpoints(home)
    lines = [f"Stopped {len(stopped)} endpoint deployment(s): {', '.join(stopped) or '-'}"]
    if stop_server(Context(home)):
        lines.append("Stopped the MLflow tracking server")
    if workers := stop_workers(home):
        lines.append(f"Stopped {workers} resident az worker(s)")
    return lines


def _run_item(record: RunRecord) -> dict[str, Any]:
    """A run as `mlops runs -o json` lists it."""
    keys = ("id", "pipeline", "status", "result", "requestedBy", "startedAt", "finishedAt", "waiting")
    return {k: record.get(k) for k in keys}


def _init(args: argparse.Namespace, console: Console) -> int:
    from emulator import scaffold
    from emulator.yamlio import display_path

    repos = {k: Path(v) for k, v in _pairs(args.repo, "--repo").items()}
    compiled = runner.compile_pipeline(args.pipeline, _pairs(args.parameter, "-p"), repos)
    files = scaffold.stand_ins(compiled.pipeline, args.pipeline.resolve(), compiled.expanded.repo_root, repos,
                               scaffold.user_name())
    written = {f.path for f in scaffold.write(files)}
    for item in files:
        needs = ", ".join(item.names) or "none"
        where = display_path(item.path)
        if item.path in written:
            console.print(f"[green]✔[/green] wrote {where}: {item.kind} ({needs})", highlight=False)
        elif item.text is None and item.path.is_file():
            lacks = f"; it lacks: {', '.join(item.missing)}" if item.missing else ""
            console.print(f"• kept {where} ({item.kind}: {needs}{lacks})", highlight=False)
        elif item.text is None:
            console.print(f"• no {item.kind} needed", highlight=False)
        else:
            console.print(f"• kept {where}: it appeared while mlops init ran", highlight=False)
    console.print(f"Next: fill in any TODO, then mlops validate {args.pipeline}; mlops run {args.pipeline}",
                  highlight=False)
    return runner.EXIT_OK


def _until_undecided(run: runstore.Run, console: Console, args: argparse.Namespace, live: bool) -> int:
    """Show the result; while the run pauses and someone at the terminal decides, resume it."""
    from emulator.cli import prompt

    gc.freeze()  # this process ends soon: the collector needn't walk the run's objects (10,000 stages: ~1 s)

    code = _finish(run, console, args.json, live)
    while code == runner.EXIT_PAUSED and prompt.interactive(console, args.no_prompt or args.json):
        if not prompt.ask_decision(run, console):
            break
        console.print(f"Resuming run {run.id}", highlight=False)
        with render.make_reporter(console, args.quiet, args.verbose, args.progress) as reporter:
            run = runner.resume(run.id, run.home, reporter)
        code = _finish(run, console, args.json, isinstance(reporter, render.LiveReporter))
    return code


def _finish(run: runstore.Run, console: Console, as_json: bool, live: bool = False) -> int:
    summary = runner.summary(run)
    listing.print_wide(console, render.summary_table(summary, durations(run.data)))
    if summary["result"] == "paused" and summary.get("waiting"):
        banner = render.waiting_banner(run.id, summary["waiting"], render.gate_checks(run.data), boxed=live)
        console.print(banner, highlight=False, soft_wrap=not live)
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    return runner.exit_code(summary["result"])


def _logs(home: Path, run_id: str, step_filter: str | None, console: Console) -> int:
    run = runstore.load(home, run_id)
    shown = 0
    labels: list[str] = []
    for stage in run.data["stages"]:
        for job in stage["jobs"]:
            for step in job["steps"]:
                if not step.get("log"):
                    continue
                label = f"{stage['name']} / {job['name']} / {step.get('displayName') or step['name']}"
                labels.append(label)
                if step_filter and step_filter.lower() not in label.lower():
                    continue
                console.rule(f"{label} ({step.get('result')})")
                sys.stdout.flush()
                console.print((run.dir / step["log"]).read_text(encoding="utf-8", errors="replace"),
                              markup=False, highlight=False, end="")
                shown += 1
    if step_filter and not shown:
        raise MlopsError(f"No step of run {run.id} with a log matches '{step_filter}'", None,
                         expected="a part of STAGE / JOB / STEP: " + ("; ".join(labels) or "none"),
                         hint=did_you_mean(step_filter, [label.rsplit(" / ", 1)[-1] for label in labels]))
    if not shown:
        console.print(f"Run {run.id} has no step logs yet", highlight=False)
    return runner.EXIT_OK


def _graph(args: argparse.Namespace, home: Path, console: Console) -> int:
    from emulator import graph
    from emulator.report import graph_of_run

    fmt = graph.output_format(str(args.output), args.format) if args.output else (args.format or "mmd")
    if args.pipeline is None and not args.run_id:
        raise MlopsError("mlops graph needs a PIPELINE file or --run RUN", None,
                         expected="mlops graph PIPELINE -o FILE.(mmd|svg|png) [--run RUN]")
    run = runstore.load(home, args.run_id) if args.run_id else None
    if args.pipeline is not None:
        compiled = runner.compile_pipeline(args.pipeline, _pairs(args.parameter, "-p"),
                                           {k: Path(v) for k, v in _pairs(args.repo, "--repo").items()},
                                           environments_file=args.environments)
        pictured = graph.build_graph(compiled.pipeline, compiled.environments, run.data if run else None,
                                     title=str(args.pipeline))
    else:
        assert run is not None
        pictured = graph_of_run(run)
    data = graph.render(pictured, fmt)
    if args.output is None:
        if fmt == "png":
            raise MlopsError("PNG is binary: write it to a file", None, expected="-o FILE.png")
        sys.stdout.write(data.decode("utf-8"))
        return runner.EXIT_OK
    write_file(args.output, data)
    jobs = sum(len(s.jobs) for s in pictured.stages)
    console.print(f"Wrote {args.output} ({fmt}: {len(pictured.stages)} stages, {jobs} jobs"
                  + (f", coloured by run {run.id}" if run else "") + ")", highlight=False)
    return runner.EXIT_OK


def _report(args: argparse.Namespace, home: Path, console: Console) -> int:
    from emulator.report import html_report, junit_report

    if args.output is None and args.junit is None:
        raise MlopsError("mlops report needs an output", None,
                         expected="mlops report RUN -o report.html [--junit results.xml]")
    run = runstore.load(home, args.run_id)
    if args.junit is not None:
        write_file(args.junit, junit_report(run).encode("utf-8"))
        console.print(f"Wrote {args.junit} (JUnit XML of run {run.id})", highlight=False)
    if args.output is not None:
        write_file(args.output, html_report(run, home, with_mlflow=not args.no_mlflow).encode("utf-8"))
        console.print(f"Wrote {args.output} (HTML report of run {run.id})", highlight=False)
    return runner.EXIT_OK


def write_file(path: Path, data: bytes) -> None:
    """Write an output file; a folder that can't be written is bad input, not a crash."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise MlopsError(f"Can't write {path}: {exc.strerror or exc}", None,
                         hint="choose a file in a folder you can write to") from None
