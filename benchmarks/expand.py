"""Template expansion speed: pipelines of 10 to 5,000 jobs made by `${{ each }}` over an object parameter.

Run: .venv/bin/python benchmarks/expand.py [--runs N] [--sizes 10,100,1000,5000] [--profile SIZE]

Each pipeline is one stage whose jobs come from `${{ each job in parameters.jobs }}`; every job has
a variables block, an `if`, a step template and mixed-text expressions, so the benchmark exercises
the paths real pipelines take. Prints the best of N runs per size (expansion only, then expansion
plus normalization), the time per job, and the ratio of time per job to the smallest size (1.0 =
linear). Target: 1,000 jobs in under 0.5 s.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulator.normalize import normalize  # noqa: E402
from emulator.templates import expand_pipeline  # noqa: E402

PIPELINE = """\
parameters:
- name: jobs
  type: object
  default:
{jobs}
variables:
  shared: value
stages:
- stage: Build
  jobs:
  - ${{{{ each job in parameters.jobs }}}}:
    - job: ${{{{ job.name }}}}
      displayName: Build ${{{{ job.name }}}} on ${{{{ job.os }}}}
      variables:
        target: ${{{{ job.os }}}}
      pool:
        vmImage: ${{{{ job.os }}}}-latest
      steps:
      - checkout: self
      - ${{{{ if eq(job.os, 'ubuntu') }}}}:
        - bash: echo linux ${{{{ variables.target }}}}
      - ${{{{ else }}}}:
        - pwsh: Write-Host other ${{{{ variables.target }}}}
      - template: steps.yml
        parameters:
          name: ${{{{ job.name }}}}
          flags: ${{{{ job.flags }}}}
"""

STEPS = """\
parameters:
- name: name
  type: string
- name: flags
  type: object
  default: []
steps:
- script: echo building ${{ parameters.name }} with ${{ variables.shared }}
  displayName: Build ${{ parameters.name }}
- ${{ each flag in parameters.flags }}:
  - script: echo flag ${{ flag }}
"""


def write_pipeline(folder: Path, jobs: int) -> Path:
    items = "\n".join(
        f"  - name: job{i}\n    os: {'ubuntu' if i % 2 else 'windows'}\n    flags: [a{i}, b{i}]"
        for i in range(jobs)
    )
    (folder / "steps.yml").write_text(STEPS, encoding="utf-8")
    path = folder / "azure-pipelines.yml"
    path.write_text(PIPELINE.format(jobs=items), encoding="utf-8")
    return path


def best_of(runs: int, path: Path, root: Path, with_normalize: bool) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        expanded = expand_pipeline(path, repo_root=root)
        if with_normalize:
            normalize(expanded.document)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--profile", type=int, default=0, help="profile one expansion of this many jobs")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.profile:
            path = write_pipeline(root, args.profile)
            profiler = cProfile.Profile()
            profiler.enable()
            expand_pipeline(path, repo_root=root)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            return 0
        rows = []
        for size in sizes:
            folder = root / str(size)
            folder.mkdir()
            path = write_pipeline(folder, size)
            expand = best_of(args.runs, path, folder, with_normalize=False)
            total = best_of(args.runs, path, folder, with_normalize=True)
            rows.append((size, expand, total))
        base = rows[0][1] / rows[0][0]
        print(f"{'jobs':>6} {'expand s':>9} {'ms/job':>8} {'scaling':>8} {'+normalize s':>13} {'ms/job':>8}")
        for size, expand, total in rows:
            print(
                f"{size:>6} {expand:>9.3f} {expand / size * 1000:>8.3f} {expand / size / base:>8.2f}"
                f" {total:>13.3f} {total / size * 1000:>8.3f}"
            )
        thousand = next((e for s, e, _ in rows if s == 1000), None)
        if thousand is not None:
            verdict = "meets" if thousand < 0.5 else "MISSES"
            print(f"1,000 jobs expand in {thousand:.3f} s: {verdict} the 0.5 s target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
