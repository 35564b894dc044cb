"""The generator as ONNX: this project's nodes map to ONNX ops that
onnxruntime computes as Chainer does, for any batch size."""
import json
import sys

import numpy as np
import onnx
import pytest

import chainer

from faceapp import onnx_export
from faceapp import onnx_model
from faceapp.snapshots import UnsafeFileError
from stargan import generators
from stargan.conv import functions as conv
from stargan.models import stargan as networks

NAMES = ['neutral', 'smile', 'sad']
#: float32 results of different summation orders differ by a few ulps per
#: layer; after tanh the translations are within [-1, 1], so 1e-4 leaves
#: two orders of magnitude for a network of a dozen layers.
TOLERANCE = 1e-4


def _config(generator='plain', upsample='deconv'):
    return {'format_version': 1, 'model': 'stargan', 'preset': 'tiny',
            'image_size': 16, 'g_conv_dim': 4, 'g_res': 1,
            'label_names': list(NAMES),
            'attribute_groups': [['expression', list(NAMES)]],
            'generator': generator, 'upsample': upsample, 'weights': 'last',
            'ema_beta': 0.}


def _generator(kind, upsample='deconv'):
    """A random generator whose normalisations and biases are not the
    identity (ONNX's InstanceNormalization must apply them)."""
    gen = generators.GENERATORS[kind](len(NAMES), 4, 1, upsample)
    rng = np.random.RandomState(3)
    for name, p in gen.namedparams():
        if not name.endswith('/W'):
            p.array[...] = rng.normal(0, 0.5, p.shape)
    return gen


def _inputs(n, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.uniform(-1, 1, (n, 3, 16, 16)).astype(np.float32)
    c = rng.uniform(0, 1, (n, len(NAMES))).astype(np.float32)
    return x, c


@pytest.mark.parametrize('upsample', networks.UPSAMPLES)
@pytest.mark.parametrize('kind', sorted(generators.GENERATORS))
def test_onnxruntime_translates_as_chainer_at_any_batch(tmp_path, kind,
                                                        upsample):
    gen = _generator(kind, upsample)
    path = str(tmp_path / 'g.onnx')
    onnx_export.export_onnx(path, gen, _config(kind, upsample))
    loaded, config = onnx_model.load_onnx(path)
    assert config == _config(kind, upsample)
    for n in (1, 5):  # exported with a batch of one
        x, c = _inputs(n, seed=n)
        with conv.translating():
            want = gen(x, c).array
        got = loaded(x, c).array
        assert got.shape == want.shape == (n, 3, 16, 16)
        assert np.abs(got - want).max() <= TOLERANCE


def test_the_graph_uses_onnx_ops_with_named_inputs(tmp_path):
    model = onnx_export.to_onnx(_generator('plain'), _config())
    graph = model.graph
    assert [i.name for i in graph.input] == ['image', 'label']
    assert [o.name for o in graph.output] == ['translation']
    ops = {node.op_type for node in graph.node}
    assert {'Conv', 'ConvTranspose', 'InstanceNormalization', 'Expand',
            'Concat', 'Tanh'} <= ops
    dims = [[d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]
            for i in list(graph.input) + list(graph.output)]
    assert dims == [['N', 3, 16, 16], ['N', 3], ['N', 3, 16, 16]]
    meta = {p.key: p.value for p in model.metadata_props}
    assert json.loads(meta[onnx_export.CONFIG_KEY]) == _config()



def test_the_label_is_an_input_of_the_graph(tmp_path):
    # The same picture to two targets: ONNX must follow the label input.
    gen = _generator('plain')
    path = str(tmp_path / 'g.onnx')
    onnx_export.export_onnx(path, gen, _config())
    loaded, _ = onnx_model.load_onnx(path)
    x = np.repeat(_inputs(1)[0], 2, axis=0)
    c = np.eye(len(NAMES), dtype=np.float32)[[0, 2]]
    got = loaded(x, c).array
    assert np.abs(got[0] - got[1]).max() > 1e-2
    with conv.translating():
        assert np.abs(got - gen(x, c).array).max() <= TOLERANCE


def test_without_the_onnx_package_one_message_names_the_extra(
        tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'onnx', None)  # import fails
    with pytest.raises(onnx_export.OnnxUnavailable) as e:
        onnx_export.export_onnx(str(tmp_path / 'g.onnx'), _generator('plain'),
                                _config())
    assert '.[onnx]' in str(e.value) and 'onnx' in str(e.value)
    assert not list(tmp_path.iterdir())


def test_without_onnxruntime_one_message_names_the_extra(
        tmp_path, monkeypatch):
    path = str(tmp_path / 'g.onnx')
    onnx_export.export_onnx(path, _generator('plain'), _config())
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)
    with pytest.raises(onnx_export.OnnxUnavailable) as e:
        onnx_model.load_onnx(path)
    assert 'onnxruntime' in str(e.value) and '.[onnx]' in str(e.value)


def test_files_that_are_not_our_onnx_models_are_refused(tmp_path):
    junk = tmp_path / 'junk.onnx'
    junk.write_bytes(b'not a model')
    with pytest.raises(UnsafeFileError, match='junk.onnx is not a readable'):
        onnx_model.load_onnx(str(junk))
    with pytest.raises(UnsafeFileError, match='does not exist'):
        onnx_model.load_onnx(str(tmp_path / 'missing.onnx'))
    # A valid ONNX model without the export config.
    model = onnx_export.to_onnx(_generator('plain'), _config())
    del model.metadata_props[:]
    bare = str(tmp_path / 'bare.onnx')
    onnx.save(model, bare)
    with pytest.raises(UnsafeFileError, match='holds no export_config'):
        onnx_model.load_onnx(bare)
    # A config that does not fit the graph (two labels, three inputs).
    model = onnx_export.to_onnx(_generator('plain'), _config())
    wrong = dict(_config(), label_names=NAMES[:2],
                 attribute_groups=[['expression', NAMES[:2]]])
    model.metadata_props[0].value = json.dumps(wrong)
    onnx.save(model, str(tmp_path / 'wrong.onnx'))
    with pytest.raises(UnsafeFileError, match='does not fit its config'):
        onnx_model.load_onnx(str(tmp_path / 'wrong.onnx'))


def test_an_onnx_model_refuses_the_gpu(tmp_path):
    path = str(tmp_path / 'g.onnx')
    onnx_export.export_onnx(path, _generator('plain'), _config())
    loaded, _ = onnx_model.load_onnx(path)
    loaded.to_device(chainer.get_device('@numpy'))

    class Gpu(chainer.backend.CpuDevice):
        xp = object()  # not numpy, as CuPy
    with pytest.raises(ValueError, match='onnxruntime on the CPU'):
        loaded.to_device(Gpu())


def test_export_checks_the_config_first(tmp_path):
    with pytest.raises(UnsafeFileError, match='bad export config'):
        onnx_export.export_onnx(str(tmp_path / 'g.onnx'),
                                networks.Generator(3, 4, 1),
                                dict(_config(), image_size=15))
    assert not list(tmp_path.iterdir())
