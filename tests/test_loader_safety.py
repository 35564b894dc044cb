"""Every loader of a user-given file refuses a poisoned (pickle-carrying)
npz without running its payload, with one clear message naming the file."""
import ast
import os
import shutil

import numpy as np
import pytest

import chainer
import chainer.links as L

import evaluate
import train
import translate
from extensions import export
from extensions import snapshots
from stargan import classifier


class _Payload(object):
    """Unpickling it creates ``marker``: proof that the payload ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def _poison(source, dest, marker):
    """Copies the npz ``source`` to ``dest`` with each array replaced by an
    object array carrying the payload (its keys, so that every check of
    names passes), and proves that unpickling ``dest`` runs the payload."""
    with np.load(source, allow_pickle=False) as npz:
        keys = list(npz.files)
    payload = np.array([_Payload(marker)], dtype=object)
    with open(dest, 'wb') as f:
        np.savez(f, **{key: payload for key in keys})
    # Proof that the file is armed: loading it the unsafe way runs it.
    with np.load(dest, allow_pickle=True) as npz:
        npz[keys[0]]
    assert os.path.exists(marker)
    os.remove(marker)
    return dest


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('run'))
    assert train.main(['--preset', 'tiny', '--n-train', '20', '--n-test', '6',
                       '--iterations', '2', '--eval-interval', '0',
                       '--out', out]) == 0
    return out


@pytest.fixture
def marker(tmp_path):
    path = str(tmp_path / 'PAYLOAD_RAN')
    yield path
    assert not os.path.exists(path), 'the pickled payload was executed'


def _poisoned_run(run_dir, tmp_path, marker):
    """A copy of the run whose snapshot and export are poisoned."""
    poisoned = str(tmp_path / 'poisoned_run')
    shutil.copytree(run_dir, poisoned)
    for name in ('snapshot_iter_2', export.EXPORT_NAME):
        path = os.path.join(poisoned, name)
        _poison(path, path, marker)
    return poisoned


def _refused(main, argv, capsys, *names):
    """``main(argv)`` stops with exit code 2 and one error line naming the
    poisoned file (and flag), without a traceback."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2, err
    assert 'Traceback' not in err
    errors = [line for line in err.splitlines() if 'error:' in line]
    assert len(errors) == 1, err
    for word in names + ('object arrays',):
        assert word in errors[0], err


def _picture(tmp_path):
    from PIL import Image
    path = str(tmp_path / 'face.png')
    Image.new('RGB', (32, 32), (200, 150, 120)).save(path)
    return path


@pytest.mark.parametrize('target', ['export', 'snapshot', 'run dir'])
def test_translate_model(run_dir, tmp_path, marker, capsys, target):
    poisoned = _poisoned_run(run_dir, tmp_path, marker)
    model, name = {
        'export': (os.path.join(poisoned, export.EXPORT_NAME),
                   export.EXPORT_NAME),
        'snapshot': (os.path.join(poisoned, 'snapshot_iter_2'),
                     'snapshot_iter_2'),
        'run dir': (poisoned, export.EXPORT_NAME)}[target]
    _refused(translate.main, [_picture(tmp_path), '--target', 'smile',
                              '--model', model, '--quiet',
                              '--out', str(tmp_path / 'out')],
             capsys, name)
    assert not os.path.exists(str(tmp_path / 'out'))


def test_evaluate_snapshot(run_dir, tmp_path, marker, capsys):
    poisoned = _poisoned_run(run_dir, tmp_path, marker)
    _refused(evaluate.main, [os.path.join(poisoned, 'snapshot_iter_2'),
                             '--n-test', '4', '--classifier-iterations', '2',
                             '--cache-dir', str(tmp_path / 'cache'),
                             '--out', str(tmp_path / 'eval')],
             capsys, 'snapshot_iter_2')


def _poison_judge_cache(run_dir, cache, marker):
    """Fills ``cache`` with the run's judge, then poisons it."""
    argv = [os.path.join(run_dir, 'snapshot_iter_2'), '--n-test', '4',
            '--classifier-iterations', '2', '--cache-dir', cache,
            '--metrics', 'reconstruction']
    assert evaluate.main(argv + ['--out', os.path.join(cache, 'eval')]) == 0
    cached = [os.path.join(cache, f) for f in os.listdir(cache)
              if f.startswith('classifier-')]
    assert len(cached) == 1
    return _poison(cached[0], cached[0], marker), argv


