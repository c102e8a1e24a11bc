"""The command line's grammar (argparse) and the queue-time inputs it reads: `--var`, `--var-file`,
`--secret`, `--secret-file` and `MLOPS_SECRET_<NAME>`."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from pathlib import Path

from emulator import __version__
from emulator.cli import listing
from emulator.cli import validate as validate_command
from emulator.errors import MlopsError

SECRET_ENV_PREFIX = "MLOPS_SECRET_"
ENVIRONMENTS_HELP = "environments file (default: environments.yml beside the pipeline or in mlops_pipelines/)"
GROUPS_HELP = "variable groups file (default: variable-groups.yml beside the pipeline or in mlops_pipelines/)"


def pairs(values: Sequence[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise MlopsError(f"{flag} expects NAME=VALUE, got '{item}'", None, expected=f"{flag} NAME=VALUE")
        out[name.strip()] = value
    return out


def secret_file(path: Path) -> dict[str, str]:
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
            raise MlopsError(
                f"Line {number} of the secret file is not NAME=VALUE",
                Location(str(path), number, 1),
                expected="NAME=VALUE (letters, digits, . and _)",
            )
        out[name.strip()] = value
    return out


def var_file(path: Path) -> dict[str, str]:
    """Queue-time variables from a YAML mapping of NAME: value (scalars, kept as written)."""
    from emulator.errors import Location
    from emulator.yamlio import YMap, load_file, location_of

    doc = load_file(path, text_scalars=True)
    if doc is None:
        return {}
    if not isinstance(doc, YMap):
        raise MlopsError(
            f"The variables file {path} is not a mapping",
            location_of(doc) or Location(str(path)),
            expected="NAME: value, one a line",
            hint="e.g. modelName: credit-default",
        )
    out: dict[str, str] = {}
    for name, value in doc.items():
        if not re.fullmatch(r"[A-Za-z0-9_.]+", name):
            raise MlopsError(
                f"'{name}' is not a variable name", doc.key_loc(name), expected="letters, digits, . and _"
            )
        if isinstance(value, (dict, list)):
            kind = "mapping" if isinstance(value, dict) else "list"
            raise MlopsError(
                f"Variable {name} must be a single value, not a {kind}",
                doc.value_loc(name),
                expected=f"{name}: value",
                hint="queue-time variables are strings; quote a JSON text to pass one",
            )
        out[name] = "" if value is None else str(value)
    return out


def repositories(args: argparse.Namespace) -> dict[str, Path]:
    """`--repo ALIAS=PATH`: the local folders of the pipeline's other repositories."""
    return {alias: Path(path) for alias, path in pairs(args.repo, "--repo").items()}


def queue_variables(args: argparse.Namespace) -> dict[str, str]:
    """Queue-time variables from --var-file (in order), then --var (the later wins)."""
    variables: dict[str, str] = {}
    for path in args.var_file or ():
        variables.update(var_file(path))
    variables.update(pairs(args.var, "--var"))
    return variables


def queue_secrets(args: argparse.Namespace, environ: dict[str, str]) -> dict[str, str]:
    """Secret variables from MLOPS_SECRET_<NAME>, --secret-file and --secret (the later wins)."""
    secrets = {
        k[len(SECRET_ENV_PREFIX) :]: v
        for k, v in environ.items()
        if k.startswith(SECRET_ENV_PREFIX) and len(k) > len(SECRET_ENV_PREFIX)
    }
    for path in args.secret_file or ():
        secrets.update(secret_file(path))
    secrets.update(pairs(args.secret, "--secret"))
    return secrets


