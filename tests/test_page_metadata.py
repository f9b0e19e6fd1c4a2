"""The page's class names, metadata columns and hover text: what ``page_html`` puts in the page's
data (the contract the page's JavaScript reads), what it refuses, and how they reach the page
from the command line and from a recorded run folder."""

import csv
import math
import re

import numpy as np
import pytest
import torch

import netscope.studies.structure as structure_study
from netscope import Recorder, RunFolder, StructureMap
from netscope._archive import read_archive
from netscope.cli import main
from netscope.recording.run_folder import FORMAT_VERSION, PROBE_FORMAT
from netscope.studies.models import digits, mlp_from_sizes
from netscope.viewer.page import PAGE_COLUMNS, page_html
from test_page import page_data

N = 30


@pytest.fixture(scope="module")
def maps():
    """A small fitted map: N points of three classes in one snapshot."""
    rng = np.random.default_rng(0)
    return StructureMap(k=5, neuron_samples=0).fit(rng.standard_normal((N, 6)), np.arange(N) % 3)


def columns():
    """Metadata of every kind, as plain lists, with what the page's data must hold for each."""
    given = {
        "count": list(range(N)),
        "score": [None if i % 4 == 0 else i / 8 for i in range(N)],
        "weight": np.where(np.arange(N) % 5 == 0, np.nan, np.arange(N) * 0.5),
        "source": [None if i % 6 == 0 else f"batch {i % 3}" for i in range(N)],
        "held_out": [i % 2 == 0 for i in range(N)],
        "mixed": [i if i % 2 else f"x{i}" for i in range(N)],
    }
    expected = [
        {"name": "count", "values": list(range(N))},
        {"name": "score", "values": [None if i % 4 == 0 else i / 8 for i in range(N)]},
        {"name": "weight", "values": [None if i % 5 == 0 else i * 0.5 for i in range(N)]},
        {"name": "source", "values": [None if i % 6 == 0 else f"batch {i % 3}" for i in range(N)]},
        {"name": "held_out", "values": [i % 2 == 0 for i in range(N)]},
        {"name": "mixed", "values": [str(i) if i % 2 else f"x{i}" for i in range(N)]},
    ]
    return given, expected


def data_with(maps, path, **options) -> dict:
    """The page's data (its JSON, read as tests/test_page.py reads it) of ``maps`` written with ``options``."""
    return page_data(maps.to_html(path, **options))


def test_the_payload_holds_exactly_the_columns_and_values_given(maps, tmp_path):
    given, expected = columns()
    hover = [f"point {i}: <b>&</b>" for i in range(N)]
    data = data_with(maps, tmp_path / "maps.html", classes=["cat", "dog", "bird"], metadata=given, hover_text=hover)
    assert data["metadata"] == expected  # NaN and None as null, numbers and booleans as themselves
    assert [type(v) for v in data["metadata"][0]["values"]] == [int] * N  # integers stay integers
    assert data["hover_text"] == hover and data["classes"] == ["cat", "dog", "bird"]
    plain = data_with(maps, tmp_path / "plain.html")
    assert plain["metadata"] is None and plain["hover_text"] is None and plain["classes"] == ["0", "1", "2"]
    assert data_with(maps, tmp_path / "empty.html", metadata={})["metadata"] is None


