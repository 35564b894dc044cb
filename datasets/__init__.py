from datasets.synthetic import EXPRESSIONS  # NOQA
from datasets.synthetic import HAIR_COLORS  # NOQA
from datasets.synthetic import Identity  # NOQA
from datasets.synthetic import render  # NOQA
from datasets.synthetic import sample_identity  # NOQA
from datasets.synthetic import SyntheticFaceDataset  # NOQA