def take_secret_environment() -> dict[str, str]:
    """MLOPS_SECRET_* leave this process's environment, so no step (nor az job) inherits them."""
    return {k: os.environ.pop(k) for k in list(os.environ) if k.startswith(SECRET_ENV_PREFIX)}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mlops",
        description="Run Azure Pipelines MLOps recipes locally, "
        "with Azure DevOps semantics and an emulated Azure ML CLI v2.",
    )
    p.add_argument("--version", action="version", version=f"mlops {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def pipeline_args(sp: argparse.ArgumentParser, many: bool = False) -> None:
        if many:
            sp.add_argument(
                "pipeline",
                type=Path,
                nargs="+",
                metavar="PATH",
                help="pipeline files, folders or quoted globs ('mlops_pipelines/*.yml')",
            )
        else:
            sp.add_argument("pipeline", type=Path, help="the pipeline YAML file")
        compile_args(sp)
        sp.add_argument(
            "--tasks",
            type=Path,
            metavar="FILE",
            help="local stand-ins for tasks without local behaviour (default: tasks.yml beside "
            "the pipeline or in mlops_pipelines/)",
        )
        sp.add_argument("--variable-groups", type=Path, metavar="FILE", help=GROUPS_HELP)

    run = sub.add_parser("run", help="expand and run a pipeline")
    pipeline_args(run)
    run.add_argument(
        "--var", action="append", metavar="NAME=VALUE", help="a queue-time variable (repeatable)"
    )
    run.add_argument(
        "--var-file",
        action="append",
        type=Path,
        metavar="FILE",
        help="queue-time variables from a YAML mapping (NAME: value); --var wins over it",
    )
    secret_args(run)
    run.add_argument(
        "--stage",
        action="append",
        metavar="NAME",
        default=[],
        help='run only this stage (repeatable), as Azure\'s "Stages to run": the others are '
        "skipped and do not hold back the stages that depend on them; stages with "
        "isSkippable: false always run",
    )
    run.add_argument(
        "--skip-stage",
        action="append",
        metavar="NAME",
        default=[],
        help='leave this stage out of the run (repeatable; Azure\'s "Stages to run")',
    )
    run.add_argument(
        "--job",
        action="append",
        metavar="[STAGE.]JOB",
        default=[],
        help="run only this job (repeatable; an emulator extension: Azure selects stages "
        "only): other jobs are skipped, stages without a selected job too",
    )
    run.add_argument(
        "--parallel",
        type=int,
        metavar="N",
        help="how many jobs run at once (default: the number of CPU cores)",
    )
    run.add_argument(
        "--approve",
        action="append",
        metavar="ENV",
        default=[],
        help="approve the checks of environment ENV in advance (repeatable)",
    )
    run.add_argument(
        "--reject",
        action="append",
        metavar="ENV",
        default=[],
        help="reject the checks of environment ENV in advance (repeatable)",
    )
    run.add_argument(
        "--as", dest="user", metavar="USER", help="who queues the run and decides (default: git user)"
    )
    run.add_argument("--comment", help="comment recorded with --approve/--reject decisions")
    run.add_argument(
        "--check-policy",
        choices=["pass", "fail", "ask"],
        default="fail",
        help="decision for checks the emulator cannot evaluate (default: fail)",
    )
    run.add_argument(
        "--task-policy",
        choices=["fail", "skip"],
        default="fail",
        help="what a step does when its task has no local behaviour and no tasks.yml stand-in "
        "(default: fail)",
    )
    output_args(run)

    res = sub.add_parser("resume", help="continue a paused or interrupted run")
    res.add_argument("run_id", metavar="RUN")
    output_args(res)

    rer = sub.add_parser(
        "rerun",
        help='a new attempt of a finished run: its failed jobs run again (Azure\'s "Rerun failed jobs")',
    )
    rer.add_argument("run_id", metavar="RUN")
    rer.add_argument(
        "--failed",
        action="store_true",
        required=True,
        help="rerun the failed and canceled jobs and what they held back; succeeded jobs keep "
        "their results and output variables",
    )
    rer.add_argument("--as", dest="user", metavar="USER", help="who reruns (default: git user)")
    secret_args(rer)
    output_args(rer)

    for name, verb in (("approve", "approve"), ("reject", "reject")):
        d = sub.add_parser(name, help=f"{verb} the checks a paused run waits on")
        d.add_argument("run_id", metavar="RUN")
        d.add_argument(
            "--environment", "-e", metavar="ENV", help="the environment whose checks the run waits on"
        )
        d.add_argument(
            "--job", metavar="STAGE.JOB", help="the agentless job whose manual validation the run waits on"
        )
        d.add_argument("--as", dest="user", metavar="USER", help="who decides (default: git user)")
        d.add_argument("--comment", default="")

    exp = sub.add_parser("expand", help="print the fully expanded pipeline (the service's full YAML)")
    pipeline_args(exp)
    exp.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of stdout")
    exp.add_argument(
        "--readable",
        action="store_true",
        help="keep checkout/publish/download steps readable instead of the service's task ids",
    )

    lst = sub.add_parser(
        "list",
        help="list a pipeline's stages and jobs: kind, environment, checks and "
        "approvals, dependencies (as act -l)",
    )
    pipeline_args(lst)
    listing.add_arguments(lst)

    val = sub.add_parser(
        "validate",
        help="check pipelines without running them (a CI gate: text, JSON, SARIF, ##vso lines, JUnit)",
    )
    pipeline_args(val, many=True)
    validate_command.add_arguments(val)

    init = sub.add_parser(
        "init",
        help="write the local stand-ins a pipeline needs: environments, service "
        "connections, variable groups, repository folders (never overwrites a file)",
    )
    init.add_argument("pipeline", type=Path, help="the pipeline YAML file")
    init.add_argument(
        "-p", "--parameter", action="append", metavar="NAME=VALUE", help="a runtime parameter (repeatable)"
    )
    init.add_argument(
        "--repo",
        action="append",
        metavar="ALIAS=PATH",
        help="local folder of a repository the pipeline uses (repeatable; written to repositories.yml)",
    )

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
    rec.add_argument(
        "action",
        nargs="?",
        choices=["list", "show", "check", "path"],
        default="list",
        help="path: the folder of the recipe library that comes with mlops, for "
        "--repo recipes=$(mlops recipes path)",
    )
    rec.add_argument("name", nargs="?", help="the recipe, for show")
    rec.add_argument(
        "--root",
        type=Path,
        help="the repository holding recipes/ (default: . if it has one, else the library that "
        "comes with mlops)",
    )
    listing.add_arguments(rec)

    eps = sub.add_parser("endpoints", help="list or stop the local online endpoints")
    eps.add_argument("action", nargs="?", choices=["list", "down"], default="list")
    listing.add_arguments(eps)
    sub.add_parser(
        "down",
        help="stop what the emulator keeps running for the state folder: the online "
        "endpoints, the MLflow tracking server jobs log to, the resident az worker",
    )

    gr = sub.add_parser("graph", help="draw a pipeline's stages, jobs and gates (Mermaid, SVG or PNG)")
    gr.add_argument(
        "pipeline",
        type=Path,
        nargs="?",
        help="the pipeline YAML file (default with --run: the pipeline the run executed)",
    )
    gr.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="FILE.mmd, FILE.svg or FILE.png (default: Mermaid text on stdout)",
    )
    gr.add_argument(
        "--format", choices=["mmd", "svg", "png"], help="the format (default: from FILE's extension)"
    )
    compile_args(gr)
    gr.add_argument(
        "--run", dest="run_id", metavar="RUN", help="colour stages, jobs and gates by this run's results"
    )

    rep = sub.add_parser("report", help="write a run's HTML report or JUnit XML")
    rep.add_argument("run_id", metavar="RUN")
    rep.add_argument("-o", "--output", type=Path, metavar="FILE.html", help="the self-contained HTML report")
    rep.add_argument(
        "--junit", type=Path, metavar="FILE.xml", help="JUnit XML: a testsuite per stage, a testcase per step"
    )
    rep.add_argument(
        "--no-mlflow", action="store_true", help="leave out the model, metrics and plots from MLflow"
    )

    ui = sub.add_parser("ui", help="serve the MLflow UI over the state folder's store on 127.0.0.1")
    ui.add_argument("--port", type=int, default=5000, help="port (default: 5000)")
    return p


