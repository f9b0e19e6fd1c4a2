"""What recording costs a training run: epochs per second with and without ``netscope.Recorder``.

The digits MLP of the structure study (64-128-64-32-10, Adam, batches of 64 over the 1 437
training images), trained in one process for the same epochs three ways: plain; with a
Recorder that writes a snapshot of every hidden layer on the 360 probe images after each epoch;
and with a Recorder that also records the probe's active subspace (top 10) at each snapshot.
Each way is timed on a fresh run folder, best of three.

    python bench/bench_recorder.py            # writes bench/results/recorder.json
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import torch

from _harness import best_time, write_result
from netscope import Recorder
from netscope.studies.models import digits, mlp_from_sizes, train_epoch

EPOCHS = 10
SIZES = (64, 128, 64, 32, 10)


def training(recording: dict | None, folder: Path):
    """A zero-argument call that trains a fresh MLP for EPOCHS, recording as ``recording`` says
    (None: not at all); returns the number of snapshots written."""
    x_train, y_train, x_probe, y_probe = digits()
    loss = torch.nn.functional.cross_entropy

    def run():
        torch.manual_seed(0)
        model = mlp_from_sizes(SIZES, "relu")
        optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
        generator = torch.Generator().manual_seed(0)
        shutil.rmtree(folder, ignore_errors=True)
        recorder = None if recording is None else Recorder(model, (x_probe, y_probe), folder, loss_fn=loss, **recording)
        for epoch in range(1, EPOCHS + 1):
            train_epoch(model, optimiser, loss, x_train, y_train, generator)
            if recorder is not None:
                recorder.step(epoch=epoch)
        return 0 if recorder is None else len(list((folder / "snapshots").glob("*.npz")))

    return run


def main():
    torch.set_num_threads(2)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, recording in (
            ("plain training", None),
            ("Recorder, every epoch", {}),
            ("Recorder, every epoch, subspace_k=10", {"subspace_k": 10}),
        ):
            seconds, snapshots = best_time(training(recording, Path(scratch) / "run"), repeat=3)
            rows.append({"run": name, "epochs/s": EPOCHS / seconds, "snapshots": snapshots, "seconds": seconds})
            print(rows[-1], flush=True)
    plain = rows[0]["seconds"]
    for row in rows:
        row["time vs plain training"] = row["seconds"] / plain
    write_result("recorder", rows, epochs=EPOCHS, sizes=list(SIZES), probe=360)


if __name__ == "__main__":
    main()
