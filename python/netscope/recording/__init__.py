"""Recording during training: :class:`Recorder` writes snapshots of a network on a probe set into
an append-only run folder; :class:`RunFolder` reads one back (for ``netscope structure --run``).
"""

from .recorder import Recorder
from .run_folder import RunFolder

__all__ = ["Recorder", "RunFolder"]
