"""The front office in a real browser: a platform, its gateway and the web application as processes, driven by
Playwright through Debian's Chromium, with axe-core checking every page visited.

``FrontOffice`` starts a throwaway platform (``tests.harness.TestPlatform``:
real broker, real databases, two Missions), the gateway
(``passerelle run-gateway``) and the front office (``python -m web``) on free
ports, all in development mode. Chromium is Debian's (``/usr/bin/chromium``):
no browser is ever downloaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests

from tests.harness import ROOT, TestPlatform, free_port, terminate, wait_until

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class FrontOffice:
    def __init__(self, tmp: Path, missions=("mirec", "mirena")):
        self.platform = TestPlatform(tmp, missions=missions)
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []
        self.web_port = free_port()
        self.url = f"http://127.0.0.1:{self.web_port}"
        self.gateway_url = f"http://127.0.0.1:{self.platform.gateway_port}"

    def _env(self) -> dict:
        env = dict(
            os.environ, PASSERELLE_ENV="development", PASSERELLE_RATE_PER_SECOND="10000", PASSERELLE_RATE_BURST="10000"
        )
        env.pop("PASSERELLE_FAULTS", None)
        return env

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self._env(), cwd=ROOT)
        self.procs.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def start(self) -> FrontOffice:
        self.platform.setup()
        for code in self.platform.registry.sites:  # the Missions and InterMire (the analyst's figures)
            self.platform.start(code.code)
        registry = str(self.platform.registry_path)
        self._spawn("gateway", [sys.executable, "-m", "runtime.cli", "--registry", registry, "run-gateway"])
        self._spawn("web", [sys.executable, "-m", "web", "--registry", registry, "--port", str(self.web_port)])
        wait_until(lambda: _answers(self.gateway_url + "/openapi.json"), 60, what="gateway")
        wait_until(lambda: _answers(self.url + "/connexion"), 60, what="front office")
        return self

    def stop(self):
        told = [proc.poll() is None for proc in self.procs]
        for proc, running in zip(self.procs, told, strict=True):  # told at once, their stops overlap
            if running:
                proc.terminate()
        for proc, running in zip(self.procs, told, strict=True):
            terminate(proc, told=running)
        self.platform.teardown()


class ScenarioRunner:
    """``tests/web/runner.py`` as a process of the test module: scenarios handed to it one at a time.

    A scenario that outlasts its timeout leaves a runner that may still be driving the browser: it is killed, and
    the next scenario starts a new one.
    """

    def __init__(self, front: FrontOffice, folder: Path):
        self.front, self.folder = front, folder
        self.proc: subprocess.Popen | None = None
        self.count = 0

    def _start(self) -> subprocess.Popen:
        log = open(self.folder / "runner.log", "ab")
        argv = [sys.executable, "-m", "tests.web.runner", self.front.url, self.front.gateway_url]
        env = dict(os.environ, PASSERELLE_ENV="development")
        return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)

    def run(self, module: str, name: str, timeout: float) -> tuple[bool, str]:
        """(held, output) of scenario ``name`` of ``module``."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        self.count += 1
        result = self.folder / f"{self.count:02d}-{name}.txt"
        self.proc.stdin.write(f"{module} {name} {result}\n".encode())
        self.proc.stdin.flush()
        try:
            wait_until(lambda: result.exists() or self.proc.poll() is not None, timeout, interval=0.5, what=name)
        except AssertionError:
            self.stop(at_once=True)
            raise
        if not result.exists():
            return False, f"the runner stopped ({self.proc.returncode}):\n" + self.log()
        status, _, output = result.read_text().partition("\n")
        return status == "passed", output

    def log(self) -> str:
        return (self.folder / "runner.log").read_text(errors="replace")[-4000:]

    def stop(self, at_once: bool = False):
        """An idle runner ends when its stdin closes (closing its browser); a busy one is stopped."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            terminate(self.proc, timeout=20.0, told=not at_once)
        self.proc = None


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def launch_chromium():
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    return playwright, browser


AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""


def axe_violations(page) -> list[str]:
    """Serious and critical violations on the page as it is now (axe-core, injected through the DevTools
    protocol, which the page's Content-Security-Policy does not govern)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    return page.evaluate(AXE_RUN)
