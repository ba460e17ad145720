"""Run the command line: ``python -m shipments``."""

import sys

from shipments.cli import main

sys.exit(main())
