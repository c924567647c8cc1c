"""Worked examples: your own data and partitioner (``wine_csv``)."""
