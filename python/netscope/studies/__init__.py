"""The reference experiments behind the command line: the two seeds' studies, the β-VAE sweep, the
demo, and the small networks and data they run on.
"""
