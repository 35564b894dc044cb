"""The comparison's outputs: comparison.json, report.md, comparison.png."""
import os

import numpy
from PIL import Image

from datasets import atomic
from datasets import image_grid as image_utils

#: ``(metric, column title, higher is better)`` in table order.
HEADLINE = [
    ('target_accuracy', 'target acc.', True),
    ('frechet_distance', 'Frechet', False),
    ('kernel_distance', 'kernel', False),
    ('reconstruction_l1', 'cycle L1', False),
    ('ground_truth_l1', 'truth L1', False),
    ('ground_truth_psnr', 'truth PSNR', True),
]

_MEANINGS = (
    '*target acc.*: share of translations the judge assigns to the target '
    'domain; *Frechet* / *kernel*: distances between real target-domain '
    'images and translations into it, in the judge\'s features; *cycle '
    'L1*: `|x - back(forth(x))|`, pixels in [-1, 1]; *truth L1* / *truth '
    'PSNR* (synthetic faces only): against the true rendering of the same '
    'face in the target domain.')


def _table(rows, header):
    out = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    return '\n'.join(out + ['| ' + ' | '.join(map(str, r)) + ' |'
                            for r in rows])


def _fmt(v):
    if v is None:
        return 'n/a'
    return '{:.4f}'.format(v) if isinstance(v, float) else str(v)


def _metric_rows(a, b, keys=HEADLINE):
    rows = []
    for key, title, higher in keys:
        if key not in a or key not in b:
            continue
        better = 'StarGAN' if (a[key] > b[key]) == higher else 'CycleGAN'
        rows.append([title, _fmt(a[key]), _fmt(b[key]),
                     better if a[key] != b[key] else 'tie'])
    return rows


def _cost_rows(star, cycle):
    def total(m):
        return m['parameters']['generators'] + m['parameters'][
            'discriminators']
    return [
        ['generators', star['generators'], cycle['generators']],
        ['generator parameters', star['parameters']['generators'],
         cycle['parameters']['generators']],
        ['discriminator parameters', star['parameters']['discriminators'],
         cycle['parameters']['discriminators']],
        ['all parameters', total(star), total(cycle)],
        ['training time (s)', _fmt(star['train_time_s']),
         _fmt(cycle['train_time_s'])],
        ['iterations per model', star['iterations'], cycle['iterations']],
        ['batch size', star['batch_size'], cycle['batch_size']],
        ['Adam lr (G / D)', '{} / {}'.format(star['g_lr'], star['d_lr']),
         '{} / {}'.format(cycle['g_lr'], cycle['d_lr'])],
        ['D steps per G step', star['n_critic'], cycle['n_critic']],
        ['trained on', ', '.join(star['trained_on']),
         ', '.join(cycle['trained_on'])],
    ]


def markdown(result, cfg):
    """The report's Markdown text.

    Args:
        result (dict): From :func:`faceapp.compare_eval.evaluate`, with
            ``models`` holding ``'StarGAN'`` and ``'CycleGAN'``.
        cfg (dict): Comparison options.
    """
    star, cycle = result['models']['StarGAN'], result['models']['CycleGAN']
    k = len(cfg['domains'])
    parts = [
        '# StarGAN vs CycleGAN', '',
        'Domains: {} (k = {}); data: {}; {} px; batch {}; {} iterations per '
        'model; seed {}.'.format(
            ', '.join(cfg['domains']), k,
            cfg['dataset'] or 'synthetic faces', cfg['image_size'],
            cfg['batch_size'], cfg['iterations'], cfg['seed']), '',
        result.get('fairness', ''), '',
        'Judged on {} held-out images by a domain classifier trained on all '
        'real training images (accuracy on real held-out images: {:.3f}).'
        .format(result['n_eval'], result['judge_accuracy_real']), '',
    ] + (['**{}**'.format(result['judge_warning']), '']
         if 'judge_warning' in result else []) + [
        '## Cost for k = {} domains'.format(k), '',
        'StarGAN: one generator for every direction; CycleGAN: one model '
        'per pair, k(k-1)/2 = {} models holding k(k-1) = {} generators.'
        .format(k * (k - 1) // 2, k * (k - 1)), '',
        _table(_cost_rows(star, cycle), ['', 'StarGAN', 'CycleGAN']), '',
        '## All directions', '',
        _table(_metric_rows(star['overall'], cycle['overall']),
               ['metric', 'StarGAN', 'CycleGAN', 'better']), '',
        _MEANINGS, '', '## Per direction', ''] + _direction_table(star, cycle)
    for name, m in result['models'].items():
        for metric, why in m['overall'].get('skipped', {}).items():
            parts += ['', '*{} {} skipped:* {}'.format(name, metric, why)]
    parts += ['', '## The same inputs translated by both', '',
              'Per direction: the input, StarGAN\'s and CycleGAN\'s '
              'translation (and the true rendering on synthetic faces).', '',
              '![comparison](comparison.png)', '']
    return '\n'.join(parts)


def _direction_table(star, cycle):
    keys = [(k, t) for k, t, _ in HEADLINE
            if any(k in d for d in star['per_direction'].values())]
    rows = [[d] + ['{} / {}'.format(_fmt(star['per_direction'][d].get(k)),
                                    _fmt(cycle['per_direction'][d].get(k)))
                   for k, _ in keys] for d in star['per_direction']]
    return [_table(rows, ['direction'] + [t for _, t in keys]),
            '', 'Each cell: StarGAN / CycleGAN.']


def figure(domains, x, src, fakes, truth=None, n_show=4):
    """One picture: per direction, rows of inputs and both translations.

    Args:
        domains (list of str): The chosen domains.
        x (numpy.ndarray): float32 ``(N, 3, S, S)`` held-out inputs.
        src (numpy.ndarray): int ``(N,)`` each input's domain position.
        fakes (dict): ``model name -> float32 (K, N, 3, S, S)``.
        truth (callable): ``(rows, target domain name) -> float32 images``
            (the true renderings), or None.
        n_show (int): Inputs per direction.

    Returns:
        PIL.Image.Image: The stacked grids.
    """
    grids = []
    for s, t in ((a, b) for a in domains for b in domains if a != b):
        rows = numpy.flatnonzero(src == domains.index(s))[:n_show]
        cells = [x[rows]] + [f[domains.index(t)][rows]
                             for f in fakes.values()]
        names = ['{}>{}'.format(s[:4], t[:4])] + list(fakes)
        if truth is not None:
            cells.append(truth(rows, t))
            names.append('truth')
        grids.append(image_utils.tile_grid(numpy.stack(
            [image_utils.to_uint8(c) for c in cells], 1), names))
    canvas = Image.new('RGB', (max(g.width for g in grids),
                               sum(g.height for g in grids)), 'white')
    top = 0
    for g in grids:
        canvas.paste(g, (0, top))
        top += g.height
    return canvas


def write(out_dir, result, cfg, picture):
    """Writes comparison.json, report.md and comparison.png atomically."""
    atomic.write_json_atomic(dict(result, config=cfg), os.path.join(
        out_dir, 'comparison.json'))
    image_utils.save_image_atomic(picture, os.path.join(out_dir,
                                                        'comparison.png'))
    with atomic.atomic_open(os.path.join(out_dir, 'report.md'), 'w') as f:
        f.write(markdown(result, cfg))
