"""Raw pictures -> face training sets: detection, filters, the prepare
pipeline."""
from datasets.preparation.faces import crop_face  # NOQA
from datasets.preparation.faces import detect_faces  # NOQA
from datasets.preparation.faces import face_square  # NOQA
from datasets.preparation.faces import load_cascade  # NOQA
from datasets.preparation.filters import ExactDuplicates  # NOQA
from datasets.preparation.filters import NearDuplicates  # NOQA
from datasets.preparation.pipeline import prepare  # NOQA
