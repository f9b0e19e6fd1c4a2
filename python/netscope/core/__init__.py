"""The numpy face of the C++ core: streaming accumulators and sketches, randomized decompositions,
kNN graphs, layouts and threads. Arrays in, arrays out; no torch.
"""
