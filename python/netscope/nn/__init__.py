"""Everything that touches torch: the user's data and device, train/eval modes, per-sample gradients,
the parameter layout, gradient streams, activation tracking, and user code for the command line.
"""
