"""No product code loads user files the unsafe way.

Checked on the syntax tree (not the text): names are resolved through each
module's imports, so aliases (``import numpy as np``, ``from
chainer.serializers import load_npz as f``) are caught while comments and
strings are not. That every loader refuses a poisoned file is tested in
test_loader_safety.py.
"""
import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The project's safe loader: the only module that may hand file contents
#: to chainer's deserializer.
SAFE_LOADER = 'faceapp.snapshots'
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
    assert any(p.endswith(os.path.join('faceapp', 'snapshots.py'))
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
    'from faceapp import snapshots\nsnapshots.load_npz(p, m)',
    'from faceapp.snapshots import load_npz\nload_npz(p, m)',
    'import json\njson.load(f)',
])
def test_safe_loads_pass(source):
    assert not unsafe_loads(source, 'extensions.anything')
