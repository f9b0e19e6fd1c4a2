"""
Maps of hidden layers across training
=====================================

Record the hidden activations of 360 held-out digits before training and after each of four
epochs (:class:`netscope.ActivationTracker`), and map every (layer, snapshot) with
:class:`netscope.StructureMap`: each map starts from the previous snapshot's and is aligned to
it, so points move only as much as the network moves them. The classes pull apart as it learns.
"""

import torch
from torch.utils.data import DataLoader, TensorDataset

from netscope import ActivationTracker, StructureMap
from netscope.plotting.structure import plot_metrics, plot_small_multiples
from netscope.studies.models import digits, mlp

torch.manual_seed(0)
x_train, y_train, x_probe, y_probe = digits()
model = mlp(64, 32, 2, 10, activation="relu")  # hidden outputs act1 and act2
loss = torch.nn.CrossEntropyLoss()
optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
tracker = ActivationTracker(model, (x_probe, y_probe), layers=["act1", "act2"], loss_fn=loss)
tracker.snapshot(label=0)
for epoch in range(1, 5):
    for x, y in DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True):
        optimiser.zero_grad()
        loss(model(x), y).backward()
        optimiser.step()
    tracker.snapshot(label=epoch)

maps = StructureMap(k=15).fit(tracker)
for layer in maps.layers_:
    ratios = ", ".join(f"{m.activation.ratio:.2f}" for m in maps.metrics_[layer])
    print(f"{layer}: inter/intra-class distance by epoch {ratios}")

# %%
# Every layer at every snapshot, coloured by digit:

plot_small_multiples(maps)

# %%
# What the maps show, measured: class separation in the activations and in the maps, and how
# faithful and how steady the maps are.

plot_metrics(maps)

# %%
# ``maps.to_html("maps.html")`` writes the same run as one offline page to explore (the
# observatory: zoom, search, selection across snapshots, linked layers).