def _judge_retrained(cached, capsys):
    """The poisoned judge was refused, said so naming it, and a new one
    (loadable safely) replaced it: a cache is rebuilt, not a dead end."""
    err = capsys.readouterr().err
    assert 'Traceback' not in err
    warning = [line for line in err.splitlines() if cached in line]
    assert len(warning) == 1 and 'object arrays' in warning[0], err
    assert 'Training a new one' in warning[0], err
    snapshots.load_npz(cached, classifier.DomainClassifier(5))


def test_evaluate_judge_cache(run_dir, tmp_path, marker, capsys):
    cached, argv = _poison_judge_cache(run_dir, str(tmp_path / 'cache'),
                                       marker)
    assert evaluate.main(argv + ['--out', str(tmp_path / 'eval')]) == 0
    _judge_retrained(cached, capsys)


def test_train_judge_cache(run_dir, tmp_path, marker, capsys):
    # The judge train.py uses: same images and options, so the same key.
    cached, _ = _poison_judge_cache(run_dir, str(tmp_path / 'cache'),
                                    marker)
    assert train.main(['--preset', 'tiny', '--n-train', '20', '--n-test',
                       '6', '--iterations', '2', '--n-eval', '4',
                       '--classifier-iterations', '2', '--cache-dir',
                       str(tmp_path / 'cache'),
                       '--out', str(tmp_path / 'train')]) == 0
    _judge_retrained(cached, capsys)


def test_evaluate_inception(run_dir, tmp_path, marker, capsys):
    weights = str(tmp_path / 'googlenet.npz')
    chainer.serializers.save_npz(weights, L.GoogLeNet(pretrained_model=None))
    _poison(weights, weights, marker)
    _refused(evaluate.main, [os.path.join(run_dir, 'snapshot_iter_2'),
                             '--n-test', '4', '--classifier-iterations', '2',
                             '--cache-dir', str(tmp_path / 'cache'),
                             '--metrics', 'inception_fid', '--inception',
                             weights, '--out', str(tmp_path / 'eval')],
             capsys, 'googlenet.npz')


def test_train_perceptual_net(tmp_path, marker, capsys):
    weights = str(tmp_path / 'features.npz')
    chainer.serializers.save_npz(weights, classifier.DomainClassifier(2))
    _poison(weights, weights, marker)
    _refused(train.main, ['--model', 'cyclegan', '--domains', 'smile', 'sad',
                          '--preset', 'tiny', '--n-train', '20', '--n-test',
                          '6', '--iterations', '1', '--perceptual-net',
                          weights, '--out', str(tmp_path / 'cg')],
             capsys, 'features.npz')


@pytest.mark.parametrize('how', ['file', 'auto'])
def test_train_resume(run_dir, tmp_path, marker, capsys, how):
    poisoned = _poisoned_run(run_dir, tmp_path, marker)
    snapshot = os.path.join(poisoned, 'snapshot_iter_2')
    _refused(train.main, ['--preset', 'tiny', '--n-train', '20', '--n-test',
                          '6', '--iterations', '4', '--eval-interval', '0',
                          '--out', poisoned, '--resume',
                          snapshot if how == 'file' else 'auto'],
             capsys, 'snapshot_iter_2', '--resume')


# No product code loads user files the unsafe way. Checked on the syntax
# tree (not the text): names are resolved through each module's imports,
# so aliases (``import numpy as np``, ``from chainer.serializers import
# load_npz as f``) are caught while comments and strings are not.

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The project's safe loader: the only module that may hand file contents
#: to chainer's deserializer.
SAFE_LOADER = 'extensions.snapshots'
SKIPPED_DIRS = {'tests', 'build', 'dist', '__pycache__', 'node_modules'}


def _product_sources():
    """Paths of the project's own Python files (not tests or venvs)."""
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(
            d for d in dirs if not d.startswith('.') and d not in SKIPPED_DIRS
            and not os.path.exists(os.path.join(folder, d, 'pyvenv.cfg')))
        for name in sorted(files):
            if name.endswith('.py'):
                yield os.path.join(folder, name)


