"""The browser scenarios of a test module in one interpreter and one Chromium (``python -m tests.web.runner WEB GW``).

A scenario cannot run in the pytest process (``scenarios.py`` says why: eventlet), and starting a plain
interpreter, Playwright's driver and Chromium for each one cost about four seconds of CPU a scenario, a fifth of
what the front office's tests spent. So ``test_front_office.py`` starts this runner once for its module and hands
it the scenarios one at a time. Each scenario still opens browser contexts of its own (``Visitor``): no cookie,
storage or page crosses from one scenario to the next, only the browser process is shared.

Requests come on stdin, one a line: ``MODULE NAME RESULT``. The runner runs ``NAME`` (a function of ``MODULE``
taking ``front`` and the browser) and writes ``RESULT``: its first line ``passed`` or ``failed``, then what the
scenario printed and, on failure, the traceback. The file is written under another name and then renamed, so a
reader never sees half a result. A browser that has gone (a crash) is launched again for the next request.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
import traceback
from pathlib import Path
from types import SimpleNamespace

from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, launch_chromium


def run_one(front, browser, module: str, name: str) -> tuple[bool, str]:
    """Run one scenario; (held, what it printed and the traceback if it did not)."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            getattr(importlib.import_module(module), name)(front, browser)
    except Exception:
        return False, printed.getvalue() + traceback.format_exc()
    return True, printed.getvalue() + f"scenario {name}: every step held\n"


def write_result(path: Path, held: bool, text: str) -> None:
    partial = path.with_name(path.name + ".part")
    partial.write_text(("passed" if held else "failed") + "\n" + text)
    os.replace(partial, path)


def main(argv: list[str]) -> int:
    web_url, gateway_url = argv
    front = SimpleNamespace(url=web_url, gateway_url=gateway_url)
    playwright, browser = launch_chromium()
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            module, name, result = line.split()
            if not browser.is_connected():
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            held, text = run_one(front, browser, module, name)
            write_result(Path(result), held, text)
    finally:
        with contextlib.suppress(Exception):
            browser.close()
        playwright.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
