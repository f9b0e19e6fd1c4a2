"""The ``netscope`` command line (also ``python -m netscope``): the parser and ``main``; each command
is one module of :mod:`netscope.commands`, with its ``run(args)`` and the ``add_parser(commands)``
that declares its flags.
"""

from __future__ import annotations

import argparse
import sys

from .commands import active_subspace, demo, structure, vae
from .commands.structure import DEFAULT_STRUCTURE_OUT  # noqa: F401  (read from here before)

COMMANDS = (demo, active_subspace, structure, vae)


def build_parser() -> argparse.ArgumentParser:
    """The ``netscope`` command's argument parser, one subcommand per study."""
    parser = argparse.ArgumentParser(prog="netscope", description="See inside neural networks.")
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(commands)
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
