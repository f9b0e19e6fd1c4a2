"""Figures of fitted results, one function per figure, each returning a matplotlib Figure."""
