"""Batch scoring driver, run as a script inside the job's environment (standard library + pandas/mlflow).

It plays the part of Azure ML's batch scoring runtime for one deployment:

- with a scoring script: import it, call `init()` once, then `run(mini_batch)` for each mini-batch (a
  list of file paths, `--mini-batch-size` files each); every element `run()` returns (a list item or a
  pandas DataFrame row) is one output row;
- without one (an MLflow model, "no-code"): load the model with `mlflow.pyfunc`, read each file as a
  table (csv, parquet, json) and predict its rows; the rows are `row, prediction, file`.

With `--output-action append_row` the rows are written, comma-separated and without a header, to
`<output>/<output-file-name>` (predictions.csv). Files `run()` did not answer for count as failed;
above `--error-threshold` failures (-1: never) the job fails.

This file must not import the emulator: the job's environment does not contain it.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any


def say(text: str, flush: bool = True) -> None:
    """A line of the job log (this is a script: its output is the job's log)."""
    sys.stdout.write(text + "\n")
    if flush:
        sys.stdout.flush()


def _files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    return sorted(p for p in source.rglob("*") if p.is_file() and not p.name.startswith("."))


def _rows(result: Any) -> list[list[str]]:
    """Output rows of whatever `run()` returned (DataFrame, list, array, scalar)."""
    if result is None:
        return []
    if hasattr(result, "to_csv") and hasattr(result, "columns"):  # a pandas DataFrame
        text = result.to_csv(header=False, index=False)
        return [row for row in csv.reader(io.StringIO(text))]
    if hasattr(result, "tolist"):
        result = result.tolist()
    if isinstance(result, (list, tuple)):
        rows = []
        for item in result:
            if isinstance(item, (list, tuple)):
                rows.append([str(v) for v in item])
            else:
                rows.append([str(item)])
        return rows
    return [[str(result)]]


def _read_table(path: Path) -> Any:
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return pd.read_csv(path)
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".json", ".jsonl"):
        return pd.read_json(path, lines=suffix == ".jsonl")
    raise ValueError(f"unsupported file type {suffix!r} (csv, parquet, json, jsonl)")


class MlflowScorer:
    """The no-code scoring of an MLflow model: predict the rows of each file."""

    def __init__(self, model_dir: Path) -> None:
        import mlflow.pyfunc

        found = sorted(model_dir.rglob("MLmodel"))
        if not found:
            raise SystemExit(
                f"no MLmodel under {model_dir}: a deployment without a scoring script needs an MLflow model"
            )
        self.model = mlflow.pyfunc.load_model(str(found[0].parent))

    def run(self, mini_batch: list[str]) -> list[list[str]]:
        rows: list[list[str]] = []
        for name in mini_batch:
            path = Path(name)
            frame = _read_table(path)
            predictions = self.model.predict(frame)
            values = predictions.tolist() if hasattr(predictions, "tolist") else list(predictions)
            for index, value in enumerate(values):
                shown = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
                rows.append([str(index), shown, path.name])
        return rows


def _load_script(path: Path) -> Any:
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location("batch_scoring_script", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import the scoring script {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for needed in ("init", "run"):
        if not callable(getattr(module, needed, None)):
            raise SystemExit(f"the scoring script {path.name} has no {needed}() function")
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--scoring-script")
    parser.add_argument("--mini-batch-size", type=int, default=10)
    parser.add_argument("--output-action", default="append_row")
    parser.add_argument("--output-file-name", default="predictions.csv")
    parser.add_argument("--error-threshold", type=int, default=-1)
    args = parser.parse_args(argv)

    source = Path(args.input)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    files = _files(source)
    os.environ["AZUREML_MODEL_DIR"] = args.model_dir
    os.environ.setdefault("AZUREML_BI_OUTPUT_PATH", str(output))
    size = max(1, args.mini_batch_size)
    batches = [files[i : i + size] for i in range(0, len(files), size)]
    say(f"Batch scoring: {len(files)} file(s) in {len(batches)} mini-batch(es) of up to {size}")

    if args.scoring_script:
        script = _load_script(Path(args.scoring_script))
        script.init()
        run = script.run
    else:
        run = MlflowScorer(Path(args.model_dir)).run

    failed = 0
    succeeded = 0
    rows: list[list[str]] = []
    started = time.monotonic()
    for number, batch in enumerate(batches, 1):
        names = [str(p) for p in batch]
        try:
            result = run(names)
        except Exception:  # noqa: BLE001 - a failing mini-batch counts its files as failed, as on Azure
            traceback.print_exc()
            failed += len(batch)
            say(f"mini-batch {number}/{len(batches)} failed ({len(batch)} file(s))")
        else:
            produced = _rows(result)
            rows.extend(produced)
            answered = min(len(produced), len(batch)) if args.scoring_script else len(batch)
            succeeded += answered
            failed += len(batch) - answered
            say(f"mini-batch {number}/{len(batches)}: {len(produced)} row(s)")
        if 0 <= args.error_threshold < failed:
            say(
                f"{failed} failed item(s) exceed error_threshold {args.error_threshold}: stopping", flush=True
            )
            return 1
    if args.output_action == "append_row":
        target = output / args.output_file_name
        with open(target, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
        say(f"wrote {len(rows)} row(s) to {target}")
    summary = {
        "files": len(files),
        "mini_batches": len(batches),
        "succeeded": succeeded,
        "failed": failed,
        "rows": len(rows),
        "seconds": round(time.monotonic() - started, 3),
    }
    say("summary: " + json.dumps(summary))
    if 0 <= args.error_threshold < failed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
