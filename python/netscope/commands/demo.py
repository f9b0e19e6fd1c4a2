"""``netscope demo``: the self-checking demo of the core."""

from __future__ import annotations


def run(args) -> int:
    """``netscope demo``: run the demo and print its comparison."""
    from ..studies.demo import run_quadratic_demo

    summary = run_quadratic_demo(args.out, dim=args.dim, n_samples=args.samples, k=args.k, seed=args.seed)
    print(f"quadratic loss, D={summary.dim}, N={summary.n_samples}: C = A^2, top {summary.k} eigenpairs")
    print(f"{'i':>3} {'exact':>12} {'Gram+eigh_top':>14} {'snapshot rSVD':>14}")
    rows = zip(summary.exact_eigenvalues, summary.gram_eigenvalues, summary.snapshot_eigenvalues)
    for i, (exact, gram, snapshot) in enumerate(rows):
        print(f"{i:>3} {exact:12.5g} {gram:14.5g} {snapshot:14.5g}")
    print(
        f"max relative eigenvalue error: Gram {summary.gram_max_relative_error:.3g}, "
        f"snapshot {summary.snapshot_max_relative_error:.3g} "
        f"(Monte Carlo scale sqrt(2/N) = {summary.monte_carlo_scale:.3g})"
    )
    print(
        f"sine of the largest angle to the exact subspace: Gram {summary.gram_subspace_sine:.3g}, "
        f"snapshot {summary.snapshot_subspace_sine:.3g}"
    )
    print(f"wrote {args.out}/summary.json")
    return 0


def add_parser(commands) -> None:
    """Add the command to ``commands`` (the ``netscope`` parser's subparsers)."""
    demo = commands.add_parser(
        "demo", help="self-checking demo of the core on a quadratic loss with a known active subspace"
    )
    demo.add_argument("--out", default="netscope-out/demo", help="output folder (default: %(default)s)")
    demo.add_argument("--dim", type=int, default=500, help="number of parameters D (default: %(default)s)")
    demo.add_argument("--samples", type=int, default=5000, help="number of gradient samples N (default: %(default)s)")
    demo.add_argument("--k", type=int, default=10, help="leading eigenpairs to compare (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    demo.set_defaults(run=run)
