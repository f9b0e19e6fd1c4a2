"""``python -m netscope``: the ``netscope`` command."""

import sys

from .cli import main

sys.exit(main())
