# Sourced by the scripts: find uv, installing it when missing in a way PEP 668 systems accept.
# shellcheck shell=bash

# Debian 12 and Ubuntu 24.04 mark their system Python as externally managed (PEP 668), so a plain
# `pip install uv` is refused. pip skips that check for `--target` (pip's install command: "Specifying
# --root, --target, or --prefix disables the check"), so uv goes into .tools/uv of this checkout,
# touching neither the system's packages nor the user's.
TOOLS_UV="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools/uv"

find_uv() {
    # `uv run` names its own binary in UV: scripts started under it need no uv on PATH.
    if [ -n "${UV:-}" ] && [ -x "${UV}" ]; then
        echo "${UV}"
    elif command -v uv >/dev/null 2>&1; then
        command -v uv
    elif [ -x "$TOOLS_UV/bin/uv" ]; then
        echo "$TOOLS_UV/bin/uv"
    else
        return 1
    fi
}

ensure_uv() {
    if find_uv >/dev/null; then
        return 0
    fi
    if ! python3 -m pip --version >/dev/null 2>&1; then
        echo "setup: neither uv nor pip is installed; install uv (https://docs.astral.sh/uv/) or python3-pip" >&2
        return 1
    fi
    echo "setup: installing uv into $TOOLS_UV" >&2
    python3 -m pip install --quiet --disable-pip-version-check --target "$TOOLS_UV" uv
    find_uv >/dev/null
}
