"""Old name of ``kit.permissions``, kept only until the branches that still import it are merged."""

from kit.permissions import *  # noqa: F403
from kit.permissions import POLICY, allowed_roles  # noqa: F401
