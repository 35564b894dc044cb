"""Network size presets: the paper's, and smaller ones that train on a CPU.

Each preset is a plain dict of constructor values and training defaults
(batch size, iterations, n_critic, learning rates); scripts may override
any of them. ``d_down`` is
the number of stride-2 discriminator layers; it fixes
the smallest image size (``2 ** d_down``) and the classifier head's kernel.
"""

PRESETS = {
    # Choi et al. 2018: 128 px, G 64 channels and 6 residual blocks, D six
    # stride-2 layers 64 -> 2048, batch 16.
    'paper': dict(image_size=128, g_conv_dim=64, g_res=6, d_conv_dim=64,
                  d_down=6, batch_size=16, iterations=200000, n_critic=5,
                  g_lr=1e-4, d_lr=1e-4),
    # 64 px, a quarter of the paper's width: a laptop GPU or a patient CPU.
    'medium': dict(image_size=64, g_conv_dim=32, g_res=4, d_conv_dim=32,
                   d_down=5, batch_size=16, iterations=50000, n_critic=5,
                   g_lr=1e-4, d_lr=1e-4),
    # The CPU default: 32 px faces show expression changes after about 900
    # iterations (5-6 minutes on 2 cores). Small batches, one critic step per
    # generator step and a higher learning rate trade the paper's stability
    # margin for many more generator updates per CPU minute (measured on
    # synthetic faces; see the README).
    'small': dict(image_size=32, g_conv_dim=16, g_res=2, d_conv_dim=32,
                  d_down=4, batch_size=4, iterations=3000, n_critic=1,
                  g_lr=5e-4, d_lr=5e-4),
    # For tests and smoke runs only.
    'tiny': dict(image_size=32, g_conv_dim=8, g_res=1, d_conv_dim=8,
                 d_down=3, batch_size=4, iterations=20, n_critic=5,
                 g_lr=1e-4, d_lr=1e-4),
}

#: Preset used when no GPU is requested.
CPU_DEFAULT = 'small'
#: Preset used with ``--gpu``.
GPU_DEFAULT = 'paper'


def get_preset(name):
    """Returns a copy of the named preset.

    Args:
        name (str): A key of :data:`PRESETS`.

    Returns:
        dict: Its values; changing it leaves the preset intact.

    Raises:
        ValueError: For an unknown name, listing the valid ones.
    """
    if name in CYCLEGAN_PRESETS and name not in PRESETS:
        raise ValueError(
            '--preset {} is a CycleGAN preset: use it with --model cyclegan, '
            'or choose a StarGAN preset ({})'.format(
                name, ', '.join(sorted(PRESETS))))
    if name not in PRESETS:
        raise ValueError('unknown preset {!r}; choose one of {}'.format(
            name, ', '.join(sorted(PRESETS))))
    return dict(PRESETS[name])


#: CycleGAN sizes under the same names (``d_layers``: stride-2 PatchGAN
#: layers; 3 is the 70x70 PatchGAN). Batch sizes and iteration counts of the
#: smaller presets match :data:`PRESETS`, so a comparison gives both models
#: the same images per step and the same number of steps.
CYCLEGAN_PRESETS = {
    # Zhu et al. 2017 at 128 px: 6 residual blocks, batch 1, and 200 epochs
    # (about 200k iterations on a ~1k-image domain).
    'paper': dict(image_size=128, g_conv_dim=64, g_res=6, d_conv_dim=64,
                  d_layers=3, batch_size=1, iterations=200000),
    # The paper's 256 px setting: 9 residual blocks.
    'paper256': dict(image_size=256, g_conv_dim=64, g_res=9, d_conv_dim=64,
                     d_layers=3, batch_size=1, iterations=200000),
    'medium': dict(image_size=64, g_conv_dim=32, g_res=4, d_conv_dim=32,
                   d_layers=3, batch_size=16, iterations=50000),
    'small': dict(image_size=32, g_conv_dim=16, g_res=2, d_conv_dim=32,
                  d_layers=3, batch_size=4, iterations=3000),
    # For tests and smoke runs only.
    'tiny': dict(image_size=32, g_conv_dim=8, g_res=1, d_conv_dim=8,
                 d_layers=2, batch_size=4, iterations=20),
}
