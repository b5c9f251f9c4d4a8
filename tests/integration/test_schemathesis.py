"""The emulator holds to its own OpenAPI document: schemathesis (a third-party property-based
API tester) runs every phase against ``/public/v2/openapi.json`` over a real socket with
every check, the stateful phase following the document's links (create -> get -> update
-> delete), and finds nothing.

The run is bounded by examples per operation (``MAX_EXAMPLES``) and a fixed seed, so it is
the same run each time; ``schemathesis_hooks.py`` adds the one check that tells a refusal
the document could have stated from one about other records.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from recrubo_emulator import Emulator

from ..support import ROOT

#: Cases per operation and phase: 79 operations, four phases.
MAX_EXAMPLES = 5
#: Stateful scenarios (each up to six linked steps).
STATEFUL_EXAMPLES = 40
SEED = 19
#: Generous for a busy 2-core machine: the run takes about a minute on an idle one.
RUN_TIMEOUT = 900.0


def _config(org_token: str, partner_key: str) -> str:
    """schemathesis.toml: each security scheme's key, and the statuses a schema-valid
    request may get (400 and 422 only for reasons ``schemathesis_hooks`` accepts)."""
    return f"""
[auth.openapi.organizationKey]
bearer = "{org_token}"

[auth.openapi.partnerKey]
bearer = "{partner_key}"

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429"]

# Only the document's own links: inferred ones would chain the management list to
# DELETE /management/organizations/{{id}} and refresh-token, and take this run's own
# organization (and its key) away. Schema-valid steps, so creates succeed and the links
# (create -> get -> update -> delete) are followed.
[phases.stateful]
max-steps = 6

[phases.stateful.inference]
algorithms = []

[phases.stateful.generation]
mode = "positive"
max-examples = {STATEFUL_EXAMPLES}
"""


def _cli() -> Path:
    return Path(sys.executable).with_name("schemathesis")


async def test_schemathesis_finds_no_failure_in_any_phase(tmp_path: Path) -> None:
    async with Emulator(seed=SEED, speed=100.0) as emu:
        org = await emu.create_organization("Schemathesis")
        config = tmp_path / "schemathesis.toml"
        config.write_text(_config(org.token, emu.partner_key))
        env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": "tests.integration.schemathesis_hooks",
            "PYTHONPATH": str(ROOT),
        }
        proc = await asyncio.create_subprocess_exec(
            str(_cli()),
            "--config-file",
            str(config),
            "--no-color",
            "run",
            f"{emu.base_url}/openapi.json",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            "--generation-database",
            "none",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    text = out.decode(errors="replace")
    assert proc.returncode == 0, text[-20000:]
    # A run that tested nothing passes too: make sure each phase ran.
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert f"✅  {phase}" in text, text[-5000:]
    assert "Authentication failed" not in text, text[-5000:]
    # The stateful phase followed the document's links from creates onwards.
    covered = re.search(r"API Links: +(\d+) covered", text)
    assert covered is not None and int(covered.group(1)) > 0, text[-5000:]
