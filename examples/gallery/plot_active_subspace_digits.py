"""
The active subspace of a small classifier
=========================================

Train an MLP on scikit-learn's digits for a few epochs, then take one loss gradient per training
example at the trained weights (``sampling="data"``: the empirical Fisher) and diagonalise their
second moment with :class:`netscope.ActiveSubspace`. How fast do the eigenvalues fall, and which
layers do the leading directions load on?
"""

import torch
from torch.utils.data import DataLoader, TensorDataset

import netscope
from netscope.plotting.active import plot_eigenvalues, plot_layer_importance
from netscope.studies.models import digits, mlp

torch.manual_seed(0)
x_train, y_train, x_test, y_test = digits()
model = mlp(64, 32, 2, 10, activation="relu")  # linear layers layer1, layer2, layer3
loss = torch.nn.CrossEntropyLoss()
optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
for _ in range(3):  # three epochs of Adam
    for x, y in DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True):
        optimiser.zero_grad()
        loss(model(x), y).backward()
        optimiser.step()

examples = DataLoader(TensorDataset(x_train, y_train), batch_size=256)
fisher = netscope.ActiveSubspace(n_components=20, progress=False).fit(model, loss, examples, sampling="data")
print(f"N = {fisher.n_samples_} examples, D = {fisher.n_parameters_} parameters")
print("top eigenvalues:", fisher.eigenvalues_[:5].round(4))

# %%
# The eigenvalue decay, with basic bootstrap intervals for the top 10 (resampling the kept
# gradients): a handful of directions, about as many as there are classes, stand out.

plot_eigenvalues(fisher, intervals=fisher.bootstrap(n_boot=20, k=10))

# %%
# Where the top 10 directions live: each layer's share of their squared coefficients, against its
# share of the parameters.

plot_layer_importance(fisher, k=10)
