"""ManualValidation@0/@1: inputs as the task reads them, who may decide, and how the wait ends.

https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/manual-validation-v1
"""

from __future__ import annotations

import pytest

from emulator.errors import Location, PipelineError
from emulator.gates import manual

LOC = Location("pipeline.yml", 3, 5)
GROUPS = {"reviewers": ("alice", "bob")}


def members(name: str) -> tuple[str, ...]:
    return GROUPS.get(name.lower(), (name,))


def parse(task: str = "ManualValidation@1", timeout: int = 0, **inputs: str) -> manual.ManualValidation:
    return manual.parse(task, {"notifyUsers": "", **inputs}, timeout, LOC)


def test_defaults_follow_the_task_reference() -> None:
    mv = parse()
    assert (mv.approvers, mv.allow_requester, mv.on_timeout, mv.instructions) == ((), True, "reject", "")
    assert manual.wait_limit(mv) == 30 * 24 * 60  # at most 30 days
    assert manual.wait_limit(parse(timeout=90)) == 90
    assert parse(approvers=" reviewers , carol ,").approvers == ("reviewers", "carol")


@pytest.mark.parametrize(
    ("task", "inputs", "message"),
    [
        ("ManualValidation@1", {}, "Input required: notifyUsers"),
        ("ManualValidation@1", {"notifyUsers": "", "onTimeout": "wait"}, "must be 'reject' or 'resume'"),
        ("ManualValidation@0", {"notifyUsers": "", "approvers": "bob"}, "approvers does not exist"),
    ],
)
def test_bad_inputs_are_located(task: str, inputs: dict[str, str], message: str) -> None:
    with pytest.raises(PipelineError, match=message) as info:
        manual.parse(task, inputs, 0, LOC)
    assert info.value.location == LOC


def test_who_may_decide() -> None:
    assert manual.refusal(("reviewers",), True, "bob", "erin", members) is None
    assert "not among the approvers" in str(manual.refusal(("reviewers",), True, "mallory", "erin", members))
    assert manual.refusal((), True, "anyone", "erin", members) is None  # no approvers: anyone may
    assert manual.refusal(("reviewers",), True, "alice", "alice", members) is None
    assert "their own runs" in str(manual.refusal(("reviewers",), False, "alice", "alice", members))


def decision(by: str, what: str = "approved", comment: str = "") -> dict[str, str]:
    return {"by": by, "decision": what, "comment": comment}


def test_the_first_valid_decision_settles_it() -> None:
    mv = parse(approvers="reviewers")
    ignored_then_rejected = [decision("mallory"), decision("bob", "rejected", "no model card")]
    v = manual.verdict(mv, ignored_then_rejected, "erin", members, 0)
    assert (v.status, v.decided_by) == (manual.REJECTED, "bob") and "no model card" in v.message
    v = manual.verdict(mv, [decision("alice"), decision("bob", "rejected")], "erin", members, 0)
    assert (v.status, v.decided_by) == (manual.PASSED, "alice")
    assert manual.verdict(mv, [decision("mallory")], "erin", members, 0).status == manual.PENDING


@pytest.mark.parametrize(("on_timeout", "status"), [("reject", manual.REJECTED), ("resume", manual.PASSED)])
def test_once_the_wait_is_over_on_timeout_decides(on_timeout: str, status: str) -> None:
    mv = parse(timeout=10, onTimeout=on_timeout)
    assert manual.verdict(mv, [], "erin", members, 9.9).status == manual.PENDING
    v = manual.verdict(mv, [], "erin", members, 10)
    assert v.status == status and "timed out after 10 minutes" in v.message and v.decided_by is None
