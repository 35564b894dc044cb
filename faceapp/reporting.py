"""Trainer wiring shared by the training scripts: logs, plots, triggers."""
import numpy

from chainer import training
from chainer.training import extensions as E

#: Columns printed to the terminal.
PRINT_KEYS = ['iteration', 'elapsed_time', 'dis/loss', 'dis/loss_gp',
              'dis/acc', 'gen/loss_fake', 'gen/loss_cls', 'gen/loss_rec',
              'eval/target_accuracy']

#: ``file name -> keys`` of the loss curves drawn by PlotReport.
PLOTS = {
    'loss_adv.png': ['dis/loss_real', 'dis/loss_fake', 'gen/loss_fake'],
    'loss_cls.png': ['dis/loss_cls', 'gen/loss_cls'],
    'loss_rec_gp.png': ['gen/loss_rec', 'dis/loss_gp'],
}


#: Plots of the metrics reported by :class:`extensions.evaluation.Evaluate`.
EVAL_PLOTS = {
    'eval_target_accuracy.png': ['eval/target_accuracy'],
    'eval_distances.png': ['eval/frechet_distance',
                           'eval/reconstruction_l1'],
    # D's classifier on real training and held-out faces (a gap: D
    # memorises) and on translations, beside the judge on the same
    # translations (D far above it: G fools D), docs/QUALITY.md.
    'eval_dis_accuracy.png': ['eval/dis_train_accuracy', 'eval/dis_accuracy',
                              'eval/dis_target_accuracy',
                              'eval/target_accuracy'],
}


def every(interval, last):
    """A trigger firing every ``interval`` iterations and at ``last``.

    Args:
        interval (int): Period in iterations.
        last (int): Final iteration, always included.

    Returns:
        ~chainer.training.triggers.ManualScheduleTrigger: The trigger.
    """
    points = sorted(set(range(interval, last + 1, interval)) | {last})
    return training.triggers.ManualScheduleTrigger(points, 'iteration')


def add_reports(trainer, log_interval, last, print_keys=PRINT_KEYS,
                plots=PLOTS):
    """Adds LogReport, PrintReport, ProgressBar and PlotReports.

    Args:
        trainer (~chainer.training.Trainer): The trainer.
        log_interval (int): Iterations between log entries.
        last (int): Final iteration (always logged).
        print_keys (list of str): Columns for PrintReport.
        plots (dict): ``file name -> keys`` for PlotReport.
    """
    # Triggers keep state, so each extension gets its own.
    trainer.extend(E.LogReport(trigger=every(log_interval, last)))
    trainer.extend(E.PrintReport(print_keys),
                   trigger=every(log_interval, last))
    trainer.extend(E.ProgressBar(update_interval=max(1, log_interval // 2)))
    add_plots(trainer, plots, log_interval, last)


def add_plots(trainer, plots, interval, last):
    """Adds one PlotReport per ``file name -> keys`` entry (if matplotlib
    works)."""
    if not E.PlotReport.available():
        return
    for name, keys in plots.items():
        trainer.extend(E.PlotReport(keys, 'iteration',
                                    trigger=every(interval, last),
                                    filename=name))


def pick_samples(dataset, n, seed):
    """Picks ``n`` fixed examples spread over the domains for sample grids.

    Args:
        dataset: Has ``label_of(i)`` and ``get_example(i)``.
        n (int): How many (at most ``len(dataset)``).
        seed (int): Which examples, reproducibly.

    Returns:
        tuple: float32 images ``(n, 3, S, S)`` and labels ``(n, L)``.
    """
    order = numpy.random.RandomState(seed).permutation(len(dataset))
    by_domain = {}
    for i in order:
        by_domain.setdefault(int(dataset.label_of(i).argmax()), []).append(i)
    queues = [by_domain[k] for k in sorted(by_domain)]
    picked = []
    while len(picked) < min(n, len(dataset)):
        for q in queues:
            if q and len(picked) < n:
                picked.append(q.pop(0))
    examples = [dataset.get_example(i) for i in picked]
    return (numpy.stack([x for x, _ in examples]),
            numpy.stack([c for _, c in examples]))
