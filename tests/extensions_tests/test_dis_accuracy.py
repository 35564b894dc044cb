"""D's classifier scored on held-out real images (eval/dis_accuracy), on
training images (eval/dis_train_accuracy) and on the translations
(eval/dis_target_accuracy)."""
import numpy

import chainer

from extensions import evaluation


class SignDiscriminator(object):
    """A stand-in D whose class logits are ``[v, -v]`` for an image filled
    with ``v``: it says domain 0 for positive images. It records the mode
    it was called in."""

    def __init__(self):
        self.modes = []

    def __call__(self, x):
        self.modes.append((chainer.config.train,
                           chainer.config.enable_backprop))
        v = chainer.functions.mean(x, axis=(1, 2, 3))[:, None]
        logits = chainer.functions.concat([v, -v], axis=1)
        return chainer.functions.sum(v, axis=1), logits


def _images(values):
    return numpy.stack([numpy.full((3, 4, 4), v, numpy.float32)
                        for v in values])


def test_the_accuracy_counts_the_images_d_labels_right():
    values = [0.5, -0.5, 0.2, -0.1, 0.9, 0.3, -0.7]
    x = _images(values)
    truth = [0, 1, 1, 1, 0, 1, 0]  # D says 0, 1, 0, 1, 0, 0, 1
    c = numpy.eye(2, dtype=numpy.float32)[truth]
    d = SignDiscriminator()
    got = evaluation.discriminator_accuracy(d, x, c, [2], batch_size=3)
    assert got == 4 / 7
    assert len(d.modes) == 3  # batches of 3, 3 and 1
    assert set(d.modes) == {(False, False)}  # test mode, no graph
    # The batch size changes nothing.
    assert evaluation.discriminator_accuracy(d, x, c, [2], batch_size=32) \
        == got


def _evaluate(**kwargs):
    x = _images([0.4, -0.4, 0.6, -0.2])
    c = numpy.eye(2, dtype=numpy.float32)[[0, 0, 0, 1]]

    def judge():
        raise AssertionError('the test replaces the judged metrics')

    # G negates each face, so D reads every translation the other way.
    ext = evaluation.Evaluate(lambda x, c: -x, judge, x, c, [2], ['a', 'b'],
                              names=[], **kwargs)
    ext.judge, ext.judge_accuracy = object(), 0.5  # judged already
    return ext.evaluate()


def test_the_evaluation_reports_it_only_with_a_discriminator():
    train = (_images([0.1, 0.2, -0.3]),
             numpy.eye(2, dtype=numpy.float32)[[0, 1, 1]])
    got = _evaluate(discriminator=SignDiscriminator(), train_images=train)
    assert got['eval/dis_accuracy'] == 0.75  # D says 0, 1, 0, 1
    # The targets are the other domain (1, 1, 1, 0) and D reads the
    # negated faces as 1, 0, 1, 0: right three times in four (on the
    # untranslated faces it would be right once).
    assert got['eval/dis_target_accuracy'] == 0.75
    assert got['eval/dis_train_accuracy'] == 2 / 3  # D says 0, 0, 1
    assert 'eval/dis_train_accuracy' not in _evaluate(
        discriminator=SignDiscriminator())
    assert not {k for k in _evaluate() if k.startswith('eval/dis_')}


def test_d_runs_where_the_evaluation_was_told_it_lives(monkeypatch):
    seen = []
    real = evaluation.forward.forward_in_batches

    def spy(fn, arrays, device, *args, **kwargs):
        seen.append(device)
        return real(fn, arrays, '@numpy', *args, **kwargs)

    monkeypatch.setattr(evaluation.forward, 'forward_in_batches', spy)
    train = (_images([0.1]), numpy.eye(2, dtype=numpy.float32)[[0]])
    # The device object itself, not the '@numpy' a lost argument defaults to.
    device = chainer.get_device('@numpy')
    _evaluate(discriminator=SignDiscriminator(), train_images=train,
              device=device)
    # D's passes: real test faces, training faces, and the translations
    # into each of the two targets.
    assert len(seen) == 4 and all(d is device for d in seen), seen
