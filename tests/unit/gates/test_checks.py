"""Gate evaluation: each check type, decisions, signatures, timeouts [DOC process/approvals.md]."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from emulator.errors import ConfigError, RunError
from emulator.gates import approvals, checks
from emulator.gates.environments import Environments, load

ENVIRONMENTS = """
environments:
  test:
    checks:
      - type: approval
        approvers: [reviewers]
  production:
    checks:
      - type: approval
        approvers: [carol, dave]
        minApprovers: 2
        allowRequesterToApprove: false
  sequential:
    checks:
      - type: approval
        approvers: [carol, dave]
        minApprovers: 2
        order: sequential
  branches:
    checks:
      - type: branchControl
        allowedBranches: [refs/heads/main, refs/heads/releases/*]
  hours:
    checks:
      - type: businessHours
        days: [Mon, Tue, Wed, Thu, Fri]
        start: "09:00"
        end: "17:00"
        timeZone: Europe/Berlin
        timeoutMinutes: 60
  templated:
    checks:
      - type: requiredTemplate
        templates: [templates/secure.yml]
  external:
    checks:
      - type: invokeRestApi
        url: https://example.invalid
  open:
groups:
  reviewers: [alice, bob]
"""


@pytest.fixture
def envs(tmp_path: Path) -> Environments:
    path = tmp_path / "environments.yml"
    path.write_text(ENVIRONMENTS)
    return load(path)


def run(home: Path, *decisions: tuple[str, str, str], **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": "7", "requestedBy": "erin", "approvals": [], "checks": [], **extra}
    for env, decision, by in decisions:
        data["approvals"].append(
            approvals.sign(
                home,
                {
                    "run": "7",
                    "environment": env,
                    "stage": "S",
                    "decision": decision,
                    "by": by,
                    "at": "2026-11-26T10:00:00+00:00",
                    "comment": "",
                },
            )
        )
    return data


def gate(envs: Environments, env: str, data: dict[str, Any], home: Path, **kw: Any) -> checks.GateOutcome:
    return checks.evaluate(envs.get(env), "S", data, envs, checks.GateContext(home=home, **kw))


def test_approval_pending_then_passed_by_a_group_member(envs: Environments, tmp_path: Path) -> None:
    assert gate(envs, "test", run(tmp_path), tmp_path).status == "pending"
    outcome = gate(envs, "test", run(tmp_path, ("test", "approved", "bob")), tmp_path)
    assert outcome.status == "passed" and outcome.decided_by == ("bob",)


def test_a_decision_by_a_non_approver_does_not_count(envs: Environments, tmp_path: Path) -> None:
    assert gate(envs, "test", run(tmp_path, ("test", "approved", "mallory")), tmp_path).status == "pending"


def test_rejection_wins(envs: Environments, tmp_path: Path) -> None:
    data = run(tmp_path, ("test", "approved", "alice"), ("test", "rejected", "bob"))
    outcome = gate(envs, "test", data, tmp_path)
    assert outcome.status == "rejected" and "rejected by bob" in outcome.message


def test_minimum_approvers_are_distinct_users(envs: Environments, tmp_path: Path) -> None:
    one = run(tmp_path, ("production", "approved", "carol"), ("production", "approved", "carol"))
    assert gate(envs, "production", one, tmp_path).status == "pending"
    two = run(tmp_path, ("production", "approved", "carol"), ("production", "approved", "dave"))
    assert gate(envs, "production", two, tmp_path).status == "passed"


def test_the_requester_may_not_approve_when_the_environment_forbids_it(envs: Environments) -> None:
    config = envs.get("production")
    with pytest.raises(RunError, match="does not allow requesters"):
        approvals.validate_decision(config, envs, "carol", "carol")
    approvals.validate_decision(config, envs, "carol", "erin")


def test_sequential_approvals_follow_the_listed_order(envs: Environments) -> None:
    config = envs.get("sequential")
    with pytest.raises(RunError, match="sequential"):
        approvals.validate_decision(config, envs, "dave", "erin")
    approvals.validate_decision(config, envs, "dave", "erin", earlier=["carol"])


def test_hand_written_decisions_are_ignored(envs: Environments, tmp_path: Path) -> None:
    data = run(tmp_path)
    data["approvals"].append(
        {
            "run": "7",
            "environment": "test",
            "stage": "S",
            "decision": "approved",
            "by": "alice",
            "at": "2026-11-26T10:00:00+00:00",
            "comment": "",
            "signature": "0" * 64,
        }
    )
    outcome = gate(envs, "test", data, tmp_path)
    assert outcome.status == "pending" and "signature mismatch" in outcome.message


def test_a_decision_signed_for_another_run_does_not_count(envs: Environments, tmp_path: Path) -> None:
    data = run(tmp_path, ("test", "approved", "alice"))
    data["id"] = "8"
    assert gate(envs, "test", data, tmp_path).status == "pending"


def test_an_edited_decision_is_ignored(envs: Environments, tmp_path: Path) -> None:
    data = run(tmp_path, ("test", "rejected", "alice"))
    data["approvals"][0]["decision"] = "approved"
    assert gate(envs, "test", data, tmp_path).status == "pending"


def test_approval_times_out(envs: Environments, tmp_path: Path) -> None:
    started = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    data = run(
        tmp_path,
        checks=[{"stage": "S", "environment": "test", "status": "pending", "at": started.isoformat()}],
    )
    late = started + timedelta(days=31)
    outcome = gate(envs, "test", data, tmp_path, now=late)
    assert outcome.status == "rejected" and "timed out" in outcome.message


@pytest.mark.parametrize(
    ("branch", "status"),
    [
        ("main", "passed"),
        ("releases/1.2", "passed"),
        ("feature/x", "rejected"),
        ("HEAD", "rejected"),
        ("", "rejected"),
    ],
)
def test_branch_control(envs: Environments, tmp_path: Path, branch: str, status: str) -> None:
    assert gate(envs, "branches", run(tmp_path, git={"branch": branch}), tmp_path).status == status


@pytest.mark.parametrize(
    ("moment", "status"),
    [
        (datetime(2026, 11, 26, 10, 0, tzinfo=UTC), "passed"),  # Thursday 11:00 in Berlin
        (datetime(2026, 11, 26, 17, 30, tzinfo=UTC), "pending"),  # Thursday 18:30 in Berlin
        (datetime(2026, 11, 28, 10, 0, tzinfo=UTC), "pending"),  # Saturday
    ],
)
def test_business_hours(envs: Environments, tmp_path: Path, moment: datetime, status: str) -> None:
    assert gate(envs, "hours", run(tmp_path), tmp_path, now=moment).status == status


def test_required_template(envs: Environments, tmp_path: Path) -> None:
    assert (
        gate(envs, "templated", run(tmp_path, extends=["templates/secure.yml"]), tmp_path).status == "passed"
    )
    outcome = gate(envs, "templated", run(tmp_path, extends=[]), tmp_path)
    assert outcome.status == "rejected" and "must extend templates/secure.yml" in outcome.message


@pytest.mark.parametrize(("policy", "status"), [("fail", "rejected"), ("pass", "passed"), ("ask", "pending")])
def test_checks_that_are_not_emulated_follow_the_policy(
    envs: Environments, tmp_path: Path, policy: str, status: str
) -> None:
    outcome = gate(envs, "external", run(tmp_path), tmp_path, check_policy=policy)
    assert outcome.status == status and "not emulated" in outcome.message


def test_ask_policy_is_decided_by_a_person(envs: Environments, tmp_path: Path) -> None:
    data = run(tmp_path, ("external", "approved", "frank"))
    assert gate(envs, "external", data, tmp_path, check_policy="ask").status == "passed"


def test_exclusive_lock_waits_for_the_run_holding_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "environments.yml"
    path.write_text("environments:\n  shared:\n    checks:\n      - type: exclusiveLock\n")
    envs = load(path)
    other = tmp_path / "runs" / "3"
    other.mkdir(parents=True)
    (other / "run.json").write_text(
        '{"id": "3", "status": "running", "stages": [{"state": "running", '
        '"jobs": [{"environment": "shared"}]}]}'
    )
    outcome = gate(envs, "shared", run(tmp_path), tmp_path)
    assert outcome.status == "pending" and "run 3 holds the exclusive lock" in outcome.message
    (other / "run.json").write_text('{"id": "3", "status": "completed", "stages": []}')
    assert gate(envs, "shared", run(tmp_path), tmp_path).status == "passed"


def test_an_environment_without_checks_passes(envs: Environments, tmp_path: Path) -> None:
    assert gate(envs, "open", run(tmp_path), tmp_path).status == "passed"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("environments:\n  test:\n    checks:\n      - type: aproval\n", "environments.test.checks.0.type"),
        (
            "environments:\n  test:\n    checks:\n      - type: approval\n        approver: [a]\n",
            "environments.test.checks.0",
        ),
        (
            "environments:\n  test:\n    checks:\n      - type: businessHours\n        start: '25:00'\n",
            "environments.test.checks.0.start",
        ),
        ("environment:\n  test: {}\n", "the file"),
    ],
)
def test_invalid_files_fail_with_a_location(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "environments.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load(path)
    assert where in info.value.message
    assert info.value.location is not None and info.value.location.line >= 1


def test_unknown_time_zone_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "environments.yml"
    path.write_text(
        "environments:\n  t:\n    checks:\n      - type: businessHours\n        timeZone: Mars/Olympus\n"
    )
    with pytest.raises(ConfigError, match="Unknown time zone"):
        load(path)


def test_a_queued_run_keeps_its_checks_when_the_file_loses_them(tmp_path: Path) -> None:
    from emulator.gates.environments import strictest

    before = tmp_path / "before.yml"
    before.write_text(
        "environments:\n  prod:\n    checks:\n      - type: approval\n        approvers: [admins]\n"
        "groups:\n  admins: [carol]\n"
    )
    after = tmp_path / "after.yml"
    after.write_text("environments:\n  prod: {}\n")
    envs = strictest(load(before), load(after))
    assert gate(envs, "prod", run(tmp_path), tmp_path).status == "pending"
    assert gate(envs, "prod", run(tmp_path, ("prod", "approved", "carol")), tmp_path).status == "passed"


def test_new_checks_apply_to_a_queued_run(tmp_path: Path) -> None:
    from emulator.gates.environments import strictest

    before = tmp_path / "before.yml"
    before.write_text("environments:\n  prod: {}\n")
    after = tmp_path / "after.yml"
    after.write_text(
        "environments:\n  prod:\n    checks:\n      - type: approval\n        approvers: [carol]\n"
    )
    envs = strictest(load(before), load(after))
    assert gate(envs, "prod", run(tmp_path), tmp_path).status == "pending"


def test_a_group_that_grew_since_the_run_was_queued_keeps_its_old_members(tmp_path: Path) -> None:
    """A manual validation's approvers name groups; adding yourself to the group after the run was
    queued does not let you decide (nor does a group removed from the file)."""
    from emulator.gates.environments import strictest

    before = tmp_path / "before.yml"
    before.write_text("environments: {}\ngroups:\n  reviewers: [alice, bob]\n  auditors: [dave]\n")
    after = tmp_path / "after.yml"
    after.write_text("environments: {}\ngroups:\n  reviewers: [alice, bob, mallory]\n")
    envs = strictest(load(before), load(after))
    assert envs.members("reviewers") == ("alice", "bob")
    assert envs.members("auditors") == ()
