"""A run whose mlops process died (kill -9, a crash, the machine rebooted), shown as Azure shows a run
whose agent stopped answering: the job that was running failed with "We stopped hearing from agent"
[DOC process/runs.md: a job fails after five minutes without a heartbeat], its running step canceled,
the run failed. `mlops resume RUN` stops what the cut attempt left running, runs that job again from
its start and keeps the cut attempt.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from emulator.processes import kill_group, process_alive
from emulator.records import JobRecord, RunRecord
from emulator.runtime import conditions as cond
from emulator.store.runs import Run

STATUS = "interrupted"
ATTEMPT_MARKER = "MLOPS_JOB_ATTEMPT"  # in a step's environment: STAGE/JOB/ATTEMPT
MESSAGE = (
    "We stopped hearing from agent mlops-local: the mlops process running this job stopped (killed?) at "
    "{at}; mlops resume {run} runs the job again from its start"
)


def message(data: Mapping[str, Any]) -> str:
    return MESSAGE.format(at=data.get("updatedAt") or "an unknown time", run=data.get("id"))


def view(data: RunRecord) -> RunRecord:
    """The record of a run that no process executes although it says "running", as it should be shown."""
    shown: dict[str, Any] = copy.deepcopy(dict(data))
    why = message(shown)
    for srec in shown.get("stages") or ():
        cut = False
        for jrec in srec.get("jobs") or ():
            if jrec.get("state") == "running":
                cut = True
                jrec.update(state="completed", result=cond.FAILED, message=why)
                cut_step = next((st for st in jrec.get("steps") or () if st.get("result") is None), None)
                if cut_step is not None:  # steps run in order: the first without a result was running
                    cut_step["result"] = cond.CANCELED
            elif jrec.get("state") == "queued":
                jrec["state"] = "pending"
        if cut:
            srec.update(state="completed", result=cond.FAILED, message=why)
    shown.update(status=STATUS, result=cond.FAILED, message=why)
    return cast(RunRecord, shown)


def stop_leftovers(run: Run, home: Path, stage: str, jrec: JobRecord) -> None:
    """Stop what an interrupted attempt left running: the step process groups the timeline names, and
    any process that carries the attempt's marker in its environment (a step killed before its pid
    was recorded, or a process it moved out of its group)."""
    marker = f"MLOPS_RUN_ID={run.id}"
    groups: set[int] = set()
    for event in run.timeline():
        if (
            event.get("event") == "process"
            and event.get("stage") == stage
            and event.get("job") == jrec["name"]
            and event.get("attempt") == jrec.get("attempt")
        ):
            pid = int(event.get("pid") or 0)
            if pid > 0 and process_alive(pid, marker):
                groups.add(pid)
    wanted = {
        marker.encode(),
        f"MLOPS_HOME={home}".encode(),
        f"{ATTEMPT_MARKER}={stage}/{jrec['name']}/{jrec.get('attempt')}".encode(),
    }
    proc = Path("/proc")
    for entry in proc.iterdir() if proc.is_dir() else ():
        try:
            if entry.name.isdigit() and wanted <= set((entry / "environ").read_bytes().split(b"\0")):
                groups.add(os.getpgid(int(entry.name)))
        except OSError:
            continue
    for group in groups - {os.getpgrp()}:
        kill_group(group, grace=0)