def test_a_dataframe_gives_the_same_page_data_as_a_dict(maps, tmp_path):
    pandas = pytest.importorskip("pandas")
    given, expected = columns()
    frame = pandas.DataFrame(given, index=np.arange(N)[::-1])  # the index is ignored: row i is point i
    from_frame = data_with(maps, tmp_path / "frame.html", metadata=frame)
    assert from_frame == data_with(maps, tmp_path / "dict.html", metadata=given)
    assert from_frame["metadata"] == expected
    nullable = pandas.DataFrame(
        {
            "n": pandas.array([None if i == 3 else i for i in range(N)], dtype="Int64"),
            "flag": pandas.array([None if i == 4 else i % 2 == 0 for i in range(N)], dtype="boolean"),
            "kind": pandas.Categorical([f"k{i % 2}" for i in range(N)]),
        }
    )
    values = [column["values"] for column in data_with(maps, tmp_path / "nullable.html", metadata=nullable)["metadata"]]
    assert values[0][3] is None and values[0][5] == 5
    assert values[1][4] is None and values[1][:2] == [True, False]
    assert values[2][:2] == ["k0", "k1"]
    hover = pandas.Series([f"t{i}" for i in range(N)])
    assert data_with(maps, tmp_path / "series.html", hover_text=hover)["hover_text"] == list(hover)


BAD_METADATA = [
    ({"count": list(range(N - 1))}, ValueError, f"metadata: column 'count' has {N - 1} values, expected {N}"),
    ({"count": np.zeros((N, 2))}, ValueError, r"metadata: column 'count' must be 1-D.*\(30, 2\)"),
    ({"count": [[1]] * (N - 1) + [[1, 2]]}, ValueError, "metadata: column 'count' must be 1-D"),
    ({"count": "abc"}, TypeError, "metadata: column 'count' must be a sequence of 30 values"),
    ({"score": [1.0] * (N - 1) + [np.inf]}, ValueError, f"metadata: column 'score' holds inf at row {N - 1}"),
    ({"score": [None] * (N - 1) + [-math.inf]}, ValueError, "metadata: column 'score' holds inf"),
    ({"z": np.ones(N, dtype=complex)}, TypeError, "metadata: column 'z' must hold numbers, booleans or strings"),
    ({"Label": [0] * N}, ValueError, "metadata: column name 'Label' clashes with the page's own column 'label'"),
    ({"ENERGY": [0] * N}, ValueError, "metadata: column name 'ENERGY' clashes .* 'energy'"),
    ({"a b": [0] * N}, ValueError, r"metadata: column name 'a b' holds ':', '=', ',' or whitespace"),
    ({"a:b": [0] * N}, ValueError, "metadata: column name 'a:b' holds"),
    ({"a=b": [0] * N}, ValueError, "metadata: column name 'a=b' holds"),
    ({"a,b": [0] * N}, ValueError, "metadata: column name 'a,b' holds"),
    ({"tab\t": [0] * N}, ValueError, "metadata: column name 'tab\\\\t' holds"),
    ({"": [0] * N}, ValueError, "metadata: a column name is empty"),
    ({3: [0] * N}, TypeError, r"metadata: column names must be strings, got 3 \(int\)"),
    ({"city": ["a"] * N, "City": ["b"] * N}, ValueError, "metadata: column name 'City' repeats 'city'"),
    ([[0] * N], TypeError, "metadata must be a mapping"),
]


@pytest.mark.parametrize(("metadata", "error", "message"), BAD_METADATA)
def test_bad_metadata_is_refused_naming_the_argument(maps, metadata, error, message):
    with pytest.raises(error, match=message):
        page_html(maps.result_, metadata=metadata)


@pytest.mark.parametrize(
    ("hover_text", "error", "message"),
    [
        (["a"] * (N + 1), ValueError, f"hover_text has {N + 1} strings, expected {N}"),
        ("one string", TypeError, f"hover_text must be a sequence of {N} strings"),
        ([["a"]] * N, ValueError, r"hover_text must be 1-D.*\(30, 1\)"),
        (["a"] * (N - 1) + [7], TypeError, f"hover_text must hold strings, got int at row {N - 1}"),
    ],
)
def test_bad_hover_text_is_refused_naming_the_argument(maps, hover_text, error, message):
    with pytest.raises(error, match=message):
        page_html(maps.result_, hover_text=hover_text)


def test_every_page_column_is_refused_as_a_metadata_name(maps):
    for name in PAGE_COLUMNS:
        with pytest.raises(ValueError, match=f"metadata: column name '{name}' clashes"):
            page_html(maps.result_, metadata={name: [0] * N})


