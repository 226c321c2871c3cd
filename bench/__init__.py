"""Benchmarks: figures beside a baseline measured in the same run (``python -m bench``).

Every benchmark builds a throwaway platform of development processes (derived broker passwords, locally
minted tokens), so development mode is turned on here, explicitly, for this process and those it starts
(``kit.mode``).
"""

import os

os.environ["PASSERELLE_ENV"] = "development"
