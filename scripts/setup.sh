#!/usr/bin/env bash
# Create .venv (if absent) and install burstcode with its test, example and docs extras.
#
# torch and torchvision are pinned to the pair tested with this project (2.14.1 / 0.29.1): a plain
# `pip install torchvision` may move torch to another release, and torchvision only imports beside the torch
# it was built for. `pip install -e .` alone works with any torch >= 2.1.
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"

# Some machines configure pip with find-links folders that do not exist, so pip prints one warning per package.
# Those lines are dropped. Everything else pip prints is kept, and a failing install still stops the script.
pip_install() {
    .venv/bin/python -m pip install --quiet "$@" 2>&1 | { grep -v "^WARNING: Location 'file://" || true; }
}

if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
pip_install --upgrade pip
pip_install "torch==2.14.1" "torchvision==0.29.1"
pip_install -e ".[test,examples,docs]"
.venv/bin/python -c "import burstcode, torch, torchvision; print('burstcode', burstcode.__version__, 'torch', torch.__version__, 'torchvision', torchvision.__version__)"
