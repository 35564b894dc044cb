"""translate.py end to end on a tiny random model, and its face pipeline."""
import os

import numpy as np
from PIL import Image
import pytest

import chainer

from datasets import image_grid
from datasets.image_files import read_image
from datasets.preparation import faces
from datasets import transforms
from faceapp import export
from faceapp import translate_options
from faceapp import translation
from stargan.conv import functions as conv
from stargan.labels import specs as label_specs
from stargan.models import stargan as networks
import translate

NAMES = ['neutral', 'smile', 'sad', 'surprised', 'angry']
MULTI = [['hair', ['Black_Hair', 'Blond_Hair', 'Brown_Hair']],
         ['Male', ['Male']], ['Young', ['Young']]]


def _export(path, groups):
    gen = networks.Generator(5, conv_dim=4, n_res=1)
    export.export_generator(str(path), gen, {
        'format_version': 1, 'model': 'stargan', 'preset': 'tiny',
        'image_size': 32, 'g_conv_dim': 4, 'g_res': 1,
        'label_names': [v for _, vs in groups for v in vs],
        'attribute_groups': groups})
    return str(path), gen


@pytest.fixture(scope='module')
def model(tmp_path_factory):
    return _export(tmp_path_factory.mktemp('m') / 'g.npz',
                   [['expression', NAMES]])


@pytest.fixture(scope='module')
def multi_model(tmp_path_factory):
    return _export(tmp_path_factory.mktemp('m') / 'multi.npz', MULTI)[0]


def _picture(seed, h=32, w=32, mode='RGB'):
    """A smooth colourful picture (no face)."""
    cells = np.random.RandomState(seed).randint(0, 256, (4, 4, 3))
    img = Image.fromarray(cells.astype(np.uint8)).resize((w, h),
                                                         Image.BICUBIC)
    return img.convert(mode)


def _save(path, img):
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(str(path))
    return str(path)


def _run(model, *argv):
    return translate.main(list(argv) + ['--model', model, '--quiet'])


def _translate(gen, crop, name):
    labels = np.eye(5, dtype=np.float32)[[NAMES.index(name)]]
    return translation.Translator(gen, chainer.get_device('@numpy'))(
        crop[None], labels)[0]


def test_face_crop_is_translated_at_model_size(tmp_path, model):
    path, gen = model
    crop = _save(tmp_path / 'face.png', _picture(0))
    assert _run(path, crop, '--no-detect', '--target', 'smile', '--out',
                str(tmp_path / 'out')) == 0
    out = Image.open(str(tmp_path / 'out' / 'face_smile.png'))
    assert out.mode == 'RGB' and out.size == (32, 32)
    expected = _translate(gen, np.asarray(_picture(0)), 'smile')
    np.testing.assert_array_equal(np.asarray(out), expected)


def test_the_asked_gpu_is_made_current(tmp_path, model, recording_device):
    # CuPy makes its arrays on the current device: without use(), --gpu 1
    # would put the model on GPU 1 and the pictures on GPU 0.
    device, gpus = recording_device
    crop = _save(tmp_path / 'face.png', _picture(0))
    assert _run(model[0], crop, '--no-detect', '--target', 'smile',
                '--gpu', '1', '--out', str(tmp_path / 'out')) == 0
    assert gpus == [1] and device.used >= 1


def test_folder_tree_is_mirrored_for_any_mode_and_size(tmp_path, model):
    src = tmp_path / 'src'
    out = src / 'out'
    _save(src / 'grey.png', _picture(1, 40, 30, 'L'))
    _save(src / 'a' / 'alpha.png', _picture(2, 32, 48, 'RGBA'))
    _save(src / 'a' / 'b' / 'palette.gif', _picture(3, 20, 20, 'P'))
    deep = Image.fromarray((np.arange(64 * 64).reshape(64, 64) * 16)
                           .astype(np.uint16))
    _save(src / 'a' / 'b' / 'deep.png', deep)
    for _ in range(2):  # the second run must not pick up src/out
        assert _run(model[0], str(src), '--no-detect', '--target', 'sad',
                    '--out', str(out), '--batch-size', '3') == 0
    found = sorted(os.path.relpath(os.path.join(d, f), str(out))
                   for d, _, fs in os.walk(str(out)) for f in fs)
    assert found == [os.path.join('a', 'alpha_sad.png'),
                     os.path.join('a', 'b', 'deep_sad.png'),
                     os.path.join('a', 'b', 'palette_sad.png'),
                     'grey_sad.png']
    for name, size in [('grey_sad.png', (30, 40)),
                       ('a/alpha_sad.png', (48, 32)),
                       ('a/b/palette_sad.png', (20, 20)),
                       ('a/b/deep_sad.png', (64, 64))]:
        img = Image.open(str(out / name))
        assert img.mode == 'RGB' and img.size == size
    # A non-square crop: only its centred square is translated.
    before = read_image(str(src / 'a' / 'alpha.png'))
    after = np.asarray(Image.open(str(out / 'a' / 'alpha_sad.png')))
    np.testing.assert_array_equal(after[:, :8], before[:, :8])
    np.testing.assert_array_equal(after[:, 40:], before[:, 40:])
    assert np.any(after[:, 12:36] != before[:, 12:36])


