"""``netscope structure``: the maps of the built-in study, of saved checkpoints or of a recorded run."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from .page_flags import flag_error, page_extras

if TYPE_CHECKING:
    from ..studies.summaries import MapsSummary

DEFAULT_STRUCTURE_OUT = "netscope-out/structure"


def run(args) -> int:
    """``netscope structure``: the mode the flags choose, then what it measured and wrote."""
    import matplotlib

    matplotlib.use("Agg")
    from ..structure.compare import check_references

    try:
        compare = check_references([] if args.compare is None else [m for m in args.compare.split(",") if m])
    except ValueError as error:
        raise ValueError(f"--compare: {error}") from None
    if args.subspace_k < 0:
        raise ValueError(f"--subspace-k must be 0 (none) or a positive number of directions, got {args.subspace_k}")
    user_flags = {"--checkpoints": args.checkpoints, "--probe": args.probe}
    try:
        summary = _maps(args, compare, user_flags, **page_extras(args))
    except ValueError as error:
        raise flag_error(error, args) from None
    _report(args, summary)
    return 0


def _maps(args, compare, user_flags, *, classes, metadata, hover_text) -> MapsSummary:
    """Run the mode of ``netscope structure`` that the flags choose; returns its summary."""
    from ..studies.structure import run_checkpoint_maps, run_recorded_maps, run_structure_study
    from ..studies.summaries import DigitsStudy, RecordedRun

    page = {"classes": classes, "metadata": metadata, "hover_text": hover_text}
    if args.run_dir is not None:
        given = [
            flag
            for flag, value in {
                **user_flags,
                "--model": args.model,
                "--loss": args.loss,
                "--layers": args.layers,
            }.items()
            if value is not None
        ]
        if given or args.scrambled:
            raise ValueError(
                f"--run maps a recorded run folder as it is; {', '.join(given) or '--scrambled'} "
                "go with --model or the built-in study"
            )
        summary = run_recorded_maps(
            args.run_dir, args.out, k=args.k, seed=args.seed, compare=compare, html=args.html, **page
        )
        run = summary.source
        assert isinstance(run, RecordedRun)
        print(
            f"run {run.folder}: {run.model_class}, {run.snapshots} snapshots "
            f"({run.new_snapshots} new since the last call), {run.probe_size} probe examples"
        )
        args.out = args.out or str(Path(args.run_dir) / "maps")
    elif args.model is not None:
        from ..nn import user_code

        missing = [flag for flag, value in user_flags.items() if value is None]
        if missing:
            raise ValueError(f"--model needs {' and '.join(missing)}: the saved weights to map and the probe set")
        if args.scrambled:
            raise ValueError("--scrambled goes with the built-in study: a saved run was trained as it was")
        model = user_code.build_model(args.model, device=args.device)
        files = user_code.checkpoint_files(args.checkpoints)
        args.out = args.out or DEFAULT_STRUCTURE_OUT
        summary = run_checkpoint_maps(
            args.out,
            model,
            files,
            user_code.load_data(args.probe, "--probe"),
            layers=None if args.layers is None else args.layers.split(","),
            loss_fn=None if args.loss is None else user_code.load_loss(args.loss),
            batch_size=args.batch_size,
            k=args.k,
            seed=args.seed,
            description={"class": type(model).__name__, "factory": args.model},
            compare=compare,
            html=args.html,
            subspace_k=args.subspace_k,
            **page,
        )
        print(
            f"{type(model).__name__} from {args.model}: {len(files)} checkpoints "
            f"({files[0].name} .. {files[-1].name}), {summary.probe_size} probe examples"
        )
    else:
        given = [
            flag
            for flag, value in {**user_flags, "--loss": args.loss, "--layers": args.layers}.items()
            if value is not None
        ]
        if given:
            raise ValueError(f"{', '.join(given)} go with --model (the built-in study trains its own MLP)")
        if not 0 <= args.scrambled < 1:
            raise ValueError(f"--scrambled must be a fraction in [0, 1), got {args.scrambled}")
        args.out = args.out or DEFAULT_STRUCTURE_OUT
        summary = run_structure_study(
            args.out,
            epochs=args.epochs,
            activation=args.activation,
            k=args.k,
            seed=args.seed,
            compare=compare,
            html=args.html,
            subspace_k=args.subspace_k,
            scrambled=args.scrambled,
            scramble_kind=args.scramble,
            **page,
        )
        study = summary.source
        assert isinstance(study, DigitsStudy)
        final = study.accuracy[-1]
        print(
            f"MLP {'-'.join(map(str, study.sizes))} on the digits: {args.epochs} epochs, "
            f"train accuracy {final.train:.3f}, probe accuracy {final.probe:.3f}"
        )
    return summary


def _report(args, summary: MapsSummary) -> None:
    """Print what ``netscope structure`` measured and wrote."""
    print("inter/intra-class distance ratio, first -> last snapshot (activations | layout), trend:")
    for layer, claim in summary.claim.items():
        print(
            f"  {layer:>6}: {claim.activation_ratio_first:.2f} -> {claim.activation_ratio_last:.2f} | "
            f"{claim.layout_ratio_first:.2f} -> {claim.layout_ratio_last:.2f}, "
            f"rank trend {claim.activation_ratio_trend:+.2f}; claim {'holds' if claim.holds else 'does not hold'}"
        )
    subspace = summary.subspace
    if subspace is not None:
        energy = f"mean energy {subspace.mean_energy[0]:.2f} -> {subspace.mean_energy[-1]:.2f}"
        if subspace.mean_energy_wrong:
            assert subspace.mean_energy_correct is not None  # measured together
            last = {"correct": subspace.mean_energy_correct[-1], "wrong": subspace.mean_energy_wrong[-1]}
            energy += "; last snapshot: " + ", ".join(
                f"{name} {value:.2f}" for name, value in last.items() if value is not None
            )
        print(
            f"probe active subspace (top {subspace.k}): lambda_1 {subspace.eigenvalues[0][0]:.3g} -> "
            f"{subspace.eigenvalues[-1][0]:.3g}, {energy}"
        )
    scrambled = getattr(summary.source, "scrambled", None)
    labels_scrambled = scrambled is not None and scrambled.kind == "labels"
    for layer, series in (summary.scrambled_placement or {}).items():
        if labels_scrambled:
            print(
                f"  {layer:>6}, scrambled points' neighbours of their given / true class: "
                f"{series[0].given_share:.2f} / {series[0].true_share:.2f} -> "
                f"{series[-1].given_share:.2f} / {series[-1].true_share:.2f}"
            )
        else:
            print(
                f"  {layer:>6}, corrupted points' neighbours of their class: "
                f"{series[0].true_share:.2f} -> {series[-1].true_share:.2f}"
            )
    for layer, runs in (summary.compare or {}).items():
        print(
            f"  {layer:>6}, last snapshot: "
            + "; ".join(
                f"{run.method} {run.seconds:.2f} s, trustworthiness {run.fidelity.trustworthiness:.3f}, "
                f"kNN preservation {run.fidelity.knn_preservation:.3f}"
                for run in runs
            )
        )
    print("timings (s): " + ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in summary.timings_s.items()))
    page = " and maps.html (open it in a browser)" if args.html else ""
    print(f"wrote figures, animations, GraphML maps, metrics.json{page} to {args.out}")


def add_parser(commands) -> None:
    """Add the command to ``commands`` (the ``netscope`` parser's subparsers)."""
    from ..core._metadata import PAGE_COLUMNS

    structure = commands.add_parser(
        "structure", help="the seed experiment: structural maps of an MLP's hidden layers while it learns the digits"
    )
    structure.add_argument("--out", help=f"output folder (default: {DEFAULT_STRUCTURE_OUT}; with --run, RUN/maps)")
    structure.add_argument(
        "--run",
        metavar="RUN",
        dest="run_dir",
        help="map a run folder that netscope.Recorder (or its Lightning / Trainer callbacks) "
        "wrote; run again while training goes on and only the new snapshots are laid out",
    )
    structure.add_argument("--epochs", type=int, default=30, help="training epochs (default: %(default)s)")
    structure.add_argument(
        "--activation",
        default="relu",
        choices=["tanh", "relu", "sigmoid", "gelu"],
        help="hidden activation (default: %(default)s)",
    )
    structure.add_argument("--k", type=int, default=15, help="neighbours in the kNN graphs (default: %(default)s)")
    structure.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    structure.add_argument(
        "--model",
        metavar="MODULE:FACTORY",
        help="map your own saved training run: a function that returns the nn.Module (needs --checkpoints and --probe)",
    )
    structure.add_argument(
        "--checkpoints",
        metavar="GLOB",
        help="saved weights, one snapshot per file or folder in natural order (e.g. "
        "'run/epoch_*.pt', 'run/checkpoint-*'): torch state dicts, Lightning .ckpt, "
        ".safetensors or save_pretrained folders",
    )
    structure.add_argument(
        "--probe",
        metavar="MODULE:NAME",
        help="the probe set: a function that returns (or an object that is) a pair "
        "(inputs, labels) or a DataLoader without shuffling",
    )
    structure.add_argument("--layers", help="comma-separated module names to map (default: every hidden layer)")
    structure.add_argument(
        "--loss",
        metavar="{cross_entropy,mse,MODULE:FUNCTION}",
        help="loss for the sensitivities (default: the predicted class's score)",
    )
    structure.add_argument(
        "--batch-size", type=int, default=256, help="probe examples per forward pass (default: %(default)s)"
    )
    structure.add_argument(
        "--device", help="move the --model network there (e.g. cuda); default: where the factory put it"
    )
    structure.add_argument(
        "--compare",
        metavar="umap,tsne",
        help="also draw the last snapshot with UMAP and/or t-SNE (openTSNE), with their time and "
        'fidelity beside netscope\'s (compare.png); needs pip install "netscope[compare]"',
    )
    structure.add_argument(
        "--html",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="write maps.html, the interactive offline page of the run (default: on)",
    )
    structure.add_argument(
        "--subspace-k",
        type=int,
        default=10,
        help="at each snapshot, the probe set's data-mode active subspace (top k) and each "
        "sample's energy in it, for the page; 0: none (default: %(default)s)",
    )
    structure.add_argument(
        "--scrambled",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="built-in study: train with this fraction of the training images scrambled and "
        "follow them in the probe set (default: %(default)s)",
    )
    structure.add_argument(
        "--scramble",
        choices=["labels", "inputs"],
        default="labels",
        help="what --scrambled scrambles: each image's label (a random other class) or its "
        "pixels (a random permutation) (default: %(default)s)",
    )
    structure.add_argument(
        "--classes",
        metavar="NAMES",
        help="names of the classes for the page, one per distinct label in sorted order: comma-separated "
        "(e.g. cat,dog,bird) or @FILE with one name per line (default: the built-in study's digit "
        "names, a run folder's recorded names, else each label's value)",
    )
    structure.add_argument(
        "--metadata",
        metavar="FILE.csv",
        help="columns about the probe examples for the page (search, tooltip, selection table, "
        "export): a CSV file with a header row of column names, then one row per probe example in "
        "the probe's order; columns whose filled cells all read as numbers become numbers, empty cells "
        "are missing; names are non-empty, without ':', '=', ',' or spaces, and not the page's own "
        f"({', '.join(PAGE_COLUMNS)}). With --run, replaces the metadata recorded in the folder",
    )
    structure.add_argument(
        "--hover-column",
        metavar="NAME",
        help="take each point's tooltip text from this column of --metadata (e.g. the input's text); "
        "with --run, replaces the recorded hover text",
    )
    structure.set_defaults(run=run)
