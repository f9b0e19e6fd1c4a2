"""The ``netscope`` command line (also ``python -m netscope``)."""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

DEFAULT_STRUCTURE_OUT = "netscope-out/structure"
# A metadata cell that reads as a number becomes one (a column is numeric when all its filled cells are).
_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _demo(args) -> int:
    from .studies.demo import run_quadratic_demo

    summary = run_quadratic_demo(args.out, dim=args.dim, n_samples=args.samples, k=args.k, seed=args.seed)
    print(f"quadratic loss, D={summary['dim']}, N={summary['n_samples']}: C = A^2, top {summary['k']} eigenpairs")
    print(f"{'i':>3} {'exact':>12} {'Gram+eigh_top':>14} {'snapshot rSVD':>14}")
    rows = zip(summary["exact_eigenvalues"], summary["gram_eigenvalues"], summary["snapshot_eigenvalues"])
    for i, (exact, gram, snapshot) in enumerate(rows):
        print(f"{i:>3} {exact:12.5g} {gram:14.5g} {snapshot:14.5g}")
    print(
        f"max relative eigenvalue error: Gram {summary['gram_max_relative_error']:.3g}, "
        f"snapshot {summary['snapshot_max_relative_error']:.3g} "
        f"(Monte Carlo scale sqrt(2/N) = {summary['monte_carlo_scale']:.3g})"
    )
    print(
        f"sine of the largest angle to the exact subspace: Gram {summary['gram_subspace_sine']:.3g}, "
        f"snapshot {summary['snapshot_subspace_sine']:.3g}"
    )
    print(f"wrote {args.out}/summary.json")
    return 0


