"""``python -m summarize``: the ``summarize`` command."""

import sys

from .cli import main

sys.exit(main())
