"""The weights formats that ``--weights`` and ``--checkpoints`` read (netscope.nn.user_code.load_weights),
each written for real here and compared with the weights it came from, and the inputs they refuse."""

import json
import pathlib
import sys

import pytest
import torch

from netscope.nn.user_code import checkpoint_files, load_weights


def make_net(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(), torch.nn.Linear(5, 3))


def trained_net() -> torch.nn.Module:
    """A net whose every state entry (the BatchNorm's running statistics included) differs from a fresh one's."""
    net = make_net(1)
    net(torch.randn(16, 6))  # train mode: moves the running statistics
    return net


def assert_same_weights(model, reference):
    loaded, expected = model.state_dict(), reference.state_dict()
    assert loaded.keys() == expected.keys()
    for key in expected:
        torch.testing.assert_close(loaded[key], expected[key], rtol=0, atol=0, msg=key)


@pytest.mark.parametrize("under", [None, "state_dict", "model_state_dict", "model"])
def test_a_torch_state_dict_alone_or_under_a_key(tmp_path, under):
    reference = trained_net()
    state = reference.state_dict()
    torch.save(state if under is None else {under: state, "epoch": 4}, tmp_path / "w.pt")
    model = make_net(0)
    load_weights(model, tmp_path / "w.pt")
    assert_same_weights(model, reference)


def test_a_lightning_checkpoint_with_its_module_prefix(tmp_path):
    reference = trained_net()
    optimiser = torch.optim.Adam(reference.parameters())
    reference(torch.randn(4, 6)).sum().backward()
    optimiser.step()
    # What LightningModule.state_dict holds for `self.model = net` and a loss with a buffer: the
    # net's keys under "model.", and the loss's beside them.
    state = {f"model.{key}": value for key, value in reference.state_dict().items()}
    state["loss_fn.pos_weight"] = torch.ones(3)
    torch.save(
        {
            "epoch": 7,
            "global_step": 70,
            "pytorch-lightning_version": "2.4.0",
            "state_dict": state,
            "optimizer_states": [optimiser.state_dict()],
            "lr_schedulers": [],
            "callbacks": {},
        },
        tmp_path / "epoch=7-step=70.ckpt",
    )
    model = make_net(0)
    load_weights(model, tmp_path / "epoch=7-step=70.ckpt")
    assert_same_weights(model, reference)


def test_torch_compiles_prefix_is_found_the_same_way(tmp_path):
    reference = trained_net()
    torch.save(torch.compile(reference).state_dict(), tmp_path / "compiled.pt")  # keys under "_orig_mod."
    model = make_net(0)
    load_weights(model, tmp_path / "compiled.pt")
    assert_same_weights(model, reference)


