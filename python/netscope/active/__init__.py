"""Active subspaces of a network's parameter space: the estimator, its checkpoints and its
distributed runs.
"""