def compile_args(sp: argparse.ArgumentParser) -> None:
    """What compiling a pipeline takes besides its file: parameters, repositories, environments."""
    sp.add_argument(
        "-p", "--parameter", action="append", metavar="NAME=VALUE", help="a runtime parameter (repeatable)"
    )
    sp.add_argument(
        "--repo",
        action="append",
        metavar="ALIAS=PATH",
        help="local folder of a repository resource used by template@alias (repeatable)",
    )
    sp.add_argument("--environments", type=Path, metavar="FILE", help=ENVIRONMENTS_HELP)


def secret_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--secret",
        action="append",
        metavar="NAME=VALUE",
        help="a queue-time secret variable: masked everywhere, never written to the record "
        "(other users see a command line in ps: prefer --secret-file or MLOPS_SECRET_NAME)",
    )
    sp.add_argument(
        "--secret-file",
        action="append",
        type=Path,
        metavar="FILE",
        help="queue-time secret variables from FILE, one NAME=VALUE a line (# comments); "
        f"also every {SECRET_ENV_PREFIX}NAME=VALUE in the environment",
    )


def output_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--json", action="store_true", help="print the run record as JSON last on stdout")
    sp.add_argument("-q", "--quiet", action="store_true", help="hide step output (errors and warnings stay)")
    sp.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also show debug lines, and every output line instead of folding it",
    )
    sp.add_argument(
        "--progress",
        choices=["auto", "live", "plain"],
        default="auto",
        help="live tree on a terminal, plain lines otherwise (default: auto; plain when CI=true)",
    )
    sp.add_argument(
        "--no-prompt",
        action="store_true",
        help="when the run pauses, do not ask for the decision even on a terminal",
    )
