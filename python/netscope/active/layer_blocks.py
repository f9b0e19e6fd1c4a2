"""Each layer's diagonal block of C = (1/N) Σ g gᵀ, accumulated from the gradient stream itself, so
that a fit that keeps no gradients still has per-layer spectra (:meth:`LayerBlocks.spectra`, what
:func:`netscope.active.diagnostics.layer_spectra` computes from kept gradients).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .. import _core
from ..core.gram import GramAccumulator
from ..core.sketch import NystromSketch
from .decompositions import new_sketch
from .diagnostics import spectra_of_blocks
from .results import LayerSpectra

# A layer of at most this many parameters gets an exact GramAccumulator (2 048² float64 = 32 MB);
# a larger one a Nyström sketch.
GRAM_LAYER_MAX = 2048
# Columns of a layer's sketch: 2k + 10 for the top k = 10 that layer_spectra reports by default.
LAYER_SKETCH_SIZE = 30


class LayerBlocks:
    """One small streaming state per layer of ``layout``, fed each chunk's columns of that layer:
    a :class:`GramAccumulator` for a layer of at most :data:`GRAM_LAYER_MAX` parameters, else a
    :class:`NystromSketch` of ``sketch_size`` columns (float32 unless ``sketch_dtype`` says
    "float64"), plus each block's trace Σ ‖g_l‖², exact whatever the state.

    Memory: D_l² float64 numbers per Gram layer and D_l s per sketched one (:meth:`nbytes` says
    how many bytes before any is allocated). Per chunk of n rows: n times that, and one (n, D_l)
    copy of a layer's columns at a time. Saved, resumed and all-reduced like the estimator's own
    state.
    """

    def __init__(self, layout, *, sketch_size: int = LAYER_SKETCH_SIZE, seed: int = 0, sketch_dtype: str = "auto"):
        self.slices = layout.layer_slices()
        self.states: dict[str, GramAccumulator | NystromSketch] = {}
        for layer, (start, stop) in self.slices.items():
            size = stop - start
            if size <= GRAM_LAYER_MAX:
                self.states[layer] = GramAccumulator(size)
            else:
                # "auto" stores a layer's sketch in float32 whatever its size: as accurate (see
                # NystromSketch), and half of what the blocks add to a run's peak.
                dtype = "float32" if sketch_dtype == "auto" else sketch_dtype
                self.states[layer] = new_sketch(size, sketch_size, seed, dtype)
        self.traces = np.zeros(len(self.slices))

    @staticmethod
    def nbytes(layout, sketch_size: int = LAYER_SKETCH_SIZE) -> int:
        """Bytes the states of ``layout``'s layers take (float32 sketches, as "auto" stores them)."""
        sizes = [stop - start for start, stop in layout.layer_slices().values()]
        return sum(8 * size * size if size <= GRAM_LAYER_MAX else 4 * size * min(sketch_size, size) for size in sizes)

    @property
    def count(self) -> int:
        """Gradients seen (every layer has seen the same)."""
        return next(iter(self.states.values())).count

    def update(self, chunk: np.ndarray) -> None:
        """Add a chunk (n, D) of gradients, layer by layer."""
        for index, (layer, (start, stop)) in enumerate(self.slices.items()):
            columns = np.ascontiguousarray(chunk[:, start:stop])
            self.states[layer].update(columns)
            self.traces[index] += float(np.einsum("ij,ij->", columns, columns, dtype=np.float64))

    def spectra(self, eigenvectors: np.ndarray, k: int) -> LayerSpectra:
        """The top-k eigenvalues of each block (exact for a Gram layer: LAPACK's, O(D_l³); the
        sketch's estimate otherwise, O(D_l s²)), its trace and share of tr C, and the global
        leading ``eigenvectors``' (D, ≥ k) weight on it.
        """
        count = self.count
        if count == 0:
            raise ValueError("the layer blocks have seen no gradients")
        blocks = {}
        for index, (layer, (start, stop)) in enumerate(self.slices.items()):
            state = self.states[layer]
            top = min(k, count, stop - start)
            if isinstance(state, GramAccumulator):
                values = _core.symmetric_eigenvalues(state.matrix())[:top]
            else:
                values = state.eigenpairs(min(top, state.sketch_size))[0]
            blocks[layer] = (values, float(self.traces[index]) / count)
        return spectra_of_blocks(blocks, self.slices, eigenvectors, k)

    def save(self, path) -> None:
        """Write every state (``path.<i>``, atomically each) and then the traces and layer names
        (``path.json``). O(the states' size).
        """
        for index, state in enumerate(self.states.values()):
            state.save(f"{path}.{index}")
        temporary = Path(f"{path}.json.tmp")
        temporary.write_text(
            json.dumps({"layers": list(self.slices), "traces": self.traces.tolist(), "count": self.count})
        )
        os.replace(temporary, f"{path}.json")

    def restore(self, path) -> None:
        """Replace the states and traces by those saved at ``path``; ValueError when the files do
        not belong to these layers or were written at different counts.
        """
        saved = json.loads(Path(f"{path}.json").read_text())
        if saved["layers"] != list(self.slices):
            raise ValueError(
                f"checkpoint: {path}.json holds the layers {saved['layers']}, this model {list(self.slices)}"
            )
        for index, (layer, state) in enumerate(list(self.states.items())):
            loaded = type(state).load(f"{path}.{index}")
            if loaded.dim != state.dim or loaded.count != saved["count"]:
                raise ValueError(
                    f"checkpoint: {path}.{index} does not match {path}.json (a run stopped between "
                    "the two writes); delete the checkpoint to start afresh"
                )
            self.states[layer] = loaded
        self.traces = np.asarray(saved["traces"], dtype=np.float64)

    def all_reduce(self, group=None) -> None:
        """Sum every state and trace over the ranks of a ``torch.distributed`` group."""
        import torch
        import torch.distributed as dist

        for state in self.states.values():
            state.all_reduce(group)
        traces = torch.from_numpy(self.traces.copy())
        dist.all_reduce(traces, group=group)
        self.traces = traces.numpy()
