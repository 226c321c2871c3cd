"""Root of every test run: eventlet must patch the standard library before anything else loads.

The tests run in development mode, said here explicitly rather than inherited from a Makefile, so that
the development secrets (``kit.mode``) are available to them and to every process they start; the tests
of production mode take it out of the environment they give.
"""

import os
import warnings

os.environ["PASSERELLE_ENV"] = "development"

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()
