"""`python -m emulator.azureml <args…>` is `az <args…>`."""

import sys

from emulator.azureml.cli import main

sys.exit(main())
