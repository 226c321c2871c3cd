"""eventlet's monkey-patching, done once, before anything imports socket, threading or kombu.

Nameko 2 runs on eventlet. The modules that run green processes (``cli``, ``launcher``, ``processes``) import
this first, in an import block of its own (``# isort: split``), so that no later import sees the unpatched
standard library. Nothing else imports it: a test process that only uses ``runtime.demo`` stays unpatched.
"""

import warnings

# eventlet warns on import that it is in maintenance mode; nameko 2 needs it.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()