def test_all_makes_one_labelled_grid_per_picture(tmp_path, model):
    crop = _save(tmp_path / 'face.png', _picture(0))
    assert _run(model[0], crop, '--no-detect', '--all', '--out',
                str(tmp_path)) == 0
    grid = np.asarray(Image.open(str(tmp_path / 'face_all.png')))
    assert grid.shape == (14 + 66 + 2, 6 * 66 + 2, 3)  # input + 5 domains
    cells = [grid[16:80, 2 + 66 * k:66 + 66 * k] for k in range(6)]
    assert all(np.any(cells[k] != cells[k + 1]) for k in range(5))


@pytest.fixture(scope='module')
def astronaut(tmp_path_factory):
    img = pytest.importorskip('skimage.data').astronaut()
    return _save(tmp_path_factory.mktemp('a') / 'astronaut.jpg',
                 Image.fromarray(img))


def test_detected_face_is_pasted_back_with_a_feathered_edge(
        tmp_path, model, astronaut):
    path, gen = model
    assert _run(path, astronaut, '--target', 'angry', '--out',
                str(tmp_path)) == 0
    out = np.asarray(Image.open(str(tmp_path / 'astronaut_angry.png')))
    orig = read_image(astronaut)
    assert out.shape == orig.shape == (512, 512, 3)
    found = faces.detect_faces(orig, faces.load_cascade())
    assert len(found) == 1
    top, left, bottom, right = box = faces.face_square(found[0], .25, 512,
                                                       512)
    outside = np.ones((512, 512), bool)
    outside[top:bottom, left:right] = False
    np.testing.assert_array_equal(out[outside], orig[outside])
    side, band = bottom - top, int(round(.12 * (bottom - top)))
    crop = transforms.resize(transforms.crop_box(orig, box), 32)
    patch = transforms.resize(_translate(gen, crop, 'angry'), side)
    inner = (slice(top + band, bottom - band), slice(left + band,
                                                     right - band))
    np.testing.assert_array_equal(out[inner], patch[band:-band, band:-band])
    edge = out[top:top + band, left + band:right - band].astype(int)
    a = orig[top:top + band, left + band:right - band]
    b = patch[:band, band:-band]
    assert np.all(edge >= np.minimum(a, b)) and np.all(
        edge <= np.maximum(a, b))
    assert np.mean((edge > np.minimum(a, b)) & (edge < np.maximum(a, b))) \
        > .5


def test_interpolation_strip_and_gif_end_at_plain_translations(
        tmp_path, model):
    crop = _save(tmp_path / 'face.png', _picture(4))
    common = [crop, '--no-detect', '--out', str(tmp_path / 'out')]
    assert _run(model[0], *(common + ['--source', 'neutral',
                                      '--interpolate', 'smile',
                                      '--steps', '3'])) == 0
    gif = Image.open(str(tmp_path / 'out' /
                         'face_interp_smile_from_neutral.gif'))
    assert gif.n_frames == 4 and gif.info['loop'] == 0  # there and back
    strip = Image.open(str(tmp_path / 'out' /
                           'face_interp_smile_from_neutral.png'))
    assert strip.size == (3 * 66 + 2, 82)
    _, args = translate.parse_args(common + ['--model', model[0],
                                             '--source', 'neutral',
                                             '--interpolate', 'smile'])
    plan = translate_options.make_plan(
        label_specs.LabelLayout([['e', NAMES]]), args)
    img = read_image(crop)
    frames = translation.edit_pictures(
        [(img, translation.FaceBoxes()(img))], plan.labels,
        translation.Translator(model[1], chainer.get_device('@numpy')),
        32, .12)[0]
    assert len(frames) == 5
    for name, frame in (('neutral', frames[0]), ('smile', frames[-1])):
        assert _run(model[0], *(common + ['--target', name])) == 0
        plain = np.asarray(Image.open(str(
            tmp_path / 'out' / 'face_{}.png'.format(name))))
        np.testing.assert_array_equal(frame, plain)


