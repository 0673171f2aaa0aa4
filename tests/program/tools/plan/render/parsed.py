"""What GFM's and Mermaid's own parsers make of Markdown: parsers/parse.mjs run with Node.js, its packages installed
by `npm ci --ignore-scripts` from parsers/package-lock.json into a cache folder outside the repository, once per lock.

Needs Node.js, npm and the npm registry (.ci/run installs Debian's nodejs and npm where they are missing). The first
install takes about ten seconds and 170 MB under ~/.cache/tenantguard (or $XDG_CACHE_HOME/tenantguard); each parse
about two seconds.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).with_name("parsers")
FILES = ("package.json", "package-lock.json", "parse.mjs")


def _cache() -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "tenantguard" / "markdown-parsers"


def _tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is needed to run GFM's and Mermaid's parsers: apt-get install nodejs npm (.ci/run does)"
    return found


def installed() -> Path:
    """The parsers' folder with its node_modules, keyed by its files' hash; concurrent test workers install once."""
    digest = hashlib.sha256(b"".join((PACKAGE / name).read_bytes() for name in FILES)).hexdigest()[:16]
    cache = _cache()
    target = cache / digest
    if (target / ".installed").exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / f"{digest}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".installed").exists():
            return target
        work = Path(tempfile.mkdtemp(prefix="install-", dir=cache))
        for name in FILES:
            shutil.copy(PACKAGE / name, work / name)
        # Empty npm configs: an operator's ~/.npmrc (another registry, omitted lock URLs) plays no part.
        (work / ".empty-npmrc").write_text("")
        (work / ".empty-global-npmrc").write_text("")
        subprocess.run(
            [
                _tool("npm"),
                *("ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"),
                *("--userconfig", str(work / ".empty-npmrc"), "--globalconfig", str(work / ".empty-global-npmrc")),
            ],
            cwd=work,
            check=True,
            capture_output=True,
            timeout=600,
        )
        (work / ".installed").touch()
        shutil.rmtree(target, ignore_errors=True)
        work.rename(target)
    return target


def parsed(documents: list[str]) -> list[dict[str, Any]]:
    """For each Markdown document: its HTML elements' tags, tables (rows of cell texts), links, text, and for each
    ```mermaid block Mermaid's reading of it (nodes with their shown labels and classes, edges, subgraphs)."""
    _tool("node")
    folder = installed()
    result = subprocess.run(
        [_tool("npm"), "run", "--silent", "parse"],
        cwd=folder,
        input=json.dumps(documents),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return list(json.loads(result.stdout))