def test_a_safetensors_file(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    reference = trained_net()
    safetensors_torch.save_file(reference.state_dict(), tmp_path / "w.safetensors")
    model = make_net(0)
    load_weights(model, tmp_path / "w.safetensors", "--weights")
    assert_same_weights(model, reference)


def test_safetensors_without_the_package_says_what_to_install(tmp_path, monkeypatch):
    (tmp_path / "w.safetensors").write_bytes(b"\0" * 16)
    monkeypatch.setitem(sys.modules, "safetensors", None)  # import safetensors now raises ImportError
    monkeypatch.setitem(sys.modules, "safetensors.torch", None)
    with pytest.raises(
        ValueError,
        match=r"^--weights: .*w\.safetensors is a \.safetensors file; reading it needs the "
        r"safetensors package: pip install safetensors$",
    ):
        load_weights(make_net(0), tmp_path / "w.safetensors", "--weights")


def tiny_bert_config():
    transformers = pytest.importorskip("transformers")
    return transformers, transformers.BertConfig(
        vocab_size=50,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
    )


def write_pytorch_model_bin(model, folder: pathlib.Path, shards: int) -> None:
    """What transformers < 5 wrote for save_pretrained(safe_serialization=False) (transformers 5
    always writes safetensors): pytorch_model.bin, or with shards > 1 the
    pytorch_model-0000i-of-0000n.bin files and their pytorch_model.bin.index.json."""
    folder.mkdir()
    state = model.state_dict()
    if shards == 1:
        torch.save(state, folder / "pytorch_model.bin")
        return
    keys, weight_map = list(state), {}
    for i in range(shards):
        name = f"pytorch_model-{i + 1:05d}-of-{shards:05d}.bin"
        part = keys[i::shards]
        torch.save({key: state[key] for key in part}, folder / name)
        weight_map.update(dict.fromkeys(part, name))
    (folder / "pytorch_model.bin.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))


@pytest.mark.parametrize("layout", ["safetensors", "safetensors sharded", "bin", "bin sharded"])
def test_a_hugging_face_save_pretrained_folder(tmp_path, layout):
    transformers, config = tiny_bert_config()
    torch.manual_seed(1)
    reference = transformers.BertForSequenceClassification(config)
    folder = tmp_path / "checkpoint-500"
    if layout.startswith("safetensors"):
        # 4 KB shards split this 15.6 KB model into several files and a model.safetensors.index.json.
        reference.save_pretrained(folder, max_shard_size="4KB" if "sharded" in layout else "1GB")
        assert (folder / "model.safetensors.index.json").exists() == ("sharded" in layout)
    else:
        write_pytorch_model_bin(reference, folder, shards=3 if "sharded" in layout else 1)
    torch.manual_seed(2)
    model = transformers.BertForSequenceClassification(config)
    load_weights(model, folder, "--weights")
    assert_same_weights(model, reference)


def test_tied_weights_that_save_pretrained_writes_once(tmp_path):
    transformers, config = tiny_bert_config()
    torch.manual_seed(1)
    reference = transformers.BertForMaskedLM(config)  # the output layer is the word embedding
    reference.save_pretrained(tmp_path / "mlm")
    torch.manual_seed(2)
    model = transformers.BertForMaskedLM(config)
    load_weights(model, tmp_path / "mlm")
    assert_same_weights(model, reference)
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight


def test_the_base_model_from_a_task_models_folder(tmp_path):
    transformers, config = tiny_bert_config()
    torch.manual_seed(1)
    classifier = transformers.BertForSequenceClassification(config)
    classifier.save_pretrained(tmp_path / "classifier")
    torch.manual_seed(2)
    model = transformers.BertModel(config)  # its keys are the classifier's under "bert."; the head is left out
    load_weights(model, tmp_path / "classifier")
    assert_same_weights(model, classifier.bert)


def test_checkpoint_files_takes_save_pretrained_folders_in_natural_order(tmp_path):
    for step in (1000, 50, 500):
        (tmp_path / "run" / f"checkpoint-{step}").mkdir(parents=True)
        torch.save(trained_net().state_dict(), tmp_path / "run" / f"checkpoint-{step}" / "pytorch_model.bin")
    (tmp_path / "run" / "checkpoint-logs").mkdir()  # a folder without weights is not a checkpoint
    found = checkpoint_files(str(tmp_path / "run" / "checkpoint-*"))
    assert [path.name for path in found] == ["checkpoint-50", "checkpoint-500", "checkpoint-1000"]
    model = make_net(0)
    load_weights(model, found[0])
    assert_same_weights(model, trained_net())
    with pytest.raises(ValueError, match=r"^--checkpoints: no weights file or save_pretrained folder matches"):
        checkpoint_files(str(tmp_path / "run" / "checkpoint-logs"))


class Planted:
    """Unpickling this would run Path.touch: what a hostile checkpoint does with os.system."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (self.marker,)


def test_a_pickled_object_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "ran"
    torch.save({"state_dict": make_net(0).state_dict(), "hook": Planted(marker)}, tmp_path / "w.pt")
    with pytest.raises(
        ValueError,
        match=r"^--weights: cannot read .*w\.pt: it pickles the Python object "
        r".*never runs pickled code.*Formats read: ",
    ):
        load_weights(make_net(0), tmp_path / "w.pt", "--weights")
    assert not marker.exists()


def safetensors_installed() -> bool:
    try:
        import safetensors.torch  # noqa: F401
    except ImportError:
        return False
    return True


def test_what_is_not_weights_is_refused_naming_the_flag(tmp_path):
    (tmp_path / "notes.txt").write_text("epoch 3: loss 0.1\n")
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken.safetensors").write_text("not safetensors")
    (tmp_path / "bad.index.json").write_text(json.dumps({"files": []}))
    torch.save({"epoch": 3, "loss": 0.1}, tmp_path / "no_state.pt")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "model.safetensors.index.json").write_text(
        json.dumps(
            {
                "weight_map": {
                    "0.weight": "model-00001-of-00002.safetensors",
                    "0.bias": "model-00002-of-00002.safetensors",
                }
            }
        )
    )
    cases = [
        ("absent.pt", r"^--weights: .*absent\.pt does not exist$"),
        (
            "half",
            r"^--weights: .*lists shards that are not beside it: model-00001-of-00002\.safetensors, "
            r"model-00002-of-00002\.safetensors$",
        ),
        ("notes.txt", r"^--weights: cannot read .*notes\.txt: .*Formats read: a torch state dict"),
        ("empty", r"^--weights: the folder .*empty holds none of model\.safetensors, pytorch_model\.bin"),
        (
            "broken.safetensors",
            r"^--weights: cannot read .*broken\.safetensors as safetensors"
            if safetensors_installed()
            else r"^--weights: .*broken\.safetensors .*pip install safetensors",
        ),
        ("bad.index.json", r"^--weights: .*bad\.index\.json is not a shard index"),
        ("no_state.pt", r"^--weights: .*no_state\.pt holds a dict that is not a state dict of tensors"),
    ]
    for name, message in cases:
        with pytest.raises(ValueError, match=message):
            load_weights(make_net(0), tmp_path / name, "--weights")


def test_keys_or_shapes_that_do_not_fit_are_named(tmp_path):
    state = make_net(0).state_dict()
    torch.save({**state, "extra.weight": torch.zeros(1)}, tmp_path / "extra.pt")
    torch.save({key: value for key, value in state.items() if key != "3.bias"}, tmp_path / "missing.pt")
    torch.save(torch.nn.Linear(6, 4).state_dict(), tmp_path / "other.pt")
    torch.save({**state, "3.bias": torch.zeros(4)}, tmp_path / "shape.pt")
    cases = [
        (
            "extra.pt",
            r"^--checkpoints: .*extra\.pt does not fit the model from --model: missing keys none; "
            r"unexpected keys extra\.weight$",
        ),
        ("missing.pt", r"missing keys 3\.bias; unexpected keys none$"),
        # Abbreviated: five of the net's nine missing keys, and how many more.
        (
            "other.pt",
            r"missing keys 0\.bias, 0\.weight, 1\.bias, 1\.num_batches_tracked, 1\.running_mean and 4 more; "
            r"unexpected keys bias, weight$",
        ),
        ("shape.pt", r"^--checkpoints: .*shape\.pt does not fit the model from --model: .*size mismatch for 3\.bias"),
    ]
    for name, message in cases:
        with pytest.raises(ValueError, match=message):
            load_weights(make_net(0), tmp_path / name)