def _active_subspace(args) -> int:
    import math
    import os

    import matplotlib

    matplotlib.use("Agg")
    import torch.distributed as dist

    from .studies.active import Problem, run_active_subspace_study

    # Your network is taken where it stands (its trained weights, one gradient per example); the
    # presets keep the seed's prior.
    sampling = args.sampling or ("data" if args.model is not None else "prior")
    if args.scale is not None and not (math.isfinite(args.scale) and args.scale > 0):
        raise ValueError(f"--scale must be a positive number (the prior's sigma), got {args.scale}")
    prior_flags = [
        flag for flag, given in (("--centered", args.centered), ("--scale", args.scale is not None)) if given
    ]
    if sampling != "prior" and prior_flags:
        raise ValueError(
            f"{' and '.join(prior_flags)}: for --sampling prior only (data sampling takes the "
            "gradients at the model's parameters as they are)"
        )
    problem = None
    if args.model is not None:
        from .nn import user_code

        missing = [flag for flag, value in (("--data", args.data), ("--loss", args.loss)) if value is None]
        if missing:
            raise ValueError(f"--model needs {' and '.join(missing)}: the data and the loss to take gradients of")
        if args.preset is not None:
            raise ValueError("--preset and --model exclude each other: a preset is a built-in model")
        if sampling == "prior" and args.weights is not None and not args.centered:
            raise ValueError(
                "--sampling prior --weights: the prior N(0, sigma^2 I) is centred at zero, so it ignores "
                "the weights; add --centered to sample around the trained weights (--scale sets "
                "sigma), or use --sampling data"
            )
        model = user_code.build_model(args.model, device=args.device)
        if args.weights is not None:
            user_code.load_weights(model, args.weights, "--weights")
        problem = Problem(
            model,
            user_code.load_loss(args.loss),
            user_code.load_data(args.data, "--data"),
            {
                "name": f"{type(model).__name__} from {args.model}",
                "factory": args.model,
                "data": args.data,
                "loss": args.loss,
            },
        )
    elif args.data is not None or args.loss is not None or args.weights is not None:
        raise ValueError("--data, --loss and --weights go with --model (the built-in presets bring their own)")
    # Under torchrun (WORLD_SIZE > 1) the ranks join one gloo group and split the samples.
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized()
    if distributed:
        dist.init_process_group("gloo")
    try:
        summary = run_active_subspace_study(
            args.out,
            problem=problem,
            preset=args.preset or "seed",
            sampling=sampling,
            n_samples=args.samples,
            depth=args.depth,
            width=args.width,
            activation=args.activation,
            method=args.method,
            sketch_size=args.sketch_size,
            n_passes=args.passes,
            seed=args.seed,
            n_boot=args.n_boot,
            k=args.k,
            n_vectors=args.vectors,
            chunk_size=args.chunk_size,
            device=args.device,
            checkpoint=args.checkpoint,
            checkpoint_every=args.checkpoint_every,
            resume=args.resume,
            scale=1.0 if args.scale is None else args.scale,
            centered=args.centered,
        )
    finally:
        if distributed:
            dist.destroy_process_group()
    if summary is None:  # not rank 0
        return 0
    importance = summary["layer_importance"]["layers"]
    eigenvalues = summary["eigenvalues"]
    prior = summary["prior"]
    around = (
        "" if prior is None else (f" around {'the model' if prior['centered'] else 'zero'}, sigma {prior['scale']:g}")
    )
    print(
        f"{summary['model']['name']}: D={summary['n_parameters']}, "
        f"N={summary['n_samples']} {summary['sampling']} samples{around}, method={summary['method']}"
    )
    held = summary["eigenvalues_for_90_percent_of_trace"]
    print(
        f"eigenvalues: λ1={eigenvalues[0]:.4g}, λ10={eigenvalues[min(9, len(eigenvalues) - 1)]:.4g}, "
        f"λ_last={eigenvalues[-1]:.4g}"
        + (f"; {held} of {len(eigenvalues)} hold 90% of the trace" if held else f" (the top {len(eigenvalues)})")
    )
    print(f"share of the top-{summary['layer_importance']['k']} eigenvectors by layer (share / share of parameters):")
    for layer, entry in importance.items():
        print(f"  {layer:>10}: {entry['share']:.3f}  ({entry['enrichment']:.2f}x)")
    if summary["layer_spectra"] is not None:
        spectra = summary["layer_spectra"]["layers"]
        print("each layer's own block of C: λ1 and share of the trace:")
        for layer, entry in spectra.items():
            print(f"  {layer:>10}: λ1={entry['eigenvalues'][0]:.4g}, trace share {entry['trace_share']:.3f}")
    if summary["relative_residuals"] is not None:
        residuals = summary["relative_residuals"]
        print(
            f"multipass residuals ‖C v - λ v‖ / λ after {summary['n_passes']} passes: λ1 {residuals[0]:.2g}, "
            f"largest of the top {len(residuals)} {max(residuals):.2g} (more passes lower them)"
        )
    convergence, stream, intervals = summary["convergence"], summary["stream_convergence"], summary["intervals"]
    if intervals is not None:
        print(
            f"{intervals['confidence']:.0%} bootstrap intervals ({intervals['source']}, {intervals['seconds']:.0f} s): "
            f"λ1 {intervals['eigenvalues_low'][0]:.4g}..{intervals['eigenvalues_high'][0]:.4g}; mean sin θ to the "
            f"top-{len(intervals['distance_mean'])} subspace {intervals['distance_mean'][-1]:.2f}"
        )
    if stream is not None:
        print(
            f"along the stream, max rel. change of λ1..λ{stream['k']} against the final estimate: "
            + ", ".join(f"n={n}: {e:.2f}" for n, e in zip(stream["sizes"][:-1], stream["eigenvalue_error"][:-1]))
        )
    elif convergence is not None:
        print(
            "subspace distance to the all-samples estimate: "
            + ", ".join(f"n={n}: {d:.2f}" for n, d in zip(convergence["sizes"], convergence["distance"]))
        )
    if intervals is None and convergence is None:
        print("bootstrap and convergence skipped: they need the gradients or a stream that can be read again")
    print(
        "timings (s): "
        + ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in summary["timings_s"].items())
        + f"; peak memory {summary['peak_memory_mb']:.0f} MB"
    )
    print(f"wrote figures and summary.json to {args.out}")
    return 0