def test_a_dataframe_with_repeated_or_clashing_columns_is_refused(maps):
    pandas = pytest.importorskip("pandas")
    with pytest.raises(ValueError, match="metadata: column name 'a' repeats"):
        page_html(maps.result_, metadata=pandas.DataFrame(np.zeros((N, 2)), columns=["a", "a"]))
    with pytest.raises(TypeError, match="metadata: column names must be strings, got 0"):
        page_html(maps.result_, metadata=pandas.DataFrame(np.zeros((N, 2))))
    with pytest.raises(ValueError, match="clashes with the page's own column 'prediction'"):
        page_html(maps.result_, metadata=pandas.DataFrame({"Prediction": np.zeros(N)}))


# ---------------------------------------------------------------- recorded run folders and the CLI
@pytest.fixture(scope="module")
def probe():
    _, _, x_probe, y_probe = digits()
    return x_probe[:60], y_probe[:60]


def record(run_dir, probe, **options):
    """A small recorded run: two snapshots of a small MLP on the probe."""
    torch.manual_seed(0)
    recorder = Recorder(mlp_from_sizes([64, 16, 10], "relu"), probe, run_dir, **options)
    recorder.record(label=0)
    recorder.record(label=1)
    return recorder


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def test_a_run_folder_carries_its_metadata_and_hover_text_to_the_page(probe, tmp_path):
    n = len(probe[1])
    metadata = {"writer": [f"w{i % 7}" for i in range(n)], "pen": [None if i % 3 else i * 0.25 for i in range(n)]}
    hover = [f"sample {i}" for i in range(n)]
    record(tmp_path / "run", probe, metadata=metadata, hover_text=hover, classes=NAMES)
    header, archive = read_archive(tmp_path / "run" / "probe.npz", PROBE_FORMAT, FORMAT_VERSION, what="a probe")
    archive.close()  # read without pickle; the metadata sits in the header's JSON
    assert header["metadata"][1] == {"name": "pen", "values": metadata["pen"]}
    run = RunFolder(tmp_path / "run")
    assert run.metadata == metadata and list(run.metadata) == ["writer", "pen"] and run.hover_text == hover
    assert main(["structure", "--run", str(tmp_path / "run"), "--k", "5"]) == 0
    data = page_data(tmp_path / "run" / "maps" / "maps.html")
    assert data["classes"] == NAMES and data["hover_text"] == hover
    assert data["metadata"] == [
        {"name": "writer", "values": metadata["writer"]},
        {"name": "pen", "values": metadata["pen"]},
    ]
    # --metadata replaces the recorded columns; the recorded hover text stays without --hover-column.
    table = write_csv(tmp_path / "other.csv", ["batch", "note"], [[i % 4, f"n{i}"] for i in range(n)])
    assert main(["structure", "--run", str(tmp_path / "run"), "--k", "5", "--metadata", str(table)]) == 0
    data = page_data(tmp_path / "run" / "maps" / "maps.html")
    assert [c["name"] for c in data["metadata"]] == ["batch", "note"] and data["hover_text"] == hover
    # A recorder reopening the folder keeps what was recorded; given other metadata, it refuses.
    record(tmp_path / "run", probe)
    assert RunFolder(tmp_path / "run").metadata == metadata
    record(tmp_path / "run", probe, metadata=metadata, hover_text=hover)
    with pytest.raises(ValueError, match="holds a run recorded with other metadata"):
        record(tmp_path / "run", probe, metadata={"writer": ["w"] * n})
    with pytest.raises(ValueError, match="holds a run recorded with other hover_text"):
        record(tmp_path / "run", probe, hover_text=["h"] * n)


