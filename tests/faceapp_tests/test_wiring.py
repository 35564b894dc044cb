"""One Trainer builder for both models: the extension names and their
order are snapshot keys, so they must not change."""
import chainer

from faceapp import options
from faceapp import runs
from faceapp import wiring

TINY = dict(preset='tiny', n_train=20, n_test=5, iterations=4)

#: Names in the order today's snapshots were written with.
STARGAN = ['LinearShift', 'LinearShift_1', 'Evaluate', 'LogReport',
           'PrintReport', 'ProgressBar', 'PlotReport', 'PlotReport_1',
           'PlotReport_2', 'SampleGrid', 'snapshot', 'PlotReport_3',
           'PlotReport_4', 'PlotReport_5', 'DivergenceGuard', 'progress']
# PlotReport_5 (eval_dis_accuracy.png) came later: snapshots without it
# resume with a fresh plot (faceapp.snapshots keeps an extension's state
# when the file holds none of it).
CYCLEGAN = ['lr_gen_ab', 'lr_gen_ba', 'lr_dis_a', 'lr_dis_b', 'lr_dis_emb',
            'LogReport', 'PrintReport', 'ProgressBar', 'PlotReport',
            'PlotReport_1', 'PlotReport_2', 'CycleGANSampleGrid', 'snapshot',
            'DivergenceGuard', 'progress']


def _names(tmp_path, **given):
    opts = options.resolve(dict(TINY, out=str(tmp_path), **given))
    train, test = runs.make_datasets(opts)
    trainer, _, snapshot = wiring.make_trainer(opts, train, test,
                                               chainer.get_device('@numpy'))
    assert snapshot is trainer.get_extension('snapshot')
    return list(trainer._extensions)


def test_stargan_extensions_keep_their_names_and_order(tmp_path):
    names = _names(tmp_path, eval_interval=2, n_eval=4,
                   cache_dir=str(tmp_path / 'cache'))
    plots = chainer.training.extensions.PlotReport.available()
    assert names == [n for n in STARGAN
                     if plots or not n.startswith('PlotReport')]
    assert 'Evaluate' not in _names(tmp_path, eval_interval=0)


def test_cyclegan_extensions_keep_their_names_and_order(tmp_path):
    names = _names(tmp_path, model='cyclegan', domains=['smile', 'sad'],
                   embedding_dis=True)
    plots = chainer.training.extensions.PlotReport.available()
    assert names == [n for n in CYCLEGAN
                     if plots or not n.startswith('PlotReport')]
