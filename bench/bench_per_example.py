"""Per-example gradients per second on a user's kind of network: netscope against hand-written code.

Two networks a researcher brings: a small CNN with BatchNorm and Dropout on the digits (8×8
images), which torch.func can batch, and a GRU classifier on sequences, which it cannot. On
each, in one process on the same examples: netscope's ``data_gradients`` with
``backend="vmap"``, ``"loop"`` and ``"auto"`` (the default), a hand-written
``torch.func.vmap(grad(...))`` and a hand-written per-example ``backward()`` loop that collects
``.grad``. Every route is checked against the hand-written loop on the first examples.

    python bench/bench_per_example.py            # writes bench/results/per_example.json
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch.func import functional_call, grad, vmap

import netscope
import netscope.nn.gradients
from _harness import best_time, write_result
from netscope.studies.models import digits

CHUNK = 256


class DigitsCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 16, 3, padding=1)
        self.norm1 = torch.nn.BatchNorm2d(16)
        self.conv2 = torch.nn.Conv2d(16, 32, 3, padding=1)
        self.norm2 = torch.nn.BatchNorm2d(32)
        self.drop = torch.nn.Dropout(0.25)
        self.head = torch.nn.Linear(32 * 4 * 4, 10)

    def forward(self, x):
        h = torch.relu(self.norm1(self.conv1(x.view(-1, 1, 8, 8))))
        h = torch.nn.functional.max_pool2d(torch.relu(self.norm2(self.conv2(h))), 2)
        return self.head(self.drop(h.flatten(1)))


class GRUClassifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(8, 32, batch_first=True)
        self.head = torch.nn.Linear(32, 10)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.head(out[:, -1])


def netscope_route(model, data, backend):
    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the auto route's one fallback warning
            return np.concatenate([g.numpy() for _, g, _ in netscope.nn.gradients.data_gradients(
                model, torch.nn.functional.cross_entropy, data, chunk_size=CHUNK, backend=backend, progress=False)])
    return run


def func_route(model, data):
    params = {name: p.detach() for name, p in model.named_parameters()}

    def one(params, x, y):
        return torch.nn.functional.cross_entropy(functional_call(model, params, (x[None],)), y[None])

    batched = vmap(grad(one), in_dims=(None, 0, 0))
    x, y = data

    def run():
        model.eval()
        rows = []
        for start in range(0, len(x), CHUNK):
            parts = batched(params, x[start:start + CHUNK], y[start:start + CHUNK])
            rows.append(torch.cat([parts[name].flatten(1) for name in params], dim=1).numpy())
        return np.concatenate(rows)
    return run


def loop_route(model, data):
    x, y = data

    def run():
        model.eval()
        rows = []
        for i in range(len(x)):
            model.zero_grad()
            torch.nn.functional.cross_entropy(model(x[i:i + 1]), y[i:i + 1]).backward()
            rows.append(torch.cat([p.grad.reshape(-1) for p in model.parameters()]).numpy().copy())
        return np.stack(rows)
    return run


def measure(label, model, data, n_loop):
    """Rows of examples/s for every route on ``data``; the loops run on its first n_loop."""
    few = (data[0][:n_loop], data[1][:n_loop])
    reference = loop_route(model, (data[0][:32], data[1][:32]))()
    routes = {"netscope, backend='auto' (default)": (netscope_route(model, data, "auto"), data),
              "netscope, backend='vmap'": (netscope_route(model, data, "vmap"), data),
              "netscope, backend='loop'": (netscope_route(model, few, "loop"), few),
              "hand-written torch.func vmap(grad)": (func_route(model, data), data),
              "hand-written backward() loop": (loop_route(model, few), few)}
    rows = []
    for name, (run, used) in routes.items():
        try:
            seconds, gradients = best_time(run, repeat=3)
        except (RuntimeError, ValueError) as error:
            rows.append({"network": label, "route": name, "examples/s": None,
                         "note": f"fails: {str(error).splitlines()[0][:90]}"})
        else:
            error = float(np.max(np.abs(gradients[:32] - reference)) / np.max(np.abs(reference)))
            rows.append({"network": label, "route": name, "examples/s": len(used[0]) / seconds,
                         "note": f"max error vs loop {error:.1e}"})
        print(rows[-1], flush=True)
    loop_speed = next(row["examples/s"] for row in rows if row["route"] == "hand-written backward() loop")
    for row in rows:
        row["vs backward() loop"] = None if row["examples/s"] is None else row["examples/s"] / loop_speed
    return rows


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    x, y, _, _ = digits()
    cnn = DigitsCNN()
    rows = measure(f"CNN, BatchNorm + Dropout ({sum(p.numel() for p in cnn.parameters())} parameters), digits",
                   cnn, (x, y), n_loop=300)
    generator = torch.Generator().manual_seed(0)
    sequences = torch.randn(1024, 20, 8, generator=generator)
    labels = torch.randint(0, 10, (1024,), generator=generator)
    gru = GRUClassifier()
    rows += measure(f"GRU classifier ({sum(p.numel() for p in gru.parameters())} parameters), 20 steps",
                    gru, (sequences, labels), n_loop=300)
    write_result("per_example", rows, chunk_size=CHUNK)


if __name__ == "__main__":
    main()
