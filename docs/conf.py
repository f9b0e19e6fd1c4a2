"""Sphinx configuration of netscope's documentation (build: ``sphinx-build -W --keep-going -b html docs build/docs``).

Everything is built offline: no intersphinx inventories, no CDN assets, no downloads. The benchmark tables, the module
table, the command's help and the notebooks' copies are generated at every build (``_scripts/generate.py``); the
gallery's scripts (``examples/gallery``) and the notebooks (``examples/*.ipynb``) are executed.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_scripts"))
# One OpenMP thread for torch in the executed examples, as tests/test_examples.py does: its spinning threads made
# the small MLPs of the examples many times slower on a busy 2-core machine.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "agg")

import generate  # noqa: E402

import netscope  # noqa: E402

generate.main()

project = "netscope"
author = "the netscope developers"
copyright = "the netscope developers"
release = version = netscope.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_nb",
    "sphinx_gallery.gen_gallery",
]

# No math extension: Sphinx's default, MathJax, is loaded from a CDN, and the page must work offline.
exclude_patterns = [
    "_build",
    "**.ipynb_checkpoints",
    # sphinx-gallery writes a notebook beside each example for download; myst-nb must not read them as pages.
    "auto_examples/*.ipynb",
    # sphinx-gallery's tables of execution times load jQuery and DataTables from CDNs.
    "sg_execution_times.rst",
    "auto_examples/sg_execution_times.rst",
    # Pieces that pages include (benchmark tables, the module table, the command's help), not pages themselves.
    "_generated",
]
templates_path = ["_templates"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"

# API reference: one page per public name, generated from the docstrings (numpy convention, read by numpydoc).
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"  # the numpy docstrings give each parameter's type
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Markdown (MyST) guides, linked by their headings; notebooks executed at build time (they are kept without outputs).
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
nb_execution_mode = "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_in_temp = True
nb_merge_streams = True

# The gallery: small scripts on bundled or generated data, run at build time, their figures embedded.
sphinx_gallery_conf = {
    "examples_dirs": [str(DOCS.parent / "examples" / "gallery")],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
}

# The theme: pydata-sphinx-theme, the one numpy, scipy, pandas and scikit-learn users already read their API
# references in; its searchable, wide API pages, light/dark modes and sphinx-gallery styles suit a numerical library,
# and it ships its fonts and icons, so the site works offline.
html_theme = "pydata_sphinx_theme"
html_title = f"netscope {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_show_sourcelink = False
html_copy_source = False


def _exported() -> list:
    """The objects of the public ``__all__`` lists documented on their own pages (the integrations' are not
    collected: their modules import Lightning and transformers, and no module page lists them)."""
    import netscope.recording
    import netscope.viewer

    return [
        getattr(module, name) for module in (netscope, netscope.recording, netscope.viewer) for name in module.__all__
    ]


def _skip_exported(app, what, name, obj, skip, options):
    """On a module's page, leave out what has its own page already (``netscope.ActiveSubspace`` and the like), and
    everywhere scikit-learn's generated ``set_*_request`` methods."""
    if what == "module" and any(obj is exported for exported in app.config._netscope_exported):
        return True
    if name.startswith("set_") and name.endswith("_request"):
        return True  # scikit-learn's metadata-routing setters, which it adds to every estimator class
    return None


# The docstrings write mathematics as plain text: |x| for an absolute value, ``extend``ed for a literal with a suffix.
# reST reads |x| as a substitution and the suffix as a broken literal; escape both outside literals and roles, so
# that the docstrings stay plain to read in the source and in help(). And a role whose target starts with a dot
# names a module beside the docstring's own.
_LITERALS = re.compile(r"(``.+?``|`[^`]+`)")


_RELATIVE = re.compile(r"(:(?:mod|class|func|meth|attr|data|exc|obj):`~?)\.(?=\w)")


def _plain_text(app, what, name, obj, options, lines):
    # :mod:`.fitting` in a docstring of netscope.structure.maps means the sibling module, as a relative import
    # would; Sphinx would search every module named so (netscope.active.fitting too) and warn that it is ambiguous.
    module = name if what == "module" else getattr(obj, "__module__", None) or name.rpartition(".")[0]
    package = module if what == "module" and hasattr(obj, "__path__") else module.rpartition(".")[0]
    for i, line in enumerate(lines):
        line = _RELATIVE.sub(lambda match: f"{match.group(1)}{package}.", line)
        parts = _LITERALS.split(line)  # text, literal, text, literal, ..., text
        parts[::2] = [part.replace("|", "\\|") for part in parts[::2]]
        for j in range(2, len(parts), 2):
            if parts[j - 1].startswith("``") and parts[j][:1].isalnum():
                parts[j] = "\\ " + parts[j]  # ``extend``ed: the suffix joined by an escaped space
        lines[i] = "".join(parts)


def _skip_foreign(app, what, name, obj, skip, options):
    """On a module's page, leave out classes and functions that the module imports from other packages."""
    module = getattr(obj, "__module__", None)
    if what == "module" and isinstance(module, str) and not module.startswith("netscope"):
        return True
    return None


def setup(app):
    app.add_config_value("_netscope_exported", [], "")
    app.config._netscope_exported = _exported()
    app.connect("autodoc-skip-member", _skip_exported)
    app.connect("autodoc-skip-member", _skip_foreign)
    app.connect("autodoc-process-docstring", _plain_text, priority=400)
