"""Old name of ``kit.consumer`` (consuming events), kept only until the branches that still import it are merged."""

from kit.consumer import *  # noqa: F403
from kit.consumer import EventHandler, event_handler, handlers_of  # noqa: F401
