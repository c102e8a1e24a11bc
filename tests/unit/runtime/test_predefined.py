"""Predefined variables and the build number, read from the run's record."""

from __future__ import annotations

import textwrap
from pathlib import Path

from emulator.model import build
from emulator.normalize import normalize
from emulator.runtime.counters import Counters
from emulator.runtime.predefined import Predefined
from emulator.runtime.secrets import RunSecrets
from emulator.store import runs
from emulator.yamlio import loads


def _predefined(tmp_path: Path, yaml: str, **data: object) -> Predefined:
    pipeline = build(normalize(loads(textwrap.dedent(yaml), "pipeline.yml")))
    run = runs.create(tmp_path, {"stages": [], "pipeline": "p.yml", **data})
    counters = Counters(tmp_path, "p.yml", run.id)
    return Predefined(run, pipeline, tmp_path / "repo", "ann", tmp_path, counters, RunSecrets(run, {}))


def test_the_build_number_counts_revisions_per_name(tmp_path: Path) -> None:
    yaml = """
    name: $(Project)-$(Build.SourceBranchName)-$(Rev:rr)
    variables:
      Project: credit/model
    steps:
    - script: echo
    """
    first = _predefined(tmp_path, yaml, git={"branch": "feature/x"})
    assert first.build_number() == "credit_model-x-01"
    assert first.build_number() == "credit_model-x-01"  # within one run the revision stays
    second = _predefined(tmp_path, yaml, git={"branch": "feature/x"})
    assert second.build_number() == "credit_model-x-02"


def test_values_follow_the_record(tmp_path: Path) -> None:
    predefined = _predefined(tmp_path, "steps:\n- script: echo\n", definitionName="credit")
    values = predefined.values()
    assert values["Build.BuildNumber"] == predefined.run.id  # no build number yet
    assert values["Build.SourceBranch"] == "refs/heads/main"
    assert values["Build.RequestedFor"] == "ann"
    assert values["System.DefinitionName"] == "credit"
    predefined.run.data["buildNumber"] = "20240101.1"
    assert predefined.values()["Build.BuildNumber"] == "20240101.1"
    assert predefined.uuid("plan") == values["System.PlanId"] != predefined.uuid("project")