def test_multi_label_targets_and_grid(tmp_path, multi_model):
    crop = _save(tmp_path / 'in' / 'face.png', _picture(5))
    out = str(tmp_path / 'out')
    assert _run(multi_model, crop, '--no-detect', '--target',
                'Blond_Hair=1', 'Male=0', '--out', out) == 0
    assert _run(multi_model, crop, '--no-detect', '--source', 'Male',
                '--all', '--out', out) == 0
    grid = Image.open(os.path.join(out, 'face_all_from_Male.png'))
    assert grid.size[0] == 6 * 66 + 2
    assert os.path.exists(os.path.join(out, 'face_Blond_Hair=1_Male=0.png'))


def test_unreadable_pictures_are_named_and_the_rest_still_done(
        tmp_path, model, capsys):
    src = tmp_path / 'src'
    _save(src / 'good.png', _picture(0))
    (src / 'broken.jpg').write_text('not a picture')
    assert _run(model[0], str(src), '--no-detect', '--target', 'sad',
                '--out', str(tmp_path / 'out')) == 1
    assert os.listdir(str(tmp_path / 'out')) == ['good_sad.png']
    err = capsys.readouterr().err
    assert 'broken.jpg' in err and '1 of 2 picture(s) failed' in err


def test_pictures_without_a_face_are_copied_only_when_asked(
        tmp_path, model, capsys):
    path = _save(tmp_path / 'pattern.png', _picture(6, 64, 80))
    out = tmp_path / 'out'
    assert _run(model[0], path, '--target', 'sad', '--out', str(out)) == 1
    assert 'no face found in ' + path in capsys.readouterr().err
    assert not out.exists() or not os.listdir(str(out))
    assert _run(model[0], path, '--target', 'sad', '--keep-unmatched',
                '--out', str(out)) == 0
    np.testing.assert_array_equal(
        np.asarray(Image.open(str(out / 'pattern_sad.png'))),
        read_image(path))


@pytest.mark.parametrize('argv, message', [
    (['--target', 'happy'], "'happy' is not a label.*neutral, smile, sad"),
    (['--target', 'smile', 'sad'], "error: --target: 'smile' and 'sad' are "
     "both values of the exclusive group 'expression'; give only one of "
     "neutral, smile"),
    (['--source', 'sad', 'angry', '--target', 'smile'],
     "error: --source: 'sad' and 'angry' are both"),
    (['--interpolate', 'smile'], 'needs --source on a single-label model'),
    (['--target', 'smile', '--gpu', '0'], 'CuPy with CUDA is not'),
    (['--target', 'smile', '--cascade', 'nope.xml'], 'nope.xml'),
    (['--all', '--steps', '1'], '--steps must be at least 2'),
    ([], 'choose what to make'),
])
def test_bad_requests_stop_with_a_clear_message(tmp_path, model, capsys,
                                                argv, message):
    if '--gpu' in argv and chainer.backends.cuda.available:
        pytest.skip('CUDA is available here')
    crop = _save(tmp_path / 'face.png', _picture(0))
    with pytest.raises(SystemExit) as e:
        _run(model[0], crop, *argv)
    assert e.value.code == 2
    assert pytest.importorskip('re').search(message, capsys.readouterr().err)


def test_bad_model_files_and_misplaced_pictures_are_explained(
        tmp_path, model, capsys):
    crop = _save(tmp_path / 'face.png', _picture(0))
    bad = tmp_path / 'bad.npz'
    bad.write_bytes(b'junk')
    for model_path, argv, message in [
            (str(bad), [crop, '--target', 'smile'], 'bad.npz'),
            (str(tmp_path / 'none'), [crop, '--all'], 'none does not exist'),
            (model[0], ['--target', 'smile', crop], 'before --target')]:
        with pytest.raises(SystemExit):
            _run(model_path, *argv)
        assert message in capsys.readouterr().err


def test_help_explains_every_flag_and_list_prints_labels(model, capsys):
    with pytest.raises(SystemExit):
        translate.main(['--help'])
    text = capsys.readouterr().out
    parser, _ = translate.parse_args(['--model', 'x', '--list'])
    for action in parser._actions:
        for flag in action.option_strings:
            assert flag in text
        assert action.help
    assert 'Examples:' in text
    assert translate.main(['--model', model[0], '--list']) == 0
    assert 'expression: neutral, smile, sad' in capsys.readouterr().out


def test_a_picture_is_never_overwritten_by_its_translation(
        tmp_path, model, capsys):
    crop = _save(tmp_path / 'face.png', _picture(0))
    earlier = _save(tmp_path / 'face_smile.png', _picture(1))
    assert _run(model[0], crop, earlier, '--no-detect', '--target', 'smile',
                '--out', str(tmp_path)) == 1
    assert 'face_smile.png would be overwritten by the translation of ' \
        in capsys.readouterr().err
    np.testing.assert_array_equal(read_image(earlier),
                                  np.asarray(_picture(1)))


