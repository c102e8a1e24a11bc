"""The emulated `az` commands, one module per command group: its handlers and, beside them, the
table rows that give each command its words, summary and options (as the real CLI spells them).

Handlers translate arguments into calls on the layers below and return what to render; they never
print (progress and warnings go through the Invocation).
"""

from emulator.azureml.az.commands import (
    account,
    batch,
    compute,
    data,
    environment,
    job,
    model,
    online,
    v1,
    workspace,
)
from emulator.azureml.az.parser import Command

COMMANDS: tuple[Command, ...] = (
    *account.COMMANDS,
    *job.COMMANDS,
    *environment.COMMANDS,
    *model.COMMANDS,
    *data.COMMANDS,
    *workspace.COMMANDS,
    *compute.COMMANDS,
    *online.COMMANDS,
    *batch.COMMANDS,
    *v1.COMMANDS,
)
