import json

import numpy as np
import pytest

import chainer

from benchmarks import step_times
import bench


def test_bench_tiny_one_step_prints_and_returns_documented_keys(capsys):
    rows = bench.main(['--preset', 'tiny', '--steps', '1', '--formulation',
                       'both', '--json'])
    printed = [json.loads(line) for line in
               capsys.readouterr().out.splitlines()]
    assert printed == rows
    assert [r['formulation'] for r in rows] == ['im2col', 'auto']
    for r in rows:
        assert set(r) == set(bench.RESULT_KEYS)
        assert r['preset'] == 'tiny' and r['image_size'] == 32
        for key in ('d_step_s', 'g_step_s', 'iteration_s', 'images_per_s',
                    'conv_gflops', 'gemm_peak_gflops', 'infer_ms_per_image',
                    'step_traced_peak_mb', 'peak_rss_mb', 'infer_single_ms',
                    'loader_images_per_s'):
            assert r[key] > 0, key
    # The useful work does not depend on the formulation.
    assert rows[0]['conv_gflop_per_iteration'] == \
        rows[1]['conv_gflop_per_iteration']


def test_on_a_gpu_memory_is_cupys_pool_not_the_hosts(capsys):
    # bench.py --gpu: the host's RSS and traced peak say nothing of the
    # arrays on the device; the pool CuPy allocates them from does.
    class Pool(object):
        def used_bytes(self):
            return 3 * 2 ** 20

        def total_bytes(self):
            return 8 * 2 ** 20

    gpu = type('Device', (), {'xp': type('xp', (), {
        'get_default_memory_pool': staticmethod(Pool)})})()
    got = bench.measures.memory(gpu, traced_mb=5.)
    assert got == {'step_traced_peak_mb': None, 'peak_rss_mb': None,
                   'pool_used_bytes': 3 * 2 ** 20,
                   'pool_total_bytes': 8 * 2 ** 20}
    cpu = bench.measures.memory(chainer.get_device('@numpy'), 5.)
    assert cpu['pool_total_bytes'] is None and cpu['peak_rss_mb'] > 0
    row = dict(dict.fromkeys(bench.RESULT_KEYS, 1.), formulation='auto',
               preset='paper', **got)
    bench._print_result(row)
    assert 'CuPy memory pool 3 MB used, 8 MB held' in capsys.readouterr().out


def test_bench_text_output_keeps_its_cli(capsys):
    bench.main(['--preset', 'tiny', '--steps', '1'])
    out = capsys.readouterr().out
    assert 'tiny' in out and 'img/s' in out and 'GFLOP/s' in out


def test_compare_conv_covers_every_generator_layer(capsys, monkeypatch):
    monkeypatch.setitem(bench.layers.NETWORKS, 'generator', lambda p, n: [
        ('c_out', 'conv', 8, 3, 7, 1, 3, 16),
        ('up', 'deconv', 8, 4, 4, 2, 1, 8)])
    rows = bench.main(['--compare-conv', '--preset', 'tiny', '--steps', '1',
                       '--batch-size', '2', '--json'])
    assert len(rows) == 6
    for r in rows:
        assert set(r) == set(bench.COMPARE_KEYS)
        assert r['before_ms'] > 0 and r['after_ms'] > 0
        assert (r['before'], r['after']) == ('im2col', 'auto')
    paths = {(r['layer'], r['op']): r['path'] for r in rows}
    assert paths[('c_out', 'forward')] == 'shift-add'
    assert paths[('c_out', 'grad x')] == 'im2col'
    assert paths[('c_out', 'grad W')] == 'shift-add'
    assert paths[('up', 'forward')] == 'col2im'


