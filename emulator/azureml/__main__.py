"""`python -m emulator.azureml <args…>` is `az <args…>`."""

import sys

from emulator.azureml.az.cli import main

sys.exit(main())
