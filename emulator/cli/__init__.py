"""`mlops`: the command line. Thin: parses arguments, calls the runner, renders with rich.

Exit codes: 0 succeeded, 1 the pipeline failed, 2 bad input (a located message), 3 paused for approval.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from emulator import runner
from emulator.cli import arguments, listing, render
from emulator.cli import validate as validate_command
from emulator.errors import MlopsError, did_you_mean
from emulator.records import RunRecord
from emulator.report.times import durations
from emulator.runtime.selection import Selection
from emulator.store import runs as runstore
from emulator.store.paths import state_home, writable

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def main(argv: Sequence[str] | None = None) -> int:
    secret_environment = arguments.take_secret_environment()
    args = arguments.build_parser().parse_args(argv)
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
        errors.print(
            f"[bold red]error:[/bold red]{_escape(where)}: {_escape(exc.strerror or str(exc))}",
            highlight=False,
        )
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
            pipeline=args.pipeline,
            parameters=arguments.pairs(args.parameter, "-p"),
            variables=arguments.queue_variables(args),
            repos=arguments.repositories(args),
            approve=args.approve,
            reject=args.reject,
            user=args.user,
            comment=args.comment,
            check_policy=args.check_policy,
            environments_file=args.environments,
            variable_groups_file=args.variable_groups,
            parallel=args.parallel,
            secret_variables=arguments.queue_secrets(args, args.secret_environment),
            task_policy=args.task_policy,
            tasks_file=args.tasks,
            selection=Selection(tuple(args.stage), tuple(args.skip_stage), tuple(args.job)),
        )
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
            run = runner.rerun_failed(
                args.run_id,
                home,
                reporter,
                args.user or runner.default_user(),
                arguments.queue_secrets(args, args.secret_environment),
            )
        return _until_undecided(run, console, args, isinstance(reporter, render.LiveReporter))
    if cmd in ("approve", "reject"):
        decision = "approved" if cmd == "approve" else "rejected"
        entry = runner.decide(
            args.run_id,
            home,
            args.environment,
            decision,
            args.user or runner.default_user(),
            args.comment,
            job=args.job,
        )
        console.print(render.decision_line(args.run_id, entry), highlight=False)
        return runner.EXIT_OK
    if cmd == "validate":
        return validate_command.run(
            args,
            console,
            arguments.pairs(args.parameter, "-p"),
            arguments.repositories(args),
            arguments.queue_variables(args),
        )
    if cmd == "expand":
        compiled = _compile(args)
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

        compiled = _compile(args)
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
                    console.print(
                        f"[red]✘ interrupted[/red]: {_escape(str(summary.get('message')))}", highlight=False
                    )
                for line in render.audit_lines(summary):
                    console.print(line, highlight=False)
            return runner.EXIT_OK
        found = [
            runner.shown(runstore.load(home, r["id"])) if r.get("status") in ("running", "queued") else r
            for r in runstore.list_runs(home)
        ]
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
                raise MlopsError(
                    "mlops recipes show needs a recipe name", None, hint="mlops recipes list shows them"
                )
            sys.stdout.write(recipes.show(args.root, args.name))
            return runner.EXIT_OK
        if args.action == "check":
            problems = recipes.check(args.root)
            sys.stdout.write(recipes.format_problems(problems))
            return runner.EXIT_BAD_INPUT if problems else runner.EXIT_OK
        library = recipes.list_recipes(args.root)
        items = [
            {
                "name": r.name,
                "kind": r.kind,
                "summary": r.summary,
                "required": [p.name for p in r.parameters if p.required],
            }
            for r in library
        ]
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


def _compile(args: argparse.Namespace) -> runner.Compiled:
    """The pipeline of `expand` and `list`, compiled with the files and values their flags name."""
    return runner.compile_pipeline(
        args.pipeline,
        arguments.pairs(args.parameter, "-p"),
        arguments.repositories(args),
        environments_file=args.environments,
        tasks_file=args.tasks,
        variable_groups_file=args.variable_groups,
    )


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

    repos = arguments.repositories(args)
    compiled = runner.compile_pipeline(args.pipeline, arguments.pairs(args.parameter, "-p"), repos)
    files = scaffold.stand_ins(
        compiled.pipeline, args.pipeline.resolve(), compiled.expanded.repo_root, repos, scaffold.user_name()
    )
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
    console.print(
        f"Next: fill in any TODO, then mlops validate {args.pipeline}; mlops run {args.pipeline}",
        highlight=False,
    )
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
                console.print(
                    (run.dir / step["log"]).read_text(encoding="utf-8", errors="replace"),
                    markup=False,
                    highlight=False,
                    end="",
                )
                shown += 1
    if step_filter and not shown:
        raise MlopsError(
            f"No step of run {run.id} with a log matches '{step_filter}'",
            None,
            expected="a part of STAGE / JOB / STEP: " + ("; ".join(labels) or "none"),
            hint=did_you_mean(step_filter, [label.rsplit(" / ", 1)[-1] for label in labels]),
        )
    if not shown:
        console.print(f"Run {run.id} has no step logs yet", highlight=False)
    return runner.EXIT_OK


def _graph(args: argparse.Namespace, home: Path, console: Console) -> int:
    from emulator import graph
    from emulator.report import graph_of_run

    fmt = graph.output_format(str(args.output), args.format) if args.output else (args.format or "mmd")
    if args.pipeline is None and not args.run_id:
        raise MlopsError(
            "mlops graph needs a PIPELINE file or --run RUN",
            None,
            expected="mlops graph PIPELINE -o FILE.(mmd|svg|png) [--run RUN]",
        )
    run = runstore.load(home, args.run_id) if args.run_id else None
    if args.pipeline is not None:
        compiled = runner.compile_pipeline(
            args.pipeline,
            arguments.pairs(args.parameter, "-p"),
            arguments.repositories(args),
            environments_file=args.environments,
        )
        pictured = graph.build_graph(
            compiled.pipeline, compiled.environments, run.data if run else None, title=str(args.pipeline)
        )
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
    console.print(
        f"Wrote {args.output} ({fmt}: {len(pictured.stages)} stages, {jobs} jobs"
        + (f", coloured by run {run.id}" if run else "")
        + ")",
        highlight=False,
    )
    return runner.EXIT_OK


def _report(args: argparse.Namespace, home: Path, console: Console) -> int:
    from emulator.report import html_report, junit_report

    if args.output is None and args.junit is None:
        raise MlopsError(
            "mlops report needs an output",
            None,
            expected="mlops report RUN -o report.html [--junit results.xml]",
        )
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
        raise MlopsError(
            f"Can't write {path}: {exc.strerror or exc}",
            None,
            hint="choose a file in a folder you can write to",
        ) from None
