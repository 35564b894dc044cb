"""Procedurally drawn anime-style faces: the embedded default dataset.

Every image is rendered on demand from a small :class:`Identity` record and
a domain (expression, optionally hair colour), so no files are needed and the
ground-truth translation of any example into any domain is available through
:meth:`SyntheticFaceDataset.render_label`.
"""
import dataclasses

import chainer
import numpy
from PIL import Image

from datasets import face_drawing

EXPRESSIONS = ('neutral', 'smile', 'sad', 'surprised', 'angry')
HAIR_COLORS = ('black', 'blond', 'brown', 'pink', 'blue')

#: RGB of each hair-colour label, chosen far apart in hue and lightness.
HAIR_RGB = {
    'black': (35, 32, 40),
    'blond': (245, 215, 95),
    'brown': (130, 75, 35),
    'pink': (250, 135, 190),
    'blue': (55, 105, 230),
}
# Identities draw their own hair from this wider palette, so that when hair is
# not a label it is just nuisance variation.
_EXTRA_HAIR = ((200, 40, 45), (210, 210, 220), (90, 170, 80), (140, 80, 190),
               (240, 140, 50), (80, 50, 35), (60, 190, 200), (255, 240, 200))
_SKINS = ((255, 228, 205), (252, 215, 185), (240, 196, 160), (222, 172, 130),
          (190, 140, 100))
_EYES = ((70, 120, 220), (60, 160, 90), (150, 80, 40), (190, 50, 60),
         (130, 70, 190), (40, 150, 170), (200, 140, 30))
_BGS = ((235, 235, 240), (200, 225, 250), (250, 220, 230), (215, 240, 210),
        (250, 240, 200), (120, 130, 160), (90, 150, 140), (170, 150, 200))
_SHIRTS = ((240, 240, 245), (40, 50, 90), (200, 60, 70), (60, 120, 200),
           (230, 200, 70), (70, 140, 90))
_HAIR_STYLES = ('bob', 'long', 'spiky', 'twintails')
_FRINGES = ('blunt', 'jagged', 'swept')
_SPLITS = ('train', 'test')
_ATTRIBUTES = {'expression': EXPRESSIONS, 'hair': HAIR_COLORS}


@dataclasses.dataclass(frozen=True)
class Identity(object):
    """Drawing parameters of one person; everything but the domain.

    Attributes:
        face_width (float): Face width relative to the average (~0.9-1.1).
        chin (float): Chin pointiness in [0, 1); 0 is a round jaw.
        skin (tuple of int): Skin RGB.
        hair_style (str): One of ``'bob'``, ``'long'``, ``'spiky'``,
            ``'twintails'``.
        fringe (str): Bangs shape, ``'blunt'``, ``'jagged'`` or ``'swept'``.
        hair_rgb (tuple of int): The person's own hair RGB.
        eye_rgb (tuple of int): Iris RGB.
        eye_size (float): Eye size multiplier (~0.9-1.1).
        dx (float): Horizontal head offset as a fraction of the image width.
        dy (float): Vertical head offset as a fraction of the image width.
        scale (float): Head scale (~1.0-1.12).
        bg_mode (str): ``'plain'``, ``'gradient'`` or ``'diagonal'``.
        bg (tuple of int): Main background RGB.
        bg2 (tuple of int): Second background RGB (unused when plain).
        shirt (tuple of int): Clothing RGB.
        accent (tuple of int): Hair-tie RGB (twin tails only).
    """

    face_width: float
    chin: float
    skin: tuple
    hair_style: str
    fringe: str
    hair_rgb: tuple
    eye_rgb: tuple
    eye_size: float
    dx: float
    dy: float
    scale: float
    bg_mode: str
    bg: tuple
    bg2: tuple
    shirt: tuple
    accent: tuple


def _pick(rng, seq):
    return seq[rng.randint(len(seq))]


