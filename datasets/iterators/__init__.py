"""Training iterators: reproducible order, shards, prefetch, joint batches."""
from datasets.iterators.joint import JointIterator  # NOQA
from datasets.iterators.order import make_iterator  # NOQA
from datasets.iterators.order import ReproducibleShuffle  # NOQA
from datasets.iterators.prefetch import PrefetchIterator  # NOQA
from datasets.iterators.shard import make_shard_iterator  # NOQA
from datasets.iterators.shard import ShardIterator  # NOQA
