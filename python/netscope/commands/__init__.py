"""The commands of ``netscope`` (:mod:`netscope.cli`), one module each: ``demo``,
``active_subspace``, ``structure`` (its page flags in ``page_flags``) and ``vae``. Each imports
the studies it runs only when it runs, so the parser loads no torch.
"""

# Nothing here is API: the commands are documented by their help (docs/cli.md), not the API reference.
__all__: list[str] = []
