"""The guides' examples run as written and say what the guides say they do: the python blocks of
docs/guides/own-network.md, active-subspaces.md, structural-maps.md and core.md, in that order, in one
session as a reader would run them (they were the README's examples before the guides took them)."""

import re
from pathlib import Path

import numpy as np
import pytest

GUIDES = Path(__file__).resolve().parents[1] / "docs" / "guides"
ORDER = ["own-network.md", "active-subspaces.md", "structural-maps.md", "core.md"]


def test_guide_examples_run_and_hold_what_their_comments_say(tmp_path, monkeypatch):
    pytest.importorskip("lightning")
    pytest.importorskip("transformers")
    blocks = [
        (GUIDES / name, block)
        for name in ORDER
        for block in re.findall(r"```python\n(.*?)```", (GUIDES / name).read_text(), flags=re.S)
    ]
    assert len(blocks) == 8, "the checks below follow the guides' eight python examples in order"
    monkeypatch.chdir(tmp_path)
    spaces, namespace = [], {}
    for path, block in blocks:  # in one namespace, as a reader runs them in one session; a copy after each
        exec(compile(block, str(path), "exec"), namespace)
        spaces.append(dict(namespace))
    own, hugging_face, recording, callbacks, seed, resumable, maps, core = spaces
    # Your own network: 1 437 training images, D = 1 386; the first conv enriched; a map per epoch.
    assert own["fisher"].n_samples_ == 1437 and own["fisher"].n_parameters_ == 1386
    assert own["fisher"].layer_importance(5)["features.0"].enrichment > 2
    assert own["maps"].snapshot_labels_ == [1, 2, 3] and (tmp_path / "epoch_3.pt").exists()
    # Hugging Face: one gradient per example from dict batches, the encoder blocks mapped.
    assert hugging_face["fisher"].n_samples_ == 64 and hugging_face["fisher"].eigenvalues_[0] > 0
    assert hugging_face["tracker"].layers == ["bert.encoder.layer.0", "bert.encoder.layer.1"]
    assert hugging_face["maps"].positions_["bert.encoder.layer.1"][0].shape == (64, 2)
    # Recording: the start and three epochs, one file each; the callbacks' runs, start + 2 epochs each.
    assert [s["label"] for s in recording["run"].snapshots] == ["start", 1, 2, 3]
    assert recording["run"].subspace.energy.shape == (4, 360)
    from netscope import RunFolder

    assert len(RunFolder(tmp_path / "runs" / "lightning")) == 3 and len(RunFolder(tmp_path / "runs" / "bert")) == 3
    # The seed's network in code: D = 5 146, 20 eigenvectors, descending eigenvalues, saved.
    assert seed["study"].eigenvectors_.shape == (5146, 20)
    assert np.all(np.diff(seed["study"].eigenvalues_) <= 0) and (tmp_path / "study.npz").exists()
    # The checkpointed sketch: its saved state holds all 1 024 samples and gives the fit's eigenvalues.
    assert resumable["sketch"].count == 1024 and resumable["study"].eigenvectors_.shape == (5146, 10)
    np.testing.assert_allclose(resumable["sketch"].eigenpairs(3)[0], resumable["study"].eigenvalues_[:3])
    # Structural maps: a map per snapshot, nodes carrying their positions.
    assert maps["maps"].snapshot_labels_ == [0, 1, 2] and maps["positions"].shape == (360, 2)
    assert maps["graph"].number_of_nodes() == 360
    assert maps["subspace"].energy.shape == (3, 360) and (tmp_path / "maps.html").stat().st_size > 10_000
    # The core: C = (1/N) Σ g gᵀ, then merged with its saved copy: twice the count, the same mean.
    assert core["C"].shape == (300, 300) and core["eigenvalues"].shape == (20,) and core["U"].shape == (2000, 50)
    np.testing.assert_allclose(core["gram"].matrix(), core["C"])
    assert core["gram"].count == 2 * core["other"].count