def _read_classes(value: str) -> list:
    """``--classes``: comma-separated names, or ``@FILE`` with one name per line (blank lines skipped)."""
    if value.startswith("@"):
        try:
            names = [line.strip() for line in Path(value[1:]).read_text(encoding="utf-8-sig").splitlines()]
        except OSError as error:
            raise ValueError(f"--classes: cannot read {value[1:]} ({error.strerror or error})") from None
        names = [name for name in names if name]
    else:
        names = [name.strip() for name in value.split(",")]
    if not names or not all(names):
        raise ValueError(f"--classes: {value!r} holds an empty name; give one name per class, e.g. cat,dog,bird")
    return names


def _csv_column(cells: list):
    """One CSV column: numbers where every filled cell reads as one (ints if all are integers),
    else text; empty cells are missing (None).
    """
    filled = [cell.strip() for cell in cells if cell.strip()]
    if filled and all(_INTEGER.match(cell) for cell in filled):
        return [int(cell) if cell.strip() else None for cell in cells]
    if filled and all(_NUMBER.match(cell) for cell in filled):
        return [float(cell) if cell.strip() else None for cell in cells]
    return [cell if cell.strip() else None for cell in cells]


def _read_csv(path: str) -> dict:
    """``--metadata FILE.csv``: a header row of column names, then one row per probe example;
    returns {name: the column's cells as text}, in the file's column order.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            rows = list(csv.reader(file))
    except OSError as error:
        raise ValueError(f"--metadata: cannot read {path} ({error.strerror or error})") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"--metadata: {path} is not a UTF-8 CSV file ({error})") from None
    if not rows:
        raise ValueError(f"--metadata: {path} is empty; it needs a header row of column names")
    header, rows = [name.strip() for name in rows[0]], rows[1:]
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise ValueError(
                f"--metadata: {path}, line {line}, has {len(row)} cells; the header row names {len(header)} columns"
            )
    if len(set(header)) != len(header):
        repeated = next(name for name in header if header.count(name) > 1)
        raise ValueError(f"--metadata: {path} names the column {repeated!r} twice")
    return {name: [row[i] for row in rows] for i, name in enumerate(header)}


def _page_extras(args) -> dict:
    """The page's ``classes``, ``metadata`` and ``hover_text`` from --classes, --metadata and
    --hover-column (each None where not given).
    """
    from .core._metadata import metadata_columns

    if args.hover_column is not None and args.metadata is None:
        raise ValueError("--hover-column names a column of --metadata FILE.csv; give --metadata too")
    cells = None if args.metadata is None else _read_csv(args.metadata)
    metadata = None if cells is None else {name: _csv_column(column) for name, column in cells.items()}
    if cells is not None:  # the names and values now; the number of rows once the probe's size is known
        metadata_columns(metadata, len(next(iter(cells.values()), [])))
    hover_text = None
    if args.hover_column is not None:
        assert cells is not None
        if args.hover_column not in cells:
            raise ValueError(
                f"--hover-column: {args.metadata} has no column {args.hover_column!r} (its columns: {', '.join(cells)})"
            )
        hover_text = cells[args.hover_column]  # the text as written, also where it reads as numbers
    return {
        "classes": None if args.classes is None else _read_classes(args.classes),
        "metadata": metadata,
        "hover_text": hover_text,
    }


def _flag_error(error: ValueError, args) -> ValueError:
    """A page argument's error (its message starts with classes, metadata or hover_text) as the
    error of the flag that gave it; other errors as they are.
    """
    message = str(error)
    flags = {
        "classes": ("--classes", args.classes),
        "metadata": (f"--metadata {args.metadata}", args.metadata),
        "hover_text": (f"--hover-column {args.hover_column}", args.hover_column),
    }
    for name, (flag, given) in flags.items():
        if given is not None and re.match(rf"{name}\b", message):
            return ValueError(flag + message[len(name) :])
    return error


def _structure(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from .structure.compare import check_references

    try:
        compare = check_references([] if args.compare is None else [m for m in args.compare.split(",") if m])
    except ValueError as error:
        raise ValueError(f"--compare: {error}") from None
    if args.subspace_k < 0:
        raise ValueError(f"--subspace-k must be 0 (none) or a positive number of directions, got {args.subspace_k}")
    user_flags = {"--checkpoints": args.checkpoints, "--probe": args.probe}
    try:
        metrics = _structure_maps(args, compare, user_flags, **_page_extras(args))
    except ValueError as error:
        raise _flag_error(error, args) from None
    _report(args, metrics)
    return 0


def _structure_maps(args, compare, user_flags, *, classes, metadata, hover_text) -> dict:
    """Run the mode of ``netscope structure`` that the flags choose; returns its metrics."""
    from .studies.structure import run_checkpoint_maps, run_recorded_maps, run_structure_study

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
        metrics = run_recorded_maps(
            args.run_dir, args.out, k=args.k, seed=args.seed, compare=compare, html=args.html, **page
        )
        run = metrics["run"]
        print(
            f"run {run['folder']}: {run['model_class']}, {run['snapshots']} snapshots "
            f"({run['new_snapshots']} new since the last call), {metrics['dataset']['probe']} probe examples"
        )
        args.out = args.out or str(Path(args.run_dir) / "maps")
    elif args.model is not None:
        from .nn import user_code

        missing = [flag for flag, value in user_flags.items() if value is None]
        if missing:
            raise ValueError(f"--model needs {' and '.join(missing)}: the saved weights to map and the probe set")
        if args.scrambled:
            raise ValueError("--scrambled goes with the built-in study: a saved run was trained as it was")
        model = user_code.build_model(args.model, device=args.device)
        files = user_code.checkpoint_files(args.checkpoints)
        args.out = args.out or DEFAULT_STRUCTURE_OUT
        metrics = run_checkpoint_maps(
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
            f"({files[0].name} .. {files[-1].name}), {metrics['dataset']['probe']} probe examples"
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
        metrics = run_structure_study(
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
        final = metrics["accuracy"][-1]
        print(
            f"MLP {'-'.join(map(str, metrics['model']['sizes']))} on the digits: {args.epochs} epochs, "
            f"train accuracy {final['train']:.3f}, probe accuracy {final['probe']:.3f}"
        )
    return metrics


def _report(args, metrics: dict) -> None:
    """Print what ``netscope structure`` measured and wrote."""
    print("inter/intra-class distance ratio, first -> last snapshot (activations | layout), trend:")
    for layer, entry in metrics["claim_inter_grows_intra_shrinks"].items():
        print(
            f"  {layer:>6}: {entry['activation_ratio_first']:.2f} -> {entry['activation_ratio_last']:.2f} | "
            f"{entry['layout_ratio_first']:.2f} -> {entry['layout_ratio_last']:.2f}, "
            f"rank trend {entry['activation_ratio_trend']:+.2f}; claim {'holds' if entry['holds'] else 'does not hold'}"
        )
    if "subspace" in metrics:
        entry = metrics["subspace"]
        energy = f"mean energy {entry['mean_energy'][0]:.2f} -> {entry['mean_energy'][-1]:.2f}"
        if entry.get("mean_energy_wrong"):
            last = {"correct": entry["mean_energy_correct"][-1], "wrong": entry["mean_energy_wrong"][-1]}
            energy += "; last snapshot: " + ", ".join(
                f"{name} {value:.2f}" for name, value in last.items() if value is not None
            )
        print(
            f"probe active subspace (top {entry['k']}): lambda_1 {entry['eigenvalues'][0][0]:.3g} -> "
            f"{entry['eigenvalues'][-1][0]:.3g}, {energy}"
        )
    labels_scrambled = metrics.get("scrambled", {}).get("kind") == "labels"
    for layer, series in metrics.get("scrambled_placement", {}).items():
        if labels_scrambled:
            print(
                f"  {layer:>6}, scrambled points' neighbours of their given / true class: "
                f"{series[0]['given_share']:.2f} / {series[0]['true_share']:.2f} -> "
                f"{series[-1]['given_share']:.2f} / {series[-1]['true_share']:.2f}"
            )
        else:
            print(
                f"  {layer:>6}, corrupted points' neighbours of their class: "
                f"{series[0]['true_share']:.2f} -> {series[-1]['true_share']:.2f}"
            )
    for layer, runs in metrics.get("compare", {}).items():
        print(
            f"  {layer:>6}, last snapshot: "
            + "; ".join(
                f"{run['method']} {run['seconds']:.2f} s, trustworthiness {run['trustworthiness']:.3f}, "
                f"kNN preservation {run['knn_preservation']:.3f}"
                for run in runs
            )
        )
    print("timings (s): " + ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in metrics["timings_s"].items()))
    page = " and maps.html (open it in a browser)" if args.html else ""
    print(f"wrote figures, animations, GraphML maps, metrics.json{page} to {args.out}")


def _vae(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from .studies.vae_sweep import run_vae_study

    metrics = run_vae_study(
        args.out,
        betas=args.betas,
        latent_dim=args.latent,
        epochs=args.epochs,
        likelihood=args.likelihood,
        seed=args.seed,
    )
    print(f"β-VAE on the digits, {args.latent} latent dimensions, {args.likelihood} likelihood, {args.epochs} epochs")
    print(f"{'beta':>6} {'recon':>8} {'KL':>7} {'active':>6} {'I(x;z)':>7} {'|cos|':>6}")
    for run in metrics["runs"]:
        orthogonality = "-" if run["orthogonality"] is None else f"{run['orthogonality']:.3f}"
        print(
            f"{run['beta']:>6g} {run['reconstruction']:>8.2f} {run['kl_total']:>7.2f} {run['active_units']:>6d} "
            f"{run['mutual_information']:>7.2f} {orthogonality:>6}"
        )
    collapsed = metrics["all_collapsed_from_beta"]
    print(
        "every latent unit collapsed from β = "
        + (f"{collapsed:g}" if collapsed is not None else "(never, in this sweep)")
    )
    print(f"wrote figures and metrics.json to {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``netscope`` command's argument parser, one subcommand per study."""
    from .active.solvers import SOLVERS  # numpy and the core only: no torch
    from .core._metadata import PAGE_COLUMNS

    parser = argparse.ArgumentParser(prog="netscope", description="See inside neural networks.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="self-checking demo of the core on a quadratic loss with a known active subspace"
    )
    demo.add_argument("--out", default="netscope-out/demo", help="output folder (default: %(default)s)")
    demo.add_argument("--dim", type=int, default=500, help="number of parameters D (default: %(default)s)")
    demo.add_argument("--samples", type=int, default=5000, help="number of gradient samples N (default: %(default)s)")
    demo.add_argument("--k", type=int, default=10, help="leading eigenpairs to compare (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    demo.set_defaults(run=_demo)

    study = commands.add_parser(
        "active-subspace",
        help="the seed experiment: active subspace of an MLP's loss under a standard-normal prior, or of your "
        "network's (--model) at its weights",
    )
    study.add_argument("--out", default="netscope-out/active-subspace", help="output folder (default: %(default)s)")
    study.add_argument(
        "--preset",
        choices=["seed", "large", "xl"],
        help="seed: the seed's 5 146-parameter MLP; large: a 1 126 410-parameter MLP on the digits, "
        "top 50 by the Nyström sketch; xl: an 8 546 314-parameter MLP 64-2048-2048-2048-10, "
        "top 50 by a float32 sketch, trained first for --sampling data "
        "(default: seed, unless --model)",
    )
    study.add_argument(
        "--model",
        metavar="MODULE:FACTORY",
        help="your network: a function (e.g. mypkg.nets:make_cnn) that returns an nn.Module; needs --data and --loss",
    )
    study.add_argument(
        "--data",
        metavar="MODULE:NAME",
        help="your data: a function that returns (or an object that is) a tensor pair "
        "(inputs, targets) or a DataLoader of such batches",
    )
    study.add_argument(
        "--loss",
        metavar="{cross_entropy,mse,MODULE:FUNCTION}",
        help="the loss: cross_entropy, mse, or your function loss(predictions, targets)",
    )
    study.add_argument(
        "--weights",
        metavar="FILE",
        help="saved weights to load into the --model network: a torch state dict (alone or under "
        "state_dict/model_state_dict/model), a Lightning .ckpt, a .safetensors file or a "
        "Hugging Face save_pretrained folder",
    )
    study.add_argument(
        "--sampling",
        choices=["prior", "data"],
        help="prior: parameters drawn from N(0, sigma^2 I) (around the model's with --centered), "
        "the loss over all the data (the seed's); data: one gradient per example at the "
        "model's parameters (default: data with --model, prior for the presets; prior with "
        "--weights needs --centered)",
    )
    study.add_argument(
        "--centered",
        action="store_true",
        help="prior sampling around the model's parameters (e.g. the --weights) instead of zero",
    )
    study.add_argument(
        "--scale",
        type=float,
        metavar="SIGMA",
        help="the prior's standard deviation sigma, for --sampling prior (default: 1.0)",
    )
    study.add_argument(
        "--device",
        help="move the --model network there and compute there (e.g. cuda); default: where the factory put it",
    )
    study.add_argument(
        "--samples",
        type=int,
        help="samples N (default: prior 10 000 seed, 2 048 large, 1 024 xl; data: every example; "
        "with --model, D prior samples or every example)",
    )
    study.add_argument("--depth", type=int, default=5, help="hidden layers, seed preset (default: %(default)s)")
    study.add_argument(
        "--width", type=int, default=35, help="neurons per hidden layer, seed preset (default: %(default)s)"
    )
    study.add_argument(
        "--activation",
        default="tanh",
        choices=["tanh", "relu", "sigmoid", "gelu"],
        help="hidden activation (default: %(default)s)",
    )
    study.add_argument(
        "--method",
        choices=list(SOLVERS),
        help="eigensolver route (default: snapshot seed, sketch large; with --model, snapshot "
        "when the gradients fit in 1 GiB, else sketch); multipass replays the stream --passes times",
    )
    study.add_argument(
        "--sketch-size",
        type=int,
        help="columns of the Nyström sketch, or of each multipass block (default: 2 × vectors + 10; "
        "80 for large and xl)",
    )
    study.add_argument("--passes", type=int, help="passes over the gradient stream for --method multipass (default: 6)")
    study.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    study.add_argument("--n-boot", type=int, default=50, help="bootstrap replicates (default: %(default)s)")
    study.add_argument(
        "--k", type=int, default=10, help="subspace dimension for the diagnostics (default: %(default)s)"
    )
    study.add_argument(
        "--vectors",
        type=int,
        help="leading eigenvectors to compute and draw (default: 100 seed, 50 large); "
        "snapshot and gram also compute every eigenvalue",
    )
    study.add_argument(
        "--chunk-size", type=int, help="samples per torch batch (default: 256 prior, 1000 data; 32 large)"
    )
    study.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="save the fit's state to FILE.json (+ FILE for gram/sketch, FILE.gradients.npy for "
        "kept gradients) every --checkpoint-every samples, so --resume survives kill -9",
    )
    study.add_argument(
        "--checkpoint-every",
        type=int,
        default=1000,
        metavar="M",
        help="samples between checkpoints (default: %(default)s)",
    )
    study.add_argument(
        "--resume",
        action="store_true",
        help="go on from --checkpoint FILE if it exists; the result equals an uninterrupted run's",
    )
    study.set_defaults(run=_active_subspace)

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
    structure.set_defaults(run=_structure)

    vae = commands.add_parser("vae", help="β-VAE sweep on the digits: posterior collapse and PCA-like decoders")
    vae.add_argument("--out", default="netscope-out/vae", help="output folder (default: %(default)s)")
    vae.add_argument(
        "--betas", type=float, nargs="+", default=[0.1, 0.5, 1, 2, 4, 8, 16, 32], help="β values (default: %(default)s)"
    )
    vae.add_argument("--latent", type=int, default=8, help="latent dimensions (default: %(default)s)")
    vae.add_argument("--epochs", type=int, default=60, help="training epochs per β (default: %(default)s)")
    vae.add_argument(
        "--likelihood", default="bernoulli", choices=["bernoulli", "gaussian"], help="p(x|z) (default: %(default)s)"
    )
    vae.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    vae.set_defaults(run=_vae)
    return parser


def main(argv=None) -> int:
    """Run the ``netscope`` command on ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError, RuntimeError, OSError) as error:
        print(f"netscope {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