def test_a_run_folder_without_metadata_still_reads(probe, tmp_path):
    record(tmp_path / "run", probe)
    header, archive = read_archive(tmp_path / "run" / "probe.npz", PROBE_FORMAT, FORMAT_VERSION, what="a probe")
    archive.close()
    assert set(header) == {"format", "version"}  # the probe file as written before metadata existed
    run = RunFolder(tmp_path / "run")
    assert run.metadata is None and run.hover_text is None
    assert main(["structure", "--run", str(tmp_path / "run"), "--k", "5"]) == 0
    data = page_data(tmp_path / "run" / "maps" / "maps.html")
    assert data["metadata"] is None and data["hover_text"] is None


def test_the_recorder_refuses_bad_metadata_naming_the_argument(probe, tmp_path):
    n = len(probe[1])
    with pytest.raises(ValueError, match="metadata: column name 'prediction' clashes"):
        record(tmp_path / "a", probe, metadata={"prediction": [0] * n})
    with pytest.raises(ValueError, match=f"metadata: column 'x' has 3 values, expected {n}"):
        record(tmp_path / "b", probe, metadata={"x": [1, 2, 3]})
    with pytest.raises(ValueError, match=f"hover_text has 2 strings, expected {n}"):
        record(tmp_path / "c", probe, hover_text=["a", "b"])
    assert not (tmp_path / "a").exists()  # refused before the folder was made


def test_the_cli_puts_classes_metadata_and_hover_text_on_the_page(probe, tmp_path):
    n = len(probe[1])
    record(tmp_path / "run", probe)
    rows = [[f"s{i % 3}", "" if i % 4 == 0 else i / 2, f"{i:03d}", f"text, with comma {i}"] for i in range(n)]
    table = write_csv(tmp_path / "meta.csv", ["source", "score", "code", "text"], rows)
    (tmp_path / "names.txt").write_text("\n".join(NAMES) + "\n")
    base = ["structure", "--run", str(tmp_path / "run"), "--k", "5", "--metadata", str(table)]
    assert main([*base, "--classes", ",".join(NAMES), "--hover-column", "text"]) == 0
    data = page_data(tmp_path / "run" / "maps" / "maps.html")
    assert data["classes"] == NAMES
    assert data["metadata"] == [
        {"name": "source", "values": [f"s{i % 3}" for i in range(n)]},
        {"name": "score", "values": [None if i % 4 == 0 else i / 2 for i in range(n)]},
        {"name": "code", "values": list(range(n))},  # numeric-looking: numbers
        {"name": "text", "values": [f"text, with comma {i}" for i in range(n)]},  # not special: a column too
    ]
    assert all(type(v) is int for v in data["metadata"][2]["values"])  # 0 == 0.0: the types as well
    assert data["hover_text"] == [f"text, with comma {i}" for i in range(n)]
    assert main([*base, "--classes", f"@{tmp_path / 'names.txt'}", "--hover-column", "code"]) == 0
    data = page_data(tmp_path / "run" / "maps" / "maps.html")
    assert data["classes"] == NAMES and data["hover_text"] == [f"{i:03d}" for i in range(n)]  # as written


