"""``netscope active-subspace``: the active subspace of a network's loss over its parameters."""

from __future__ import annotations


def run(args) -> int:
    """``netscope active-subspace``: run the study and print what it found."""
    import math
    import os

    import matplotlib

    matplotlib.use("Agg")
    import torch.distributed as dist

    from ..studies.active import Problem, run_active_subspace_study

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
        from ..nn import user_code

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
        corrected = intervals["eigenvalues_corrected"]
        print(
            f"{intervals['confidence']:.0%} intervals ({intervals['method']}, {intervals['source']}, "
            f"{intervals['seconds']:.1f} s), sample eigenvalue"
            + ("" if corrected is None else " / bias-corrected estimate")
            + " / interval of the population's:"
        )
        for i in range(min(3, len(intervals["eigenvalues"]))):
            print(
                f"  λ{i + 1}: {intervals['eigenvalues'][i]:.4g}"
                + ("" if corrected is None else f" / {corrected[i]:.4g}")
                + f" / {intervals['eigenvalues_low'][i]:.4g}..{intervals['eigenvalues_high'][i]:.4g}"
            )
        print(
            f"bootstrap's mean sin θ to the sample's top-{len(intervals['distance_mean'])} subspace "
            f"{intervals['distance_mean'][-1]:.2f}"
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


def add_parser(commands) -> None:
    """Add the command to ``commands`` (the ``netscope`` parser's subparsers)."""
    from ..active.solvers import SOLVERS  # numpy and the core only: no torch

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
        "kept gradients) every --checkpoint-every samples, or for multipass to FILE.pass<p> after "
        "every pass; under torchrun each rank writes its own (FILE.rank<r>); --resume survives kill -9",
    )
    study.add_argument(
        "--checkpoint-every",
        type=int,
        default=1000,
        metavar="M",
        help="with --checkpoint, the samples between saves of a method that reads the stream once "
        "(snapshot, randomized, gram, sketch; saved at the first chunk end after each M, and at "
        "the end); multipass ignores it and saves after every pass (default: %(default)s)",
    )
    study.add_argument(
        "--resume",
        action="store_true",
        help="go on from --checkpoint FILE if it exists; the result equals an uninterrupted run's",
    )
    study.set_defaults(run=run)
