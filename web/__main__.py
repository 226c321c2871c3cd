"""``python -m web --gateway URL --port N``: the front office alone, in the foreground."""

import sys

from web.server import main

sys.exit(main())
