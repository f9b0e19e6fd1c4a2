"""The README is short, its links hold, and its quick start runs as written and draws its picture."""

import os
import re
import shutil
from pathlib import Path

import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def test_readme_is_short_shows_its_picture_early_and_links_only_what_exists():
    lines = README.read_text().splitlines()
    assert len(lines) <= 250
    picture = next(i for i, line in enumerate(lines, 1) if "docs/figures/quickstart.png" in line)
    assert picture <= 60, "the quick start must end in its picture within the README's first 60 lines"
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README.read_text()):
        if not re.match(r"[a-z]+:", target):
            assert (ROOT / target).exists(), f"the README links to {target}, which does not exist"


def test_ci_runs_the_readmes_test_command_verbatim():
    commands = re.findall(r"```bash\n\s*(.*?)\n\s*```", README.read_text(), flags=re.S)
    assert commands[0].startswith("python3 -m venv .venv") and "pip install . &&" in commands[0]
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


def test_quick_start_runs_and_draws_its_picture(tmp_path, monkeypatch):
    """``NETSCOPE_README_FIGURE=docs/figures/quickstart.png pytest tests/test_readme.py`` refreshes the picture."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) == 1, "the README's one python example is its quick start"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    try:
        exec(compile(blocks[0], str(README), "exec"), namespace)
    finally:
        plt.close("all")
    maps, fisher = namespace["maps"], namespace["fisher"]
    # Two hidden layers (the ReLUs' outputs) at five snapshots; the last layer's classes pull apart.
    assert maps.layers_ == ["1", "3"] and len(maps.snapshot_labels_) == 5
    ratios = [m.activation.ratio for m in maps.metrics_["3"]]
    assert ratios[-1] > ratios[0] + 0.3
    # One gradient per training example at the trained weights; the output layer carries the top 10.
    assert fisher.n_samples_ == 1437 and fisher.n_parameters_ == 64 * 65 + 32 * 65 + 10 * 33
    assert fisher.layer_importance(10)["4"].enrichment > 5
    picture, page = tmp_path / "maps.png", tmp_path / "maps.html"
    assert picture.stat().st_size > 20_000 and page.stat().st_size > 10_000
    if os.environ.get("NETSCOPE_README_FIGURE"):
        shutil.copy(picture, ROOT / os.environ["NETSCOPE_README_FIGURE"])
