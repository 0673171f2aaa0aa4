"""scripts/setup's first step on a system Python that refuses `pip install` (PEP 668): uv still arrives."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # installs uv into a copy of the checkout, about 2 s

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = Path("/usr/bin/python3")


def externally_managed(python: Path) -> bool:
    """Whether `python` carries PEP 668's marker, which makes pip refuse to install into it."""
    stdlib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return (Path(stdlib) / "EXTERNALLY-MANAGED").exists()


@pytest.mark.skipif(
    not SYSTEM_PYTHON.exists() or not externally_managed(SYSTEM_PYTHON),
    reason="this machine has no externally managed system Python (Debian 12 / Ubuntu 24.04 have one)",
)
def test_uv_is_installed_beside_the_checkout_on_an_externally_managed_python(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "lib.sh", checkout / "scripts" / "lib.sh")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(SYSTEM_PYTHON)
    environment = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}
    environment.pop("VIRTUAL_ENV", None)
    environment.pop("UV", None)  # `uv run` names itself here; this machine must have no uv at all
    assert shutil.which("uv", path=environment["PATH"]) is None
    result = subprocess.run(
        ["bash", "-c", 'source scripts/lib.sh && ensure_uv && "$(find_uv)" --version'],
        cwd=checkout,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("uv ")
    assert (checkout / ".tools" / "uv" / "bin" / "uv").exists()
    # Nothing went into the system's own packages.
    assert subprocess.run([str(SYSTEM_PYTHON), "-c", "import uv"], capture_output=True, check=False).returncode != 0
