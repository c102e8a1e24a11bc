"""A run whose mlops process died (kill -9, a crash, the machine rebooted), shown as Azure shows a run
whose agent stopped answering: the job that was running failed with "We stopped hearing from agent"
[DOC process/runs.md: a job fails after five minutes without a heartbeat], its running step canceled,
the run failed. `mlops resume RUN` runs that job again from its start and keeps the cut attempt.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from emulator.runtime import conditions as cond

STATUS = "interrupted"
MESSAGE = (
    "We stopped hearing from agent mlops-local: the mlops process running this job stopped (killed?) at "
    "{at}; mlops resume {run} runs the job again from its start"
)


def message(data: Mapping[str, Any]) -> str:
    return MESSAGE.format(at=data.get("updatedAt") or "an unknown time", run=data.get("id"))


def view(data: Mapping[str, Any]) -> dict[str, Any]:
    """The record of a run that no process executes although it says "running", as it should be shown."""
    shown = copy.deepcopy(dict(data))
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
    return shown
