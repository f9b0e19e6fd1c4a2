"""Structural maps of hidden representations: maps across snapshots, their metrics, and neuron ×
sample graphs. Reads arrays only; the activations come from :mod:`netscope.nn.activations`.
"""
