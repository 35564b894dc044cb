"""Training iterators: reproducible order, shards, prefetch, joint batches."""
