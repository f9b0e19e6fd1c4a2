"""The maps of a recorded run folder (``netscope structure --run``): laid out once, then, as
training goes on, only the snapshots recorded since, warm-started from the saved map.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..recording import RunFolder
from ..structure.compare import check_references
from ..structure.maps import StructureMap
from .map_outputs import check_page_extras, write_maps
from .summaries import MapsSummary, RecordedRun


def run_recorded_maps(
    run_dir,
    out_dir=None,
    *,
    k: int = 15,
    seed: int = 0,
    compare=(),
    html: bool = True,
    classes=None,
    metadata=None,
    hover_text=None,
) -> MapsSummary:
    """The maps, metrics and page of a run folder that :class:`netscope.Recorder` wrote (while
    training goes on, or after), into ``out_dir`` (default ``RUN/maps``).

    The page takes the class names, metadata and hover text recorded with the run; ``classes``,
    ``metadata`` and ``hover_text``, where given, replace them (each on its own; forms as for
    :meth:`netscope.StructureMap.to_html`, one row or string per probe example).

    The fitted map is saved there (``structure_map.npz``); a later call with the same ``k`` and
    ``seed`` lays out only the snapshots recorded since, warm-started from that saved map
    (:meth:`netscope.StructureMap.extend`), and its result equals one call over all snapshots.
    Returns the :class:`~netscope.studies.summaries.MapsSummary` (its ``source``, a
    :class:`~netscope.studies.summaries.RecordedRun`, tells how many snapshots were new). Cost: one
    map per new snapshot and layer, then the figures and the page of all of them.
    """
    run = RunFolder(run_dir)
    if not len(run):
        raise ValueError(f"run: {run.path} holds no snapshot yet; call recorder.step() during training first")
    classes = run.classes if classes is None else classes
    metadata = run.metadata if metadata is None else metadata
    hover_text = run.hover_text if hover_text is None else hover_text
    check_page_extras(run.manifest["probe_size"], metadata, hover_text)
    out_dir = run.path / "maps" if out_dir is None else Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    saved_path = out_dir / "structure_map.npz"
    fresh = StructureMap(k=k, seed=seed)
    start = time.perf_counter()
    saved = StructureMap.load(saved_path) if saved_path.is_file() else None
    reusable = (
        saved is not None
        and saved.get_params() == fresh.get_params()
        and saved.layers_ == run.layers
        and len(saved.snapshot_labels_) <= len(run)
        and saved.snapshot_labels_ == [s.label for s in run.snapshots[: len(saved.snapshot_labels_)]]
    )
    before = len(saved.snapshot_labels_) if saved is not None and reusable else 0
    if saved is not None and before == len(run):
        maps = saved
    elif saved is not None and before:
        maps = saved.extend(run)
    else:
        maps = fresh.fit(run)
    maps.save(saved_path)
    timings = {"maps": time.perf_counter() - start}
    source = RecordedRun(
        folder=str(run.path),
        snapshots=len(run),
        new_snapshots=len(run) - before,
        model_class=run.manifest.get("model_class"),
        netscope_version=run.manifest.get("netscope_version"),
        probe_size=run.manifest["probe_size"],
    )
    summary = (
        f"{run.manifest.get('model_class', 'model')}: a recorded run of {len(run)} snapshots, "
        f"{run.manifest['probe_size']} probe examples."
    )
    return write_maps(
        out_dir,
        run,
        source,
        timings,
        k=k,
        seed=seed,
        compare=check_references(compare),
        html=html,
        subspace=run.subspace,
        images=run.images,
        summary=summary,
        maps=maps,
        classes=classes,
        metadata=metadata,
        hover_text=hover_text,
    )
