"""The ``--generator`` choice: name -> generator class."""
from stargan import attention
from stargan import recolour
from stargan.models import stargan as networks

#: ``--generator`` name -> class, built as ``cls(c_dim, conv_dim, n_res,
#: upsample)``. ``plain`` paints the whole image (the paper's);
#: ``attention`` paints where a mask says (:mod:`stargan.attention`);
#: ``recolour`` moves the input's colours where a mask says
#: (:mod:`stargan.recolour`).
GENERATORS = {'plain': networks.Generator,
              'attention': attention.AttentionGenerator,
              'recolour': recolour.RecolourGenerator}
