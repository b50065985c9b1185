"""`python -m bot`: hands over to the command line in the composition root."""

import sys

from adapters.cli import main

sys.exit(main())
