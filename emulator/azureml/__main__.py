"""`python -m emulator.azureml <args…>` is `az <args…>`: a thin client of the state folder's resident
worker (see `resident/`), or the call in this process when no worker can serve."""

import sys

from emulator.azureml.resident.client import main

sys.exit(main())
