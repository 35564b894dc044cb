"""Evaluation reports: metrics.json, report.md and their figures."""
import os

import numpy

from datasets import atomic
from datasets import image_grid as image_utils

#: Scalar metrics shown in the summary table, with their meaning.
HEADLINE = [
    ('target_accuracy', 'share of translations classified as the target '
     '(higher is better)'),
    ('frechet_distance', 'Frechet distance to real target-domain images in '
     'classifier features (lower is better)'),
    ('frechet_floor', 'the same distance between two real samples of the '
     'target domains (training vs test images, as many as the translations): '
     'what a perfect generator would score'),
    ('frechet_ratio', 'Frechet distance / its floor (1 is the floor; lower '
     'is better)'),
    ('kernel_distance', 'kernel (KID-style) distance, same features (lower '
     'is better)'),
    ('spread_ratio', 'total variance of the translations over that of the '
     'real images, same features: 1 varies as real faces do, below 1 the '
     'translations are more alike than real faces'),
    ('frechet_mean_share', 'share of the Frechet distance that comes from '
     'the translations\' mean sitting elsewhere; the rest is their spread'),
    ('identity_score', 'mean distance in classifier features between each '
     'source and its translation: 0 changes nothing, a colour-only change '
     'stays low; a real change of domain moves these features too, so read '
     'it with target_accuracy'),
    ('reconstruction_l1', 'L1 of G(G(x, c_trg), c_org) vs x, pixels in '
     '[-1, 1] (lower is better)'),
    ('ground_truth_l1', 'L1 against the true target rendering (lower is '
     'better)'),
    ('ground_truth_psnr', 'PSNR against the true target rendering in dB '
     '(higher is better)'),
    ('classifier_accuracy_real', 'the judging classifier\'s accuracy on real '
     'test images'),
    ('classifier_chance', 'what guessing would score on those (the judge '
     'must reach 1.5x this to be trusted)'),
]


def _value(result, key):
    """A headline number as text; the Frechet distance with its floor and
    their ratio, so it can be read: ``3.1000 (floor 1.2000, 2.58x)``."""
    text = '{:.4f}'.format(result[key])
    if key == 'frechet_distance' and 'frechet_floor' in result:
        text += ' (floor {:.4f}{})'.format(
            result['frechet_floor'], ', {:.2f}x'.format(
                result['frechet_ratio']) if 'frechet_ratio' in result
            else '')
    return text


def summary(result):
    """A few lines of text with the headline numbers."""
    lines = ['{:<26} {}'.format(k, _value(result, k)) for k, _ in HEADLINE
             if k in result]
    lines += ['{:<26} skipped: {}'.format(k, why)
              for k, why in result.get('skipped', {}).items()]
    if 'judge_warning' in result:
        lines.append(result['judge_warning'])
    return '\n'.join(lines)


def _table(rows, header):
    out = ['| ' + ' | '.join(header) + ' |',
           '|' + '---|' * len(header)]
    out += ['| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows]
    return '\n'.join(out)


def _accuracy_table(table, names):
    sources = [n for n in names if n in table]
    rows = [[s] + ['' if t not in table[s] else '{:.3f}'.format(table[s][t])
                   for t in names] for s in sources]
    return _table(rows, ['source \\ target'] + list(names))


def markdown(result, label_names):
    """The report's Markdown text."""
    parts = ['# Evaluation', '', 'Snapshot: `{}`, {} test images.'.format(
        result.get('snapshot'), result.get('n_test')), '']
    if 'judge_warning' in result:
        parts += ['**{}**'.format(result['judge_warning']), '']
    parts.append(_table([[k, _value(result, k), why]
                         for k, why in HEADLINE if k in result],
                        ['metric', 'value', 'meaning']))
    for name, why in result.get('skipped', {}).items():
        parts += ['', '*{} skipped:* {}'.format(name, why)]
    if 'target_accuracy_table' in result:
        parts += ['', '## Target accuracy, source x target', '',
                  _accuracy_table(result['target_accuracy_table'],
                                  label_names)]
    if 'per_direction' in result:
        parts += ['', '## Per direction', '', _direction_table(
            result['per_direction'])]
    if 'frechet_distance_per_domain' in result:
        parts += ['', '## Distances per target domain', '',
                  _domain_table(result)]
    parts += ['', '## Figures', '', '![translations](translations.png)', '',
              '![per domain](per_domain.png)', '']
    return '\n'.join(parts)


def _number(value, digits=4):
    return '' if value is None else '{:.{}f}'.format(value, digits)


def _domain_table(result):
    """Frechet (with floor and ratio, where known), kernel distance, spread
    ratio and identity score per target domain."""
    fd = result['frechet_distance_per_domain']
    kid = result['kernel_distance_per_domain']
    floor = result.get('frechet_floor_per_domain', {})
    ratio = result.get('frechet_ratio_per_domain', {})
    ident = result.get('identity_score_per_target', {})
    spread = result.get('spread_ratio_per_domain', {})
    return _table([[d, _number(fd[d]), _number(floor.get(d)),
                    _number(ratio.get(d), 2), _number(kid[d], 5),
                    _number(spread.get(d), 3), _number(ident.get(d))]
                   for d in fd],
                  ['domain', 'Frechet', 'floor', 'ratio', 'kernel',
                   'spread', 'identity'])


def _direction_table(per):
    keys = [k for k, _ in HEADLINE if any(k in m for m in per.values())]
    return _table([[d] + ['{:.4f}'.format(m[k]) if k in m else ''
                          for k in keys] for d, m in per.items()],
                  ['direction'] + keys)


def _translation_grid(data, label_names, n=8):
    rows = min(n, len(data.x))
    cells = [image_utils.to_uint8(data.x[:rows])[:, None]]
    cells += [image_utils.to_uint8(f[:rows])[:, None] for f in data.fake]
    names = ['input'] + [label_names[j] for j in data.targets]
    return image_utils.tile_grid(numpy.concatenate(cells, axis=1), names)


def _bars(result, path):
    import matplotlib.pyplot as plt
    panels = [(k, t) for k, t in (
        ('target_accuracy_per_target', 'target accuracy'),
        ('frechet_distance_per_domain', 'Frechet distance')) if k in result]
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.2),
                             squeeze=False)
    for ax, (key, title) in zip(axes[0], panels):
        values = result[key]
        ax.bar(list(values), list(values.values()), color='#4a7ab5')
        ax.set_title(title)
        ax.tick_params(axis='x', rotation=45)
    fig.tight_layout()
    with atomic.atomic_open(path) as f:
        fig.savefig(f, format='png', dpi=100)
    plt.close(fig)


def write_report(out_dir, result, data, label_names):
    """Writes metrics.json, report.md, translations.png and per_domain.png.

    Args:
        out_dir (str): Destination folder (created).
        result (dict): From :func:`stargan.metrics.compute`, plus extras.
        data (~stargan.metrics.EvalData): The translations measured.
        label_names (sequence of str): Label names.
    """
    atomic.write_json_atomic(result, os.path.join(out_dir,
                                                  'metrics.json'))
    image_utils.save_image_atomic(_translation_grid(data, label_names),
                                  os.path.join(out_dir, 'translations.png'))
    _bars(result, os.path.join(out_dir, 'per_domain.png'))
    with atomic.atomic_open(os.path.join(out_dir, 'report.md'), 'w') as f:
        f.write(markdown(result, label_names))