def _imported_names(tree):
    """Local name -> the dotted name it was imported as."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[a.asname or a.name.split('.')[0]] = \
                    a.name if a.asname else a.name.split('.')[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                names[a.asname or a.name] = node.module + '.' + a.name
    return names


def _dotted(node, names):
    """``a.b.c`` of a called expression, its first part resolved."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(names.get(node.id, node.id))
    return '.'.join(reversed(parts))


#: Modules whose load functions unpickle.
PICKLERS = ('pickle', 'cPickle', '_pickle', 'dill', 'joblib')


def _unsafe_call(name, module):
    """Why calling ``name`` (resolved, dotted) in ``module`` is unsafe, or
    None."""
    last = name.rsplit('.', 1)[-1]
    if last == 'load_npz' and name != SAFE_LOADER + '.load_npz' and not (
            name == 'load_npz' and module == SAFE_LOADER):
        return name + ' (use snapshots.load_npz)'
    if last == 'NpzDeserializer' and module != SAFE_LOADER:
        return name + ' (use snapshots.read_arrays and load_arrays)'
    if name.split('.')[0] in PICKLERS and last in ('load', 'loads',
                                                   'Unpickler'):
        return name + ' (unpickles)'
    if name == 'numpy.load':
        return 'numpy.load'  # unsafe only with allow_pickle: see below
    return None


def unsafe_loads(source, module):
    """``(line, what)`` for each unsafe load in ``source`` of ``module``.

    Unsafe: ``allow_pickle`` anything but a literal False (also by
    position in ``numpy.load``), chainer's ``load_npz`` or
    ``NpzDeserializer`` outside :data:`SAFE_LOADER`, pickle's loads.
    """
    tree = ast.parse(source)
    names = _imported_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for kw in node.keywords:
            if kw.arg == 'allow_pickle' and not (
                    isinstance(kw.value, ast.Constant)
                    and kw.value.value is False):
                found.append((node.lineno, 'allow_pickle not False'))
        why = _unsafe_call(_dotted(node.func, names) or '', module)
        if why == 'numpy.load':
            why = 'allow_pickle by position' if len(node.args) > 2 else None
        if why:
            found.append((node.lineno, why))
    return found


def _module_of(path):
    return os.path.relpath(path, ROOT)[:-3].replace(os.sep, '.')


def test_no_product_code_loads_files_unsafely():
    sources = list(_product_sources())
    assert any(p.endswith(os.path.join('extensions', 'snapshots.py'))
               for p in sources) and len(sources) > 30
    found = []
    for path in sources:
        with open(path, encoding='utf-8') as f:
            found += ['{}:{}: {}'.format(os.path.relpath(path, ROOT), line,
                                         what)
                      for line, what in unsafe_loads(f.read(),
                                                     _module_of(path))]
    assert not found, 'unsafe loading:\n' + '\n'.join(found)


@pytest.mark.parametrize('source', [
    'import numpy as np\nnp.load(p, allow_pickle=True)',
    'import numpy\nnumpy.load(p, None, True)',
    'from numpy import load\nload(p, allow_pickle=flag)',
    'import chainer\nchainer.serializers.load_npz(p, m)',
    'from chainer import serializers\nserializers.load_npz(p, m)',
    'from chainer.serializers import load_npz as f\nf(p, m)',
    'from chainer.serializers import load_npz\nload_npz(p, m)',
    'from chainer import serializers as s\ns.NpzDeserializer(d).load(m)',
    'import pickle\npickle.load(f)',
])
def test_unsafe_loads_are_found(source):
    assert unsafe_loads(source, 'extensions.anything')


@pytest.mark.parametrize('source', [
    'import numpy\nnumpy.load(p, allow_pickle=False)',
    'import numpy\nnumpy.load(p)  # allow_pickle=True in a comment',
    'from extensions import snapshots\nsnapshots.load_npz(p, m)',
    'from extensions.snapshots import load_npz\nload_npz(p, m)',
    'import json\njson.load(f)',
])
def test_safe_loads_pass(source):
    assert not unsafe_loads(source, 'extensions.anything')
