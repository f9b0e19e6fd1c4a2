"""Per-example gradients per second on a user's kind of network: netscope against hand-written code.

The networks a researcher brings: a small CNN with BatchNorm and Dropout on the digits (8×8
images), which torch.func can batch; a GRU classifier on sequences, which it cannot; and two
Hugging Face ``transformers`` models built from tiny configs with random weights (a BERT
classifier and a GPT-2 language model on its own loss), fed dict batches with ``labels`` inside,
with and without a padding mask. On each, in one process on the same examples: netscope's
``data_gradients`` with ``backend="vmap"``, ``"loop"`` and ``"auto"`` (the default), a
hand-written ``torch.func.vmap(grad(...))`` and a hand-written per-example ``backward()`` loop
that collects ``.grad``. Every route is checked against the hand-written loop on the first
examples.

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


def window(data, start, stop):
    """Examples start..stop-1 of ``data``: a pair (x, y) of tensors, or a dict batch."""
    if isinstance(data, dict):
        return {key: value[start:stop] for key, value in data.items()}
    return data[0][start:stop], data[1][start:stop]


def size(data) -> int:
    return len(data["labels"]) if isinstance(data, dict) else len(data[0])


def loss_of(model, params, example):
    """The loss of one example (a batch of one): cross-entropy of a classifier on a pair, or a
    Hugging Face model's own loss on a dict (``params`` None: the model's own parameters)."""
    call = model if params is None else (lambda *args, **kwargs: functional_call(model, params, args, kwargs))
    if isinstance(example, dict):
        return call(**example).loss
    return torch.nn.functional.cross_entropy(call(example[0]), example[1])


def netscope_route(model, data, backend):
    loss = None if isinstance(data, dict) else torch.nn.functional.cross_entropy

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the auto route's one fallback warning
            return np.concatenate(
                [
                    g.numpy()
                    for _, g, _ in netscope.nn.gradients.data_gradients(
                        model, loss, data, chunk_size=CHUNK, backend=backend, progress=False
                    )
                ]
            )

    return run


def func_route(model, data):
    params = {name: p.detach() for name, p in model.named_parameters()}

    def one(params, example):  # vmap hands one example without its batch dimension: give it back
        return loss_of(
            model,
            params,
            {key: value[None] for key, value in example.items()}
            if isinstance(example, dict)
            else (example[0][None], example[1][None]),
        )

    batched = vmap(grad(one), in_dims=(None, 0))

    def run():
        model.eval()
        rows = []
        for start in range(0, size(data), CHUNK):
            parts = batched(params, window(data, start, start + CHUNK))
            rows.append(torch.cat([parts[name].flatten(1) for name in params], dim=1).numpy())
        return np.concatenate(rows)

    return run


def loop_route(model, data):
    parameters = [p for p in model.parameters() if p.requires_grad]

    def run():
        model.eval()
        rows = []
        for i in range(size(data)):
            model.zero_grad()
            loss_of(model, None, window(data, i, i + 1)).backward()
            rows.append(torch.cat([p.grad.reshape(-1) for p in parameters]).numpy().copy())
        return np.stack(rows)

    return run


def measure(label, model, data, n_loop):
    """Rows of examples/s for every route on ``data``; the loops run on its first n_loop."""
    few = window(data, 0, n_loop)
    reference = loop_route(model, window(data, 0, 32))()
    routes = {
        "netscope, backend='auto' (default)": (netscope_route(model, data, "auto"), data),
        "netscope, backend='vmap'": (netscope_route(model, data, "vmap"), data),
        "netscope, backend='loop'": (netscope_route(model, few, "loop"), few),
        "hand-written torch.func vmap(grad)": (func_route(model, data), data),
        "hand-written backward() loop": (loop_route(model, few), few),
    }
    rows = []
    for name, (run, used) in routes.items():
        try:
            seconds, gradients = best_time(run, repeat=3)
        except (RuntimeError, ValueError) as error:
            rows.append(
                {
                    "network": label,
                    "route": name,
                    "examples/s": None,
                    "note": f"fails: {str(error).splitlines()[0][:90]}",
                }
            )
        else:
            error = float(np.max(np.abs(gradients[:32] - reference)) / np.max(np.abs(reference)))
            rows.append(
                {
                    "network": label,
                    "route": name,
                    "examples/s": size(used) / seconds,
                    "note": f"max error vs loop {error:.1e}",
                }
            )
        print(rows[-1], flush=True)
    loop_speed = next(row["examples/s"] for row in rows if row["route"] == "hand-written backward() loop")
    for row in rows:
        row["vs backward() loop"] = None if row["examples/s"] is None else row["examples/s"] / loop_speed
    return rows


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    x, y, _, _ = digits()
    import transformers

    transformers.logging.set_verbosity_error()
    cnn = DigitsCNN()
    rows = measure(
        f"CNN, BatchNorm + Dropout ({sum(p.numel() for p in cnn.parameters())} parameters), digits",
        cnn,
        (x, y),
        n_loop=300,
    )
    generator = torch.Generator().manual_seed(0)
    sequences = torch.randn(1024, 20, 8, generator=generator)
    labels = torch.randint(0, 10, (1024,), generator=generator)
    gru = GRUClassifier()
    rows += measure(
        f"GRU classifier ({sum(p.numel() for p in gru.parameters())} parameters), 20 steps",
        gru,
        (sequences, labels),
        n_loop=300,
    )
    for make, name in ((tiny_bert, "BERT classifier"), (tiny_gpt2, "GPT-2 language model, its own loss")):
        model = make()
        n_parameters = sum(p.numel() for p in model.parameters())
        for padded in (False, True):
            rows += measure(
                f"{name} ({n_parameters} parameters), {SEQUENCE} tokens, "
                + ("padded, attention_mask" if padded else "no padding, no mask"),
                model,
                token_batch(model, 512, padded),
                n_loop=100,
            )
    write_result("per_example", rows, chunk_size=CHUNK)


SEQUENCE, VOCABULARY = 32, 500


def tiny_bert():
    import transformers

    torch.manual_seed(0)
    return transformers.BertForSequenceClassification(
        transformers.BertConfig(
            vocab_size=VOCABULARY,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=128,
            max_position_embeddings=64,
            num_labels=4,
        )
    )


def tiny_gpt2():
    import transformers

    torch.manual_seed(0)
    return transformers.GPT2LMHeadModel(
        transformers.GPT2Config(
            vocab_size=VOCABULARY, n_embd=64, n_layer=2, n_head=4, n_positions=64, bos_token_id=0, eos_token_id=0
        )
    )


def token_batch(model, n: int, padded: bool) -> dict:
    """A collator's dict batch of n random token sequences with the labels inside: class
    indices for a classifier, the tokens (padding as -100) for a language model; with
    ``padded``, lengths drawn from 8..SEQUENCE and an attention mask."""
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(1, VOCABULARY, (n, SEQUENCE), generator=generator)
    batch = {"input_ids": ids}
    mask = torch.ones_like(ids)
    if padded:
        lengths = torch.randint(8, SEQUENCE + 1, (n,), generator=generator)
        mask = (torch.arange(SEQUENCE)[None, :] < lengths[:, None]).long()
        batch["attention_mask"] = mask
        ids.masked_fill_(mask == 0, 0)
    language = "GPT2" in type(model).__name__
    batch["labels"] = ids.masked_fill(mask == 0, -100) if language else torch.randint(0, 4, (n,), generator=generator)
    return batch


if __name__ == "__main__":
    main()
