"""Defect 11 (low): `mlops approve` reported decisions the gate would never count.

* A user added to an approvers group after the run was queued: the run keeps the members the group had
  when it was queued (README, "No bypass"), so the gate ignores that user's approval; `approve` accepted
  it and said "approved". It is refused now, with the reason.
* `minApprovers` above the number of users who may approve: the gate can never pass. The environments
  file is refused with the check's location instead.
"""

from __future__ import annotations

import pytest

from emulator import runner
from emulator.errors import ConfigError, RunError
from emulator.runtime.events import SilentReporter

from .conftest import ENVIRONMENTS, GATED, Project, no_traceback


def test_a_member_added_to_a_group_after_queueing_is_refused(project: Project) -> None:
    run = project.run(GATED, ENVIRONMENTS, user="bob")
    assert run.data["result"] == "paused"
    (project.repo / "environments.yml").write_text(ENVIRONMENTS.replace("[carol]", "[carol, dave]"))

    with pytest.raises(RunError, match="'dave' is not among the approvers"):
        runner.decide(run.id, project.home, "production", "approved", "dave", "let me in")
    assert runner.resume(run.id, project.home, SilentReporter()).data["result"] == "paused"

    runner.decide(run.id, project.home, "production", "approved", "carol", "ok")
    assert runner.resume(run.id, project.home, SilentReporter()).data["result"] == "succeeded"


def test_a_member_removed_from_a_group_since_queueing_is_refused_too(project: Project) -> None:
    run = project.run(GATED, ENVIRONMENTS.replace("[carol]", "[carol, dave]"), user="bob")
    (project.repo / "environments.yml").write_text(ENVIRONMENTS)
    with pytest.raises(RunError, match="'dave' is not among the approvers"):
        runner.decide(run.id, project.home, "production", "approved", "dave", "")


@pytest.mark.parametrize(
    "check",
    [
        "approvers: [alice]\n        minApprovers: 2",
        "approvers: [release-managers, alice]\n        minApprovers: 4",
    ],
)
def test_min_approvers_above_the_approvers_is_refused_where_written(project: Project, check: str) -> None:
    environments = (
        "environments:\n  production:\n    checks:\n      - type: approval\n"
        f"        {check}\n"
        "groups:\n  release-managers: [carol, dave]\n"
    )
    with pytest.raises(ConfigError, match="can never pass") as caught:
        project.run(GATED, environments)
    assert caught.value.location is not None and caught.value.location.line == 6

    proc = project.mlops("validate", "pipeline.yml")
    assert proc.returncode == 2
    assert "environments.yml:6:9" in proc.stderr and "minApprovers" in proc.stderr
    no_traceback(proc)


def test_min_approvers_within_the_approvers_is_accepted(project: Project) -> None:
    environments = ENVIRONMENTS.replace(
        "approvers: [release-managers]", "approvers: [release-managers, alice]\n        minApprovers: 2"
    )
    run = project.run(GATED, environments, user="bob")
    runner.decide(run.id, project.home, "production", "approved", "carol", "")
    runner.decide(run.id, project.home, "production", "approved", "alice", "")
    assert runner.resume(run.id, project.home, SilentReporter()).data["result"] == "succeeded"


def test_a_group_whose_members_all_changed_approves_nobody_rather_than_anyone(project: Project) -> None:
    run = project.run(GATED, ENVIRONMENTS, user="bob")
    (project.repo / "environments.yml").write_text(ENVIRONMENTS.replace("[carol]", "[mallory]"))
    for user in ("mallory", "carol", "eve"):
        with pytest.raises(RunError, match="is not among the approvers"):
            runner.decide(run.id, project.home, "production", "approved", user, "")
