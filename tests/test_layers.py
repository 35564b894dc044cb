"""The packages import only downward (docs/ARCHITECTURE.md):

    stargan < datasets < updaters < extensions < faceapp < benchmarks < scripts

A module may import its own package and any lower layer; a script may not
import another script. Imports inside functions count too. Tests (and the
root conftest.py) may import anything. Nothing outside tests edits
``sys.path``. extensions/ holds only Trainer extensions.
"""
import ast
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
LAYERS = ('stargan', 'datasets', 'updaters', 'extensions', 'faceapp',
          'benchmarks')
SCRIPTS = ('train', 'evaluate', 'translate', 'prepare', 'compare', 'bench',
           'demo', 'train_sr')
#: Runs in a Python with torch instead of this project (imports ``timing``
#: from its own folder, nothing of ours).
STANDALONE = {'benchmarks/torch_reference.py'}


def _rank(top):
    """Layer index of a top-level name; scripts share the top one; None for
    names outside the project."""
    if top in LAYERS:
        return LAYERS.index(top)
    return len(LAYERS) if top in SCRIPTS else None


def _sources():
    for top in LAYERS:
        for path in sorted((ROOT / top).rglob('*.py')):
            yield path
    for name in SCRIPTS:
        yield ROOT / (name + '.py')


def _imports(tree):
    """``(line, top-level name, dotted name)`` of every absolute import."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name.split('.')[0], a.name
        elif isinstance(node, ast.ImportFrom) and not node.level and \
                node.module:
            for a in node.names:
                yield (node.lineno, node.module.split('.')[0],
                       node.module + '.' + a.name)


def _is_sys_path(node):
    return isinstance(node, ast.Attribute) and node.attr == 'path' and \
        isinstance(node.value, ast.Name) and node.value.id == 'sys'


def _edits_sys_path(node):
    """``sys.path.insert(...)`` and the like, or ``sys.path = ...``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return _is_sys_path(node.func.value) and node.func.attr in (
            'insert', 'append', 'extend', 'remove', 'pop', 'clear')
    if isinstance(node, (ast.Assign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target]
        return any(_is_sys_path(t) for t in targets)
    return False


def _violations():
    found = []
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        if rel in STANDALONE:
            continue
        own = rel.split('/')[0][:-3] if '/' not in rel else rel.split('/')[0]
        mine = _rank(own)
        tree = ast.parse(path.read_text(encoding='utf-8'), rel)
        for line, top, name in _imports(tree):
            theirs = _rank(top)
            if theirs is None or top == own:
                continue
            if theirs > mine:
                found.append('{}:{}: {} imports {} (upward)'.format(
                    rel, line, own, name))
            elif theirs == mine:  # two scripts
                found.append('{}:{}: script {} imports script {}'.format(
                    rel, line, own, name))
        for node in ast.walk(tree):
            if _edits_sys_path(node):
                found.append('{}:{}: edits sys.path (run it with python -m '
                             'from the checkout, or install the project)'
                             .format(rel, node.lineno))
    return found


def test_layers_import_only_downward():
    found = _violations()
    assert not found, '\n'.join(found)


def _tail(node):
    """Last name of ``a.b.c``, ``c`` or ``c(...)``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return getattr(node, 'id', None)


def _defines_extension(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(
                _tail(b) == 'Extension' for b in node.bases):
            return True
        if isinstance(node, ast.FunctionDef) and any(
                _tail(d) == 'make_extension' for d in node.decorator_list):
            return True
    return False


@pytest.mark.parametrize('path', sorted(
    p.name for p in (ROOT / 'extensions').glob('*.py')
    if p.name != '__init__.py'))
def test_extensions_hold_only_trainer_extensions(path):
    tree = ast.parse((ROOT / 'extensions' / path).read_text(encoding='utf-8'))
    assert _defines_extension(tree), (
        'extensions/{} defines no chainer.training.Extension; move it to '
        'the layer it belongs to'.format(path))


def test_a_violation_is_caught(tmp_path, monkeypatch):
    # The walker itself: an upward import and a sys.path edit are reported.
    (tmp_path / 'datasets').mkdir()
    (tmp_path / 'datasets' / 'bad.py').write_text(
        'import sys\nsys.path.insert(0, ".")\n'
        'def f():\n    from faceapp import runs\n')
    for top in LAYERS[2:]:
        (tmp_path / top).mkdir(exist_ok=True)
    (tmp_path / 'stargan').mkdir()
    monkeypatch.setattr(sys.modules[__name__], 'ROOT', tmp_path)
    monkeypatch.setattr(sys.modules[__name__], 'SCRIPTS', ())
    found = _violations()
    assert any('datasets imports faceapp.runs (upward)' in f for f in found)
    assert any('sys.path' in f for f in found)
