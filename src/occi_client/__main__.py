"""python -m occi_client: the occi command."""

import sys

from occi_client.cli import main

sys.exit(main())