def sample_identity(rng):
    """Draws a random :class:`Identity`.

    Args:
        rng (numpy.random.RandomState): Source of randomness; the result is a
            deterministic function of its state.

    Returns:
        Identity: A new identity.
    """
    hair_pool = tuple(HAIR_RGB.values()) + _EXTRA_HAIR
    bg = _pick(rng, _BGS)
    return Identity(
        face_width=float(rng.uniform(0.9, 1.1)),
        chin=float(rng.uniform(0.15, 0.55)),
        skin=_pick(rng, _SKINS),
        hair_style=_pick(rng, _HAIR_STYLES),
        fringe=_pick(rng, _FRINGES),
        hair_rgb=_pick(rng, hair_pool),
        eye_rgb=_pick(rng, _EYES),
        eye_size=float(rng.uniform(0.9, 1.1)),
        dx=float(rng.uniform(-0.035, 0.035)),
        dy=float(rng.uniform(-0.03, 0.03)),
        scale=float(rng.uniform(1.0, 1.12)),
        bg_mode=_pick(rng, ('plain', 'gradient', 'diagonal')),
        bg=bg,
        bg2=tuple(int(c * 0.8) for c in bg),
        shirt=_pick(rng, _SHIRTS),
        accent=_pick(rng, _EYES),
    )


def _check_size(size):
    if not isinstance(size, (int, numpy.integer)) or not 32 <= size <= 256:
        raise ValueError('size must be an int in [32, 256], got {!r}'
                         .format(size))


