"""A person's copy (GDPR art. 15) in a real browser against a real platform (``subject_access_scenario.py``):
a director from the file, with the JSON download; the DPO from the access log; a counsellor refused.
Every page it reaches is checked with axe-core."""

import os
import subprocess
import sys

import pytest

from tests.harness import ROOT

pytestmark = pytest.mark.integration


def test_a_director_and_the_dpo_make_a_persons_copy_and_a_counsellor_may_not(front):
    done = subprocess.run(
        [sys.executable, "-m", "tests.web.subject_access_scenario", front.url, front.gateway_url],
        cwd=ROOT,
        env=dict(os.environ, PASSERELLE_ENV="development"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"scenario failed:\n{output[-6000:]}"
    assert "scenario a_persons_copy: every step held" in output
