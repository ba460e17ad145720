"""Run the command line: ``python -m shipments``."""

import os
import sys

from shipments.cli import main

try:
    sys.exit(main())
except BrokenPipeError:
    # The reader (e.g. `head`) went away: stop quietly, as other command-line tools do.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(1)
