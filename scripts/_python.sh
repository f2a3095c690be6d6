# Sourced by scripts/run.sh and scripts/test.sh: pick the Python and install pinned requirements into it.
#
# Uses $PYTHON if set, else `python`, else `python3`. An active virtualenv is used as it is. A Debian
# system Python ("externally managed", PEP 668) is only written to when running as root (a throw-away
# CI/test machine); otherwise the script stops and says how to make a virtualenv.

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PIP_NO_INPUT=1

pick_python() {
    PYTHON="${PYTHON:-$(command -v python || command -v python3 || true)}"
    if [ -z "$PYTHON" ]; then
        echo "error: no python or python3 on PATH (Python 3.11+ is needed)." >&2
        exit 1
    fi
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        echo "error: $("$PYTHON" --version 2>&1) at $PYTHON is too old; Python 3.11+ is needed." >&2
        exit 1
    fi
}

is_root() { [ "$(id -u)" -eq 0 ]; }

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    # Debian's packages may start services when installed (nginx on port 80): a policy-rc.d answering 101 stops
    # that; only a guard made here is removed afterwards.
    local guard=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && guard=1
    fi
    local rc=0
    { apt-get update -q && apt-get install -y -q --no-install-recommends "$@"; } || rc=$?
    if [ -n "$guard" ]; then rm -f /usr/sbin/policy-rc.d; fi
    return "$rc"
}

pip_install() {  # pip_install <requirements file>
    if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
        if is_root && command -v apt-get >/dev/null 2>&1; then
            apt_install python3-pip
        else
            echo "error: pip is not available for $PYTHON (on Debian: apt-get install python3-pip)." >&2
            exit 1
        fi
    fi
    local managed
    managed="$("$PYTHON" - <<'PY'
import os, sys, sysconfig
in_venv = sys.prefix != sys.base_prefix
marker = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
print("yes" if os.path.exists(marker) and not in_venv else "no")
PY
)"
    if [ "$managed" = yes ]; then
        if is_root; then
            export PIP_BREAK_SYSTEM_PACKAGES=1  # a throw-away root machine: install into the system Python
        else
            echo "error: $PYTHON is an externally managed system Python and this is not root." >&2
            echo "  Make a virtualenv first, then run this script again inside it:" >&2
            echo "    python3 -m venv .venv && . .venv/bin/activate" >&2
            exit 1
        fi
    fi
    "$PYTHON" -m pip install -q -r "$1"
}
