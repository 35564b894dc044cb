"""How close an edit of hair colour alone could come to real faces of the
target colour, on the anime hair set: the eye-colour bound.

In that collection's captions hair and eye colour go together (about half
of the blue-haired faces have blue eyes, half of the red-haired red eyes).
A translation that changes only the hair keeps its source's eyes, so even a
perfect one is not distributed as the target's real faces. This measures
by how much, with no generator: for each target colour, real training faces
of that colour are drawn so that their eye colours follow the sources' (the
test faces of every other colour, the faces a run translates into it), and
that draw's Frechet distance to the target's real test faces is read
against the floor (a plain draw of as many training faces), in the judge's
features, as ``evaluate.py`` computes them. A ratio near 1 means the eyes
do not stand between a hair-only edit and the floor. Eye colours that no
training face of the target has cannot be drawn, so where the sources have
many of those the figure understates the gap.

    python -m benchmarks.hair_only_bound RUN CGAN/train_tag_dict.txt --n-test 500
"""
import argparse
import os
import re
import sys

import numpy

from benchmarks import anime_hair_set
from benchmarks import quality
from extensions import evaluation
from faceapp import run_files
from faceapp import runs
from faceapp import scoring
from stargan.metrics import distances
from stargan.models import classifier as clf_lib

#: "<colour> eyes" in a caption.
_EYES = re.compile(r'(\w+) eyes')
#: Draws averaged per figure.
DRAWS = 5


def eye_colour(caption):
    """The eye colour a caption names (``'bicolored'`` included), or
    ``'unnamed'``."""
    found = _EYES.search(caption)
    return found.group(1) if found else 'unnamed'


def matched_rows(pool, wanted, count, rng):
    """``count`` rows of ``pool`` drawn without replacement so that their
    values follow the distribution of ``wanted``.

    Each row is weighted by ``p_wanted(value) / p_pool(value)``; values
    ``wanted`` never takes are never drawn.

    Args:
        pool (sequence of str): A value (an eye colour) per candidate row.
        wanted (sequence of str): Values whose distribution to follow.
        count (int): Rows to draw; at most the rows with a positive weight.
        rng (numpy.random.RandomState): The draw's stream.

    Returns:
        numpy.ndarray: int64 ``(count,)`` row indices into ``pool``.
    """
    pool, wanted = numpy.asarray(pool), numpy.asarray(wanted)
    values, counts = numpy.unique(pool, return_counts=True)
    share = dict(zip(values, counts / len(pool)))
    weight = numpy.array([numpy.mean(wanted == v) / share[v] for v in pool])
    return rng.choice(len(pool), count, replace=False,
                      p=weight / weight.sum()).astype(numpy.int64)


def bound(f_train, d_train, e_train, f_test, d_test, e_test, seed=0):
    """Per target domain: the matched draw's distance, the floor and their
    ratio (means over :data:`DRAWS` draws).

    Args:
        f_train (numpy.ndarray): ``(M, F)`` judge features of training faces.
        d_train (numpy.ndarray): int ``(M,)`` their domains.
        e_train (numpy.ndarray): str ``(M,)`` their eye colours.
        f_test, d_test, e_test: The same for the test faces.
        seed (int): Seed of the draws.

    Returns:
        dict: domain index -> ``(distance, floor, ratio)``.
    """
    rng, out = numpy.random.RandomState(seed), {}
    for t in numpy.unique(d_test):
        real, wanted = f_test[d_test == t], e_test[d_test != t]
        rows = numpy.flatnonzero(d_train == t)
        n = min(len(wanted), int(numpy.isin(e_train[rows], wanted).sum()))
        fd = numpy.mean([distances.frechet_distance_of_features(
            real, f_train[rows[matched_rows(e_train[rows], wanted, n, rng)]])
            for _ in range(DRAWS)])
        floor = numpy.mean([distances.frechet_distance_of_features(
            real, f_train[rng.choice(rows, n, replace=False)])
            for _ in range(DRAWS)])
        out[int(t)] = (fd, floor, fd / floor)
    return out


def eyes_of(dataset, rows, captions):
    """Eye colours of a folder dataset's faces (named ``<number>.jpg``)."""
    return numpy.array([eye_colour(captions.get(int(os.path.splitext(
        os.path.basename(dataset.files[int(r)]))[0]), ''))
        for r in rows])


def measure(opts, captions, n_test, judge):
    """:func:`bound` on a run's data, with the judge ``evaluate.py`` uses.

    Returns:
        tuple: ``(label names, bound dict)``.
    """
    train, test = runs.make_datasets(opts)
    x_tr, c_tr = evaluation.dataset_arrays(train)
    x_te, c_te = evaluation.dataset_arrays(test, n_test)
    clf, _ = scoring.judge(x_tr, c_tr, runs.group_sizes(train), x_te, c_te,
                           judge, '@numpy')
    feats = [clf_lib.predict(clf, x, features=True) for x in (x_tr, x_te)]
    eyes = (eyes_of(train, range(len(train)), captions),
            eyes_of(test, evaluation.dataset_rows(test, n_test), captions))
    return train.label_names, bound(
        feats[0], c_tr.argmax(1), eyes[0], feats[1], c_te.argmax(1),
        eyes[1], opts['seed'])


def main(argv=None):
    p = argparse.ArgumentParser(prog='python -m benchmarks.hair_only_bound',
                                description=__doc__.split('\n\n')[0])
    p.add_argument('run', help='a train.py run on a folder made by '
                   'benchmarks.anime_hair_set (its args.json)')
    p.add_argument('captions', help='the collection\'s train_tag_dict.txt')
    quality.add_judge_arguments(p)
    args = p.parse_args(argv)
    try:  # read_options names a missing or unreadable args.json
        captions = anime_hair_set.read_captions(args.captions)
        names, result = measure(
            run_files.read_options(args.run), captions, args.n_test,
            scoring.JudgeOptions(args.cache_dir, args.classifier_iterations))
    except (OSError, ValueError) as e:
        p.error(str(e))
    print('| target | matched eyes | floor | ratio |\n|---|---|---|---|')
    rows = [(names[t], fd, floor) for t, (fd, floor, _) in result.items()]
    # As frechet_ratio: the mean distance over the mean floor.
    rows.append(('all', numpy.mean([r[1] for r in rows]),
                 numpy.mean([r[2] for r in rows])))
    for name, fd, floor in rows:
        print('| {} | {:.3f} | {:.3f} | {:.2f}x |'.format(name, fd, floor,
                                                         fd / floor))
    return 0


if __name__ == '__main__':
    sys.exit(main())
