"""Corrections in the front office, in a real browser against a real platform (``tests/web/browser.py``): a
person corrected with « Corriger », the history on the file, and a stale edit refused with who and when; an
employer's address corrected and its account manager reassigned."""

import os
import subprocess
import sys

import pytest

from tests.harness import ROOT

pytestmark = pytest.mark.integration


def run(front, name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.web.correction_scenarios", name, front.url, front.gateway_url],
        cwd=ROOT,
        env=dict(os.environ, PASSERELLE_ENV="development"),
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"scenario {name} failed:\n{output[-6000:]}"
    assert f"scenario {name}: every step held" in output


def test_a_person_corrected_and_a_stale_edit_refused(front):
    run(front, "a_person_corrected_and_a_stale_edit_refused")


def test_an_employer_corrected_and_handed_over(front):
    """The agent corrects the address (an error beside its field first); the director hands the employer over."""
    run(front, "an_employer_corrected_and_handed_over")