def test_flop_counter_counts_multiply_adds():
    import numpy as np
    from stargan.conv import functions as conv
    from stargan.conv import label_conv
    x = np.zeros((2, 3, 8, 8), np.float32)
    W = np.zeros((4, 3, 3, 3), np.float32)
    with bench.ConvFlopCounter() as counter:
        conv.convolution_2d(x, W, None, 1, 1)
    assert counter.flops == 2 * 2 * 4 * 3 * 9 * 8 * 8
    c = np.ones((2, 5), dtype=np.float32)
    W = np.ones((4, 3 + 5, 7, 7), dtype=np.float32)
    with bench.ConvFlopCounter() as counter:
        label_conv.convolution_with_labels(x, c, W, 2)
    assert counter.flops == 2 * 2 * 4 * 8 * 49 * 6 * 6


def test_formulations_repeat_and_expand(capsys):
    rows = bench.main(['--preset', 'tiny', '--steps', '1', '--formulation',
                       'per-sample', '--formulation', 'both', '--json'])
    assert [r['formulation'] for r in rows] == ['per-sample', 'im2col',
                                                'auto']
    assert 'per-sample' in step_times.FORMULATIONS


def test_a_formulation_holds_for_its_block_only():
    from stargan.conv import choice as conv_choice

    def current():
        return tuple(conv_choice.setting(k)
                     for k in ('formulation', 'layout', 'instance_norm'))
    before = current()
    with step_times.use_formulation('im2col'):
        assert current() == ('im2col', 'sample', 'composite')
        with step_times.use_formulation('per-sample'):
            assert current() == ('auto', 'sample', 'fused')
        assert current() == ('im2col', 'sample', 'composite')
    assert current() == before == ('auto', 'auto', 'fused')


class _ConvShapes(chainer.FunctionHook):
    """Records (in, out, k, stride, pad, size) of every Conv2D applied."""

    def __init__(self):
        self.rows = []

    def forward_preprocess(self, function, in_data):
        if type(function).__name__ == 'Conv2D':
            x, W = in_data
            self.rows.append((W.shape[1], W.shape[0], W.shape[2],
                              function.stride[0], function.pad[0],
                              x.shape[2]))


@pytest.mark.parametrize('preset', ['small', 'paper'])
def test_discriminator_layers_match_the_network(preset):
    from benchmarks import layers
    from stargan.models import stargan as networks
    from stargan import presets
    p = presets.get_preset(preset)
    dis = networks.Discriminator(p['image_size'], 5, p['d_conv_dim'],
                                 p['d_down'])
    x = np.zeros((1, 3, p['image_size'], p['image_size']), np.float32)
    with _ConvShapes() as hook, chainer.no_backprop_mode():
        dis(x)
    listed = [row[2:] for row in layers.discriminator_layers(preset, 5)]
    assert listed == hook.rows


def test_inference_versus_needs_a_torch_python_and_times_ours(capsys):
    from benchmarks import inference_versus
    with pytest.raises(SystemExit) as e:
        inference_versus.main(['--torch-python', '/no/such/python'])
    assert '--torch-python' in str(e.value)
    figures = inference_versus.ours(batch=2, n_labels=3, rounds=1)
    assert set(figures) == set(inference_versus.KEYS)
    assert all(v > 0 for v in figures.values())


def test_onnx_against_chainer_prints_and_returns_documented_keys(capsys):
    rows = bench.main(['--preset', 'tiny', '--onnx', '--steps', '1',
                       '--batch-size', '4', '--json'])
    printed = [json.loads(line) for line in
               capsys.readouterr().out.splitlines()]
    assert printed == rows and len(rows) == 1
    r = rows[0]
    assert set(r) == set(bench.ONNX_KEYS)
    assert r['preset'] == 'tiny' and r['batch'] == 4
    for key in ('chainer_ms_per_image', 'onnx_ms_per_image',
                'chainer_single_ms', 'onnx_single_ms'):
        assert r[key] > 0, key
    # float32, different summation orders, outputs in [-1, 1].
    assert r['max_abs_difference'] <= 1e-4
    bench.main(['--preset', 'tiny', '--onnx', '--steps', '1'])
    assert 'onnxruntime' in capsys.readouterr().out
