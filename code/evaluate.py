"""Champion/challenger gate: should the candidate model replace the current champion?

The candidate is the MLflow run of a training job (on Azure ML a job's MLflow run id is the job name);
the champion is the registered model version that carries the champion tag (``champion=true``), as
``az ml model list --name <model> -o json`` prints it. The champion's score is its ``<metric>`` tag
(the register-model recipe writes it with ``metricTags``); without that tag, the metric of the MLflow
run of its ``training_job`` tag.

The decision, for ``higherIsBetter`` (``lowerIsBetter`` mirrors it):

* no champion yet: the first model passes;
* otherwise promote when ``candidate - champion >= min_improvement`` (0 means "not worse").

Commands:

    python code/evaluate.py compare --tracking-uri URI --candidate-run RUN --metric roc_auc \
        --direction higherIsBetter --min-improvement 0.01 --champions models.json [--vso]
    python code/evaluate.py metric-tags --tracking-uri URI --run RUN --metrics roc_auc,accuracy

``compare --vso`` prints the Azure Pipelines output variables ``promote`` (true/false),
``candidateMetric``, ``championMetric`` and ``championVersion``. ``metric-tags`` prints one
``name=value`` line per metric, ready for ``az ml model create --tags``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DIRECTIONS = ("higherIsBetter", "lowerIsBetter")


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str
    candidate: float
    champion: float | None
    improvement: float | None


def decide(candidate: float, champion: float | None, direction: str, min_improvement: float) -> Decision:
    """Compare a candidate's metric with the champion's."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    if champion is None:
        return Decision(True, "no champion yet: the first model passes", candidate, None, None)
    improvement = candidate - champion if direction == "higherIsBetter" else champion - candidate
    if improvement >= min_improvement:
        reason = f"improves on the champion by {improvement:.4f} (at least {min_improvement:g} required)"
        return Decision(True, reason, candidate, champion, improvement)
    reason = f"improves on the champion by {improvement:.4f}, less than the {min_improvement:g} required"
    return Decision(False, reason, candidate, champion, improvement)


def pick_champion(models: list[dict[str, Any]], tag: str = "champion") -> dict[str, Any] | None:
    """The newest version whose `tag` is 'true' (case-insensitive), from `az ml model list` output."""
    tagged = [m for m in models if str((m.get("tags") or {}).get(tag, "")).lower() == "true"]
    if not tagged:
        return None

    def version(model: dict[str, Any]) -> tuple[int, str]:
        text = str(model.get("version", ""))
        return (int(text), text) if text.isdigit() else (-1, text)

    return max(tagged, key=version)


def run_metrics(tracking_uri: str, run_id: str) -> dict[str, float]:
    """The metrics of an MLflow run (Azure ML: the run id is the job name)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    return {str(k): float(v) for k, v in client.get_run(run_id).data.metrics.items()}


def job_run_id(job_name: str) -> str:
    """The MLflow run id of an Azure ML job: its `mlflow.runId` property if `az` shows one, else the name."""
    az = shutil.which("az")
    if az:
        query = 'properties."mlflow.runId"'
        proc = subprocess.run(
            [az, "ml", "job", "show", "--name", job_name, "--query", query, "-o", "tsv"],
            capture_output=True,
            text=True,
            check=False,
        )
        value = proc.stdout.strip()
        if proc.returncode == 0 and value and value != "None":
            return value
    return job_name


def champion_metric(champion: dict[str, Any], metric: str, tracking_uri: str) -> float:
    """The champion's score: its metric tag, else the metric of its training job's run."""
    tags = champion.get("tags") or {}
    if metric in tags:
        return float(tags[metric])
    job = tags.get("training_job")
    if not job:
        raise SystemExit(
            f"champion {champion.get('name')}:{champion.get('version')} has neither a '{metric}' tag nor a "
            "'training_job' tag; register models with metricTags (recipe register-model)"
        )
    metrics = run_metrics(tracking_uri, job_run_id(str(job)))
    if metric not in metrics:
        raise SystemExit(f"the training run of the champion ({job}) logged no '{metric}'")
    return metrics[metric]


def _load_models(path: str) -> list[dict[str, Any]]:
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    data = json.loads(text or "[]")
    if isinstance(data, dict):
        data = [data]
    return [m for m in data if isinstance(m, dict)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Champion/challenger evaluation gate.")
    sub = parser.add_subparsers(dest="command", required=True)
    cmp_ = sub.add_parser("compare", help="decide whether the candidate replaces the champion")
    cmp_.add_argument("--tracking-uri", required=True)
    cmp_.add_argument("--candidate-run", required=True, help="MLflow run id of the candidate's training")
    cmp_.add_argument("--metric", required=True)
    cmp_.add_argument("--direction", choices=DIRECTIONS, default="higherIsBetter")
    cmp_.add_argument("--min-improvement", type=float, default=0.0)
    cmp_.add_argument("--champions", default="-", help="`az ml model list` JSON (file, or - for stdin)")
    cmp_.add_argument("--champion-tag", default="champion")
    cmp_.add_argument("--vso", action="store_true", help="print Azure Pipelines output variables")
    tags = sub.add_parser("metric-tags", help="print name=value lines of a run's metrics")
    tags.add_argument("--tracking-uri", required=True)
    tags.add_argument("--run", required=True)
    tags.add_argument("--metrics", required=True, help="comma-separated metric names")
    args = parser.parse_args(argv)

    if args.command == "metric-tags":
        metrics = run_metrics(args.tracking_uri, args.run)
        wanted = [m.strip() for m in args.metrics.split(",") if m.strip()]
        missing = [m for m in wanted if m not in metrics]
        if missing:
            print(
                f"run {args.run} logged no {', '.join(missing)} (it has: {', '.join(sorted(metrics))})",
                file=sys.stderr,
            )
            return 1
        for name in wanted:
            print(f"{name}={metrics[name]:.6g}")
        return 0

    metrics = run_metrics(args.tracking_uri, args.candidate_run)
    if args.metric not in metrics:
        print(
            f"error: the candidate run {args.candidate_run} logged no '{args.metric}' "
            f"(it has: {', '.join(sorted(metrics)) or 'no metrics'})"
        )
        if args.vso:
            print(f"##vso[task.logissue type=error]The candidate logged no metric '{args.metric}'")
        return 1
    champion = pick_champion(_load_models(args.champions), args.champion_tag)
    champion_score = champion_metric(champion, args.metric, args.tracking_uri) if champion else None
    decision = decide(metrics[args.metric], champion_score, args.direction, args.min_improvement)
    who = f"{champion.get('name')}:{champion.get('version')}" if champion else "none"
    shown_champion = "-" if champion_score is None else format(champion_score, ".4f")
    print(
        f"candidate {args.metric}={decision.candidate:.4f}; "
        f"champion ({who}) {args.metric}={shown_champion} ({args.direction})"
    )
    print(("PROMOTE: " if decision.promote else "KEEP THE CHAMPION: ") + decision.reason)
    if args.vso:
        print(f"##vso[task.setvariable variable=promote;isOutput=true]{str(decision.promote).lower()}")
        print(f"##vso[task.setvariable variable=candidateMetric;isOutput=true]{decision.candidate:.6g}")
        shown = "" if champion_score is None else f"{champion_score:.6g}"
        print(f"##vso[task.setvariable variable=championMetric;isOutput=true]{shown}")
        version = "" if champion is None else str(champion.get("version", ""))
        print(f"##vso[task.setvariable variable=championVersion;isOutput=true]{version}")
        if not decision.promote:
            print(f"##vso[task.logissue type=warning]The candidate is not promoted: {decision.reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