def test_two_targets_into_one_out_dir_keep_both(tmp_path, model):
    path, gen = model
    crop = _save(tmp_path / 'face.png', _picture(0))
    out = tmp_path / 'out'
    for name in ('smile', 'sad'):
        assert _run(path, crop, '--no-detect', '--target', name, '--out',
                    str(out)) == 0
    assert sorted(os.listdir(str(out))) == ['face_sad.png', 'face_smile.png']
    for name in ('smile', 'sad'):
        np.testing.assert_array_equal(
            np.asarray(Image.open(str(out / 'face_{}.png'.format(name)))),
            _translate(gen, np.asarray(_picture(0)), name))


def test_model_dir_says_what_it_loads_and_why_newer_files_were_skipped(
        tmp_path, capsys):
    from tests.faceapp_tests.test_export import _fake_run
    run, gen, _ = _fake_run(tmp_path)
    (tmp_path / 'run' / 'snapshot_iter_9').write_bytes(b'PK\x03\x04 torn')
    (tmp_path / 'run' / export.EXPORT_NAME).write_text('half an export')
    crop = _save(tmp_path / 'face.png', _picture(0))
    out = tmp_path / 'out'
    assert _run(run, crop, '--no-detect', '--target', 'smile', '--out',
                str(out)) == 0
    err = capsys.readouterr().err.splitlines()
    torn = 'not a complete zip archive (a torn or interrupted write?)'
    assert 'skipped {}: {}'.format(os.path.join(run, export.EXPORT_NAME),
                                   torn) in err
    assert 'skipped {}: {}'.format(os.path.join(run, 'snapshot_iter_9'),
                                   torn) in err
    assert 'model: {}'.format(os.path.join(run, 'snapshot_iter_5')) in err
    np.testing.assert_array_equal(
        np.asarray(Image.open(str(out / 'face_smile.png'))),
        _translate(gen, np.asarray(_picture(0)), 'smile'))


def _translate_refused(refused, model, *argv):
    return refused(translate.main, list(argv) + ['--model', model,
                                                 '--quiet'])


def test_an_unusable_out_is_refused_before_the_work(tmp_path, model, refused,
                                                    failing_writes):
    crop = _save(tmp_path / 'face.png', _picture(0))
    taken = tmp_path / 'taken'
    taken.write_text('mine')
    for out in (taken, taken / 'sub'):
        line = _translate_refused(refused, model[0], crop, '--no-detect',
                                  '--target', 'smile', '--out', str(out))
        assert str(taken) in line and 'is a file' in line
    assert taken.read_text() == 'mine'
    (tmp_path / 'ro').mkdir()
    failing_writes(tmp_path / 'ro')
    line = _translate_refused(refused, model[0], crop, '--no-detect',
                              '--target', 'smile', '--out',
                              str(tmp_path / 'ro' / 'out'))
    assert 'Read-only file system' in line and str(tmp_path / 'ro') in line


def test_a_full_disk_is_one_line_and_leaves_no_partial_file(
        tmp_path, model, refused, failing_writes):
    import errno
    for k in range(2):
        _save(tmp_path / 'src' / '{}.png'.format(k), _picture(k))
    out = tmp_path / 'out'
    failing_writes(out, errno.ENOSPC, skip=1)  # the second picture fails
    line = _translate_refused(refused, model[0], str(tmp_path / 'src'),
                              '--no-detect', '--target', 'smile', '--out',
                              str(out))
    assert 'No space left on device' in line and str(out) in line
    written = os.listdir(str(out))
    assert len(written) == 1 and not written[0].startswith('.')
    Image.open(str(out / written[0])).load()  # complete


@pytest.mark.parametrize('batch_size', [1, 3, 5])
def test_translator_equals_its_loop_before_forward_in_batches(model,
                                                              batch_size):
    gen = model[1]
    rng = np.random.RandomState(2)
    crops = rng.randint(0, 256, (5, 32, 32, 3)).astype(np.uint8)
    labels = np.eye(5, dtype=np.float32)[[0, 1, 2, 3, 4]]
    device, cpu = chainer.get_device('@numpy'), chainer.backend.CpuDevice()
    out = []
    with conv.translating():
        for i in range(0, 5, batch_size):
            x = np.stack([transforms.to_chw_float(c)
                          for c in crops[i:i + batch_size]])
            y = gen(device.send(x), device.send(labels[i:i + batch_size]))
            out.append(image_grid.to_uint8(cpu.send(y.array)))
    got = translation.Translator(gen, device, batch_size)(crops, labels)
    assert got.dtype == np.uint8 and got.tobytes() == \
        np.concatenate(out).tobytes()
    assert translation.Translator(gen, device)(crops[:0], labels[:0]).shape \
        == (0, 32, 32, 3)
