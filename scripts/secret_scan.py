"""Fail on any detect-secrets finding that is not in the audited .secrets.baseline.

detect-secrets-hook rewrites the baseline (and fails) whenever line numbers move; this compares
findings by file, type and hashed secret only, so editing around an audited entry is fine.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXCLUDE = r"^(\.venv/|uv\.lock$|\.secrets\.baseline$)"


def findings(results: dict[str, list[dict[str, object]]]) -> dict[tuple[str, str, str], int]:
    return {
        (path, str(item["type"]), str(item["hashed_secret"])): int(str(item["line_number"]))
        for path, items in results.items()
        for item in items
    }


def main() -> int:
    baseline = json.loads((ROOT / ".secrets.baseline").read_text())
    unaudited = [
        (path, item["line_number"])
        for path, items in baseline["results"].items()
        for item in items
        if item.get("is_secret") is not False
    ]
    scan = subprocess.run(  # noqa: S603 - detect-secrets from this project's environment
        [sys.executable, "-m", "detect_secrets", "scan", "--exclude-files", EXCLUDE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    new = sorted(set(findings(json.loads(scan.stdout)["results"])) - set(findings(baseline["results"])))
    current = findings(json.loads(scan.stdout)["results"])
    for path, kind, _ in new:
        print(f"{path}:{current[(path, kind, _)]}: {kind} is not in the audited .secrets.baseline", file=sys.stderr)
    for path, line in unaudited:
        print(f"{path}:{line}: baseline entry not audited (is_secret must be false)", file=sys.stderr)
    if new or unaudited:
        print("See SECRETS-BASELINE.md: remove the secret, or audit and explain the finding.", file=sys.stderr)
        return 1
    print(f"detect-secrets: no unaudited findings ({len(current)} audited)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
