"""``netscope vae``: the β-VAE sweep."""

from __future__ import annotations


def run(args) -> int:
    """``netscope vae``: run the sweep and print its table."""
    import matplotlib

    matplotlib.use("Agg")
    from ..studies.vae_sweep import run_vae_study

    sweep = run_vae_study(
        args.out,
        betas=args.betas,
        latent_dim=args.latent,
        epochs=args.epochs,
        likelihood=args.likelihood,
        seed=args.seed,
    )
    print(f"β-VAE on the digits, {args.latent} latent dimensions, {args.likelihood} likelihood, {args.epochs} epochs")
    print(f"{'beta':>6} {'recon':>8} {'KL':>7} {'active':>6} {'I(x;z)':>7} {'|cos|':>6}")
    for beta_run in sweep.runs:
        orthogonality = "-" if beta_run.orthogonality is None else f"{beta_run.orthogonality:.3f}"
        print(
            f"{beta_run.beta:>6g} {beta_run.reconstruction:>8.2f} {beta_run.kl_total:>7.2f} "
            f"{beta_run.active_units:>6d} {beta_run.mutual_information:>7.2f} {orthogonality:>6}"
        )
    collapsed = sweep.all_collapsed_from_beta
    print(
        "every latent unit collapsed from β = "
        + (f"{collapsed:g}" if collapsed is not None else "(never, in this sweep)")
    )
    print(f"wrote figures and metrics.json to {args.out}")
    return 0


def add_parser(commands) -> None:
    """Add the command to ``commands`` (the ``netscope`` parser's subparsers)."""
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
    vae.set_defaults(run=run)