def test_cli_errors_name_the_flag(probe, tmp_path, capsys):
    n = len(probe[1])
    record(tmp_path / "run", probe)
    good = write_csv(tmp_path / "good.csv", ["a"], [[i] for i in range(n)])
    cases = [
        (["--metadata", str(tmp_path / "absent.csv")], "--metadata: cannot read"),
        (
            ["--metadata", str(write_csv(tmp_path / "short.csv", ["a"], [[1], [2]]))],
            f"--metadata {tmp_path / 'short.csv'}: column 'a' has 2 values, expected {n}",
        ),
        (
            ["--metadata", str(write_csv(tmp_path / "clash.csv", ["Sample"], [[1]] * n))],
            "--metadata .*clash.csv: column name 'Sample' clashes with the page's own column 'sample'",
        ),
        (
            ["--metadata", str(write_csv(tmp_path / "space.csv", ["a b"], [[1]] * n))],
            "--metadata .*space.csv: column name 'a b' holds",
        ),
        (
            ["--metadata", str(write_csv(tmp_path / "ragged.csv", ["a", "b"], [[1, 2]] * (n - 1) + [[1]]))],
            f"--metadata: .*ragged.csv, line {n + 1}, has 1 cells",
        ),
        (
            ["--metadata", str(write_csv(tmp_path / "twice.csv", ["a", "a"], [[1, 2]] * n))],
            "--metadata: .*twice.csv names the column 'a' twice",
        ),
        (["--hover-column", "a"], "--hover-column names a column of --metadata"),
        (["--metadata", str(good), "--hover-column", "b"], "--hover-column: .*good.csv has no column 'b'"),
        (["--classes", "a,b"], "--classes must name each of the 10 distinct labels, got 2 names"),
        (["--classes", "a,,b"], "--classes: 'a,,b' holds an empty name"),
        (["--classes", f"@{tmp_path / 'absent.txt'}"], "--classes: cannot read"),
    ]
    for arguments, message in cases:
        assert main(["structure", "--run", str(tmp_path / "run"), "--k", "5", *arguments]) == 2, arguments
        error = capsys.readouterr().err
        assert re.search(message, error) and "Traceback" not in error, (arguments, error)


class Called(Exception):
    """Raised by a stand-in for a study, to stop the command once it has its arguments."""


@pytest.mark.parametrize("mode", ["run_structure_study", "run_checkpoint_maps"])
def test_every_mode_of_the_cli_passes_classes_metadata_and_hover_text_on(mode, tmp_path, monkeypatch):
    calls = []

    def stand_in(*args, **kwargs):
        calls.append(kwargs)
        raise Called

    monkeypatch.setattr(structure_study, mode, stand_in)
    table = write_csv(tmp_path / "meta.csv", ["a", "t"], [[1, "x"], [2.5, "y"]])
    flags = ["--classes", "p,q", "--metadata", str(table), "--hover-column", "t"]
    given = ["--model", "m:f", "--checkpoints", "c", "--probe", "p:q"] if mode == "run_checkpoint_maps" else []
    if given:  # the model's factory, then the checkpoints' and probe's, are read before the maps
        from netscope.nn import user_code

        monkeypatch.setattr(user_code, "build_model", lambda *a, **k: torch.nn.Linear(2, 2))
        monkeypatch.setattr(user_code, "checkpoint_files", lambda pattern: ["c.pt"])
        monkeypatch.setattr(user_code, "load_data", lambda *a: (torch.zeros(2, 2), torch.zeros(2)))
    with pytest.raises(Called):
        main(["structure", "--out", str(tmp_path / "out"), *given, *flags])
    assert calls[0]["classes"] == ["p", "q"] and calls[0]["hover_text"] == ["x", "y"]
    assert calls[0]["metadata"] == {"a": [1.0, 2.5], "t": ["x", "y"]}


def test_the_study_passes_the_digits_class_names_and_the_page_arguments(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(structure_study, "write_maps", lambda *args, **kwargs: calls.append(kwargs) or {})
    n = len(digits()[3])  # the held-out digits are the probe (nothing scrambled)
    metadata, hover = {"row": list(range(n))}, [str(i) for i in range(n)]
    structure_study.run_structure_study(
        tmp_path, epochs=0, subspace_k=0, progress=False, metadata=metadata, hover_text=hover
    )
    assert calls[0]["classes"] == ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
    assert calls[0]["metadata"] is metadata and calls[0]["hover_text"] is hover
    with pytest.raises(ValueError, match="classes must name each of the 10 digits, got 2"):
        structure_study.run_structure_study(tmp_path, epochs=0, subspace_k=0, progress=False, classes=["a", "b"])
    with pytest.raises(ValueError, match=f"metadata: column 'row' has 2 values, expected {n}"):
        structure_study.run_structure_study(tmp_path, epochs=0, subspace_k=0, progress=False, metadata={"row": [1, 2]})
    assert len(calls) == 1  # refused before the maps
