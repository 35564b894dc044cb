import json

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


def test_bench_text_output_keeps_its_cli(capsys):
    bench.main(['--preset', 'tiny', '--steps', '1'])
    out = capsys.readouterr().out
    assert 'tiny' in out and 'img/s' in out and 'GFLOP/s' in out


def test_compare_conv_covers_every_generator_layer(capsys, monkeypatch):
    monkeypatch.setattr(bench, 'generator_layers', lambda preset, n: [
        ('c_out', 'conv', 8, 3, 7, 1, 3, 16),
        ('up', 'deconv', 8, 4, 4, 2, 1, 8)])
    rows = bench.main(['--compare-conv', '--preset', 'tiny', '--steps', '1',
                       '--batch-size', '2', '--json'])
    assert len(rows) == 6
    for r in rows:
        assert set(r) == set(bench.COMPARE_KEYS)
        assert r['im2col_ms'] > 0 and r['auto_ms'] > 0
    paths = {(r['layer'], r['op']): r['path'] for r in rows}
    assert paths[('c_out', 'forward')] == 'shift-add'
    assert paths[('c_out', 'grad x')] == 'im2col'
    assert paths[('c_out', 'grad W')] == 'shift-add'
    assert paths[('up', 'forward')] == 'col2im'


def test_flop_counter_counts_multiply_adds():
    import numpy as np
    from stargan import conv
    x = np.zeros((2, 3, 8, 8), np.float32)
    W = np.zeros((4, 3, 3, 3), np.float32)
    with bench.ConvFlopCounter() as counter:
        conv.convolution_2d(x, W, None, 1, 1)
    assert counter.flops == 2 * 2 * 4 * 3 * 9 * 8 * 8
