"""Sphinx configuration of the burstcode documentation.

Build the HTML pages and run every example of the docs and of the package docstrings with::

    sphinx-build -W --keep-going -b html docs docs/_build/html
    sphinx-build -W -b doctest docs docs/_build/doctest

The encoder plots are drawn from the package at every build (see ``_scripts/plot_encoders.py``), so they always
show what the installed code does.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
# Document the package of this checkout, whether or not it is installed.
sys.path.insert(0, str(DOCS.parent))
sys.path.insert(0, str(DOCS / "_scripts"))

import burstcode  # noqa: E402

project = "burstcode"
author = "burstcode developers"
copyright = "2026, burstcode developers"
release = burstcode.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
# results.md is shown inside privacy.md, which adds the explanation of its table.
exclude_patterns = ["_build", "_generated", "_scripts", "_static", "results.md"]

# --- autodoc and napoleon -----------------------------------------------------------------------------------------

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_custom_sections = ["Shape"]

# --- MyST (results.md and benchmarks.md are Markdown) ---------------------------------------------------------------

myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# --- doctest ------------------------------------------------------------------------------------------------------

# A docstring example uses the names of its own module without importing them, so the setup imports those names
# and every example in the package runs unchanged under `sphinx-build -b doctest`.
doctest_global_setup = """
import torch
import burstcode
from burstcode import DelayedBurst, LIF, LatencyEncoder, PoissonBurst, RateEncoder, TimeDistributed, surrogate
from burstcode.functional import *
from burstcode.lif import lif
from burstcode.testing import *
from torch import nn
torch.manual_seed(0)
"""

# --- intersphinx --------------------------------------------------------------------------------------------------

# Links to the Python and PyTorch docs need their inventories, which Sphinx downloads at build time. An offline
# build cannot reach them, and the failed download is a warning that `-W` turns into an error, so the mapping is
# only set when BURSTCODE_DOCS_INTERSPHINX=1 (CI with network access, Read the Docs). Without it, references to
# torch and Python objects render as plain code.
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
if os.environ.get("BURSTCODE_DOCS_INTERSPHINX") == "1":
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "torch": ("https://docs.pytorch.org/docs/stable", None),
        "torchvision": ("https://docs.pytorch.org/vision/stable", None),
    }
intersphinx_timeout = 10

# --- HTML ---------------------------------------------------------------------------------------------------------

html_theme = "furo"
html_title = f"burstcode {release}"
# A fresh checkout may have no _static folder (git keeps no empty folders), and a missing entry is a warning.
html_static_path = ["_static"] if (DOCS / "_static").is_dir() else []
pygments_style = "friendly"
pygments_dark_style = "monokai"


def _draw_plots(app) -> None:
    """Draw the encoder and surrogate figures from the package before any page is read."""
    import plot_encoders

    plot_encoders.main(DOCS / "_generated")


def setup(app):
    app.connect("builder-inited", _draw_plots)
