"""StarGAN against the CycleGAN baseline on the same data and budget.

For k chosen domains, StarGAN trains one generator on them and CycleGAN one
bidirectional model per pair (k(k-1)/2 models, k(k-1) generators). Both
learn from one pack of the chosen domains' training images (so StarGAN sees
exactly the images CycleGAN sees), with the same image size, batch size,
iteration count and seed. Both are then judged on the same held-out images
of those domains by the same cached domain classifier, trained on all of
the dataset's real training images (the StarGAN paper's protocol).
"""
import os

import numpy

import datasets
from faceapp.compare_eval import base_data
from faceapp.compare_eval import directions
from faceapp.compare_eval import domain_pairs
from faceapp.compare_eval import evaluate
from faceapp.compare_eval import members
from faceapp.compare_eval import open_base
from faceapp.compare_models import load_cyclegan
from faceapp.compare_models import load_stargan
from faceapp import compare_report
from faceapp import devices
from faceapp import outputs
from faceapp import run_files
from faceapp import training

#: Sub-folders of the comparison's out dir.
STARGAN_DIR, CYCLEGAN_DIR, PACK_PATH = 'stargan', 'cyclegan', 'data/pack.npz'


def write_domain_pack(dataset, domains, path):
    """Writes the chosen domains' examples as a pack with one exclusive
    label group (``'domain'``) over ``domains``; returns its size."""
    idx, owner = members(dataset, domains)
    images = numpy.stack([numpy.clip(
        (dataset[int(i)][0].transpose(1, 2, 0) + 1) * 127.5 + 0.5, 0, 255
    ).astype(numpy.uint8) for i in idx])
    labels = numpy.eye(len(domains), dtype=numpy.float32)[owner]
    datasets.write_pack(path, images, labels, list(domains),
                        [('domain', tuple(domains))])
    return len(idx)


def stargan_dir(cfg):
    """Where the comparison trains its StarGAN: ``OUT/stargan``."""
    return os.path.join(cfg['out'], STARGAN_DIR)


def cyclegan_dir(cfg, pair):
    """Where it trains the CycleGAN of ``pair``: ``OUT/cyclegan/A_B``."""
    return os.path.join(cfg['out'], CYCLEGAN_DIR, '{}_{}'.format(*pair))


def earlier_runs(cfg):
    """The run dirs this comparison would train into that already hold
    snapshots of an earlier comparison (``train.py`` refuses to restart
    them silently).

    Args:
        cfg (dict): Comparison options (``out``, ``domains``, and the given
            ``stargan_run`` / ``cyclegan_runs``, which are not retrained).

    Returns:
        list of str: Those run dirs.
    """
    dirs = [] if cfg.get('stargan_run') else [stargan_dir(cfg)]
    if not cfg.get('cyclegan_runs'):
        dirs += [cyclegan_dir(cfg, p) for p in domain_pairs(cfg['domains'])]
    return [d for d in dirs if run_files.has_snapshots(d)]


def stargan_options(cfg, pack, out):
    """``train.py``'s options of the StarGAN run (as a plain dict; the
    rest take ``train.py``'s defaults), and ``eval_data``: the data the
    comparison judges it on (not the pack), which evaluate.py then uses."""
    keys = ('preset', 'image_size', 'batch_size', 'iterations', 'seed',
            'gpu', 'log_interval', 'n_samples')
    return dict({k: cfg[k] for k in keys}, dataset=pack,
                test_fraction=cfg['pack_test'], out=out, eval_interval=0,
                force=bool(cfg.get('force')), eval_data=base_data(cfg))


def cyclegan_options(cfg, pack, pair, out):
    """``train.py --model cyclegan``'s options of one pair run."""
    keys = ('gan_loss', 'label_noise', 'kernel_size', 'embedding_dis',
            'perceptual_net')
    return dict(stargan_options(cfg, pack, out), model='cyclegan',
                domains=list(pair), **{k: cfg[k] for k in keys})


def prepare_pack(cfg):
    """Writes the pack of the chosen domains' training images that
    both models learn from; returns its path."""
    pack = os.path.join(cfg['out'], PACK_PATH)
    with outputs.write_errors(cfg['out']):
        n = write_domain_pack(open_base(cfg, 'train'), cfg['domains'], pack)
    print('Training images of {}: {} -> {}'.format(
        ', '.join(cfg['domains']), n, pack), flush=True)
    return pack


def _check_exit(code, what):
    if code not in (0, None):
        raise RuntimeError('{} training failed (exit code {})'.format(
            what, code))


def train_stargan(cfg, pack):
    """Trains StarGAN on the pack (:func:`faceapp.training.run`); returns
    its run dir."""
    out = stargan_dir(cfg)
    _check_exit(training.run(stargan_options(cfg, pack, out)), 'StarGAN')
    return out


def train_cyclegans(cfg, pack):
    """Trains one CycleGAN per domain pair on the pack; returns their run
    dirs."""
    dirs = []
    for pair in domain_pairs(cfg['domains']):
        out = cyclegan_dir(cfg, pair)
        _check_exit(training.run(cyclegan_options(cfg, pack, pair, out)),
                    'CycleGAN')
        dirs.append(out)
    return dirs


def fairness_note(models, cfg):
    """One sentence on what each model learned from."""
    star = models['StarGAN']['trained_on']
    if sorted(star) == sorted(cfg['domains']):
        return ('Both models learned from the same images: the training '
                'images of the chosen domains only (StarGAN was trained on '
                'these {} domains, not on the whole dataset).'.format(
                    len(star)))
    return ('StarGAN was loaded from a run trained on {} domains ({}); only '
            'translations between the chosen domains are scored, but it saw '
            'more training data than CycleGAN.'.format(
                len(star), ', '.join(star)))


def check_models(models, cfg):
    """Raises ValueError when a model cannot translate every chosen
    direction, or was trained at another image size."""
    for name, model in models.items():
        missing = sorted(set(cfg['domains']) - set(model['trained_on']))
        if missing:
            raise ValueError('the {} run(s) never learned {}'.format(
                name, ', '.join(missing)))
        if model['image_size'] != cfg['image_size']:
            raise ValueError('the {} run is {} px, the comparison {} px'
                             .format(name, model['image_size'],
                                     cfg['image_size']))
    pairs = models['CycleGAN']['pairs']
    for s, t in directions(cfg['domains']):
        if (s, t) not in pairs:
            raise ValueError('no CycleGAN run translates {} to {}'.format(
                s, t))


def run(cfg):
    """Trains what is not given, evaluates both and writes the report.

    Args:
        cfg (dict): Comparison options (``compare.py``'s, resolved).

    Returns:
        dict: The comparison result (also in comparison.json).
    """
    # Before anything is trained or written: a clear message without CUDA.
    device = devices.get_device(cfg['gpu'])
    device.use()
    star, cycle = cfg.get('stargan_run'), cfg.get('cyclegan_runs')
    if not (star and cycle):
        pack = prepare_pack(cfg)
        star = star or train_stargan(cfg, pack)
        cycle = cycle or train_cyclegans(cfg, pack)
    models = {'StarGAN': load_stargan(star, device),
              'CycleGAN': load_cyclegan(cycle, device)}
    check_models(models, cfg)
    result, fakes, inputs = evaluate(cfg, models, device)
    result.update(fairness=fairness_note(models, cfg),
                  runs=dict(stargan=star, cyclegan=list(cycle)))
    picture = compare_report.figure(cfg['domains'], inputs['x'],
                                    inputs['src'], fakes, inputs['truth'])
    with outputs.writing(cfg['out']) as staging:
        compare_report.write(staging, result, cfg, picture)
    return result