def render(identity, expression, size=32, hair_color=None):
    """Renders one face.

    Args:
        identity (Identity): Who to draw.
        expression (str): A name from :data:`EXPRESSIONS`.
        size (int): Output side length in pixels, 32 to 256.
        hair_color (str or None): A name from :data:`HAIR_COLORS`, or
            ``None`` to use ``identity.hair_rgb``.

    Returns:
        numpy.ndarray: ``(size, size, 3)`` uint8 RGB image.
    """
    _check_size(size)
    if expression not in EXPRESSIONS:
        raise ValueError('expression must be one of {}, got {!r}'
                         .format(EXPRESSIONS, expression))
    if hair_color is None:
        hair = identity.hair_rgb
    elif hair_color in HAIR_RGB:
        hair = HAIR_RGB[hair_color]
    else:
        raise ValueError('hair_color must be None or one of {}, got {!r}'
                         .format(HAIR_COLORS, hair_color))
    # Supersample to at least 128 px so thin strokes antialias well.
    big = size * max(2, -(-128 // size))
    img = Image.new('RGB', (big, big))
    face_drawing.draw_face(img, identity, expression, hair)
    img = img.resize((size, size), Image.LANCZOS)
    return numpy.asarray(img, dtype=numpy.uint8).copy()


class SyntheticFaceDataset(chainer.dataset.DatasetMixin):
    """Unpaired anime-style faces labelled by expression (and hair colour).

    Each example is a distinct, procedurally sampled person, drawn in one
    domain. Domains are assigned round-robin so that every class (and, with
    two groups, every combination) is equally frequent. Identities are drawn
    from a random stream derived from ``(seed, split)``, so the dataset is
    reproducible and the train and test splits share no person.

    .. csv-table::
        :header: name, shape, dtype, format

        :obj:`image`, ":math:`(3, S, S)`", :obj:`float32`, \
        "RGB, :math:`[-1, 1]`"
        :obj:`label`, ":math:`(L,)`", :obj:`float32`, \
        "concatenated one-hot per attribute group, :math:`\\{0, 1\\}`"

    :math:`S` is ``size`` and :math:`L` is ``len(label_names)``: 5 for
    ``('expression',)``, 10 for ``('expression', 'hair')``.

    Args:
        n_images (int): Number of examples.
        size (int): Image side length, 32 to 256.
        split (str): ``'train'`` or ``'test'``.
        seed (int): Base seed.
        attributes (tuple of str): Label groups, from ``'expression'`` and
            ``'hair'``, in label order.

    Attributes:
        attribute_groups (list): ``(group_name, value_names)`` pairs.
        label_names (list of str): All value names in label order.
    """

    def __init__(self, n_images=1000, size=32, split='train', seed=0,
                 attributes=('expression',)):
        _check_size(size)
        if split not in _SPLITS:
            raise ValueError('split must be one of {}, got {!r}'
                             .format(_SPLITS, split))
        if isinstance(attributes, str):
            attributes = (attributes,)
        attributes = tuple(attributes)
        if not attributes or len(set(attributes)) != len(attributes):
            raise ValueError('attributes must be a non-empty tuple without '
                             'repeats, got {!r}'.format(attributes))
        for name in attributes:
            if name not in _ATTRIBUTES:
                raise ValueError('unknown attribute {!r} in attributes; '
                                 'choose from {}'.format(
                                     name, tuple(_ATTRIBUTES)))
        if int(n_images) < 1:
            raise ValueError('n_images must be positive, got {!r}'
                             .format(n_images))
        self.n_images = int(n_images)
        self.size = int(size)
        self.split = split
        self.seed = int(seed)
        self.attribute_groups = [(a, _ATTRIBUTES[a]) for a in attributes]
        self.label_names = [v for _, vs in self.attribute_groups for v in vs]
        # Distinct derived streams per split keep train/test people disjoint.
        rng = numpy.random.RandomState(
            [self.seed & 0xFFFFFFFF, _SPLITS.index(split), 0x5EED])
        self._identities = [sample_identity(rng) for _ in range(self.n_images)]
        self._cache = {}

    def __len__(self):
        return self.n_images

    def _domain(self, i):
        """Per-group value indices of example i, balanced across groups."""
        idx, stride = [], 1
        for _, values in self.attribute_groups:
            idx.append((i // stride) % len(values))
            stride *= len(values)
        return idx

    def _check_index(self, i):
        if not 0 <= i < self.n_images:
            raise IndexError('index {} out of range for {} examples'
                             .format(i, self.n_images))

    def _encode(self, idx):
        label = numpy.zeros(len(self.label_names), dtype=numpy.float32)
        offset = 0
        for (_, values), k in zip(self.attribute_groups, idx):
            label[offset + k] = 1
            offset += len(values)
        return label

    def _render(self, i, idx):
        kw = {'expression': EXPRESSIONS[0], 'hair_color': None}
        for (name, values), k in zip(self.attribute_groups, idx):
            kw['hair_color' if name == 'hair' else name] = values[k]
        img = render(self._identities[i], size=self.size, **kw)
        return img.transpose(2, 0, 1).astype(numpy.float32) / 127.5 - 1

    def identity(self, i):
        """Returns the :class:`Identity` of example ``i``."""
        self._check_index(i)
        return self._identities[i]

    def label_of(self, i):
        """Returns the ``(L,)`` float32 label of example ``i`` (no rendering)."""
        self._check_index(i)
        return self._encode(self._domain(i))

    def get_example(self, i):
        """Returns ``(image, label)`` of example ``i``; see the class table."""
        self._check_index(i)
        img = self._cache.get(i)
        if img is None:
            img = self._cache[i] = self._render(i, self._domain(i))
        return img.copy(), self.label_of(i)

    def render_label(self, i, label):
        """Draws example ``i``'s person in the domain given by ``label``.

        Args:
            i (int): Example index.
            label (array-like): ``(L,)`` label vector; the argmax within each
                attribute group picks the value.

        Returns:
            numpy.ndarray: ``(3, S, S)`` float32 image in ``[-1, 1]``, the
            ground truth for translating example ``i`` to that domain.
        """
        self._check_index(i)
        label = numpy.asarray(chainer.backends.cuda.to_cpu(label))
        if label.shape != (len(self.label_names),):
            raise ValueError('label must have shape ({},), got {}'
                             .format(len(self.label_names), label.shape))
        idx, offset = [], 0
        for _, values in self.attribute_groups:
            idx.append(int(numpy.argmax(label[offset:offset + len(values)])))
            offset += len(values)
        if idx == self._domain(i):
            return self.get_example(i)[0]
        return self._render(i, idx)
