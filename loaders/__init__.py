"""Loaders: each source becomes validated model records, written in one batch per file."""
