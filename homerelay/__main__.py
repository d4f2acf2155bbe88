"""Allow `python -m homerelay`."""

import sys

from homerelay.cli import main

sys.exit(main())
