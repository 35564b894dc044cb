"""Datasets of ``(image float32 (3, S, S) in [-1, 1], label float32 (L,))``.
"""
from datasets.celeba import CelebADataset  # NOQA
from datasets.folder import FolderDataset  # NOQA
from datasets.image_files import DatasetError  # NOQA
from datasets.loading import open_dataset  # NOQA
from datasets.pack import PackDataset  # NOQA
from datasets.pack import write_pack  # NOQA
from datasets.synthetic import EXPRESSIONS  # NOQA
from datasets.synthetic import HAIR_COLORS  # NOQA
from datasets.synthetic import Identity  # NOQA
from datasets.synthetic import render  # NOQA
from datasets.synthetic import sample_identity  # NOQA
from datasets.synthetic import SyntheticFaceDataset  # NOQA
from datasets.unaligned import UnalignedDataset  # NOQA
