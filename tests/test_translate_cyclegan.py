"""translate.py on a tiny trained CycleGAN run: both directions, --all,
--list, and the StarGAN-only flags refused."""
import os

import numpy as np
from PIL import Image
import pytest

import chainer

from faceapp import cyclegan_export
from faceapp import export
from faceapp import model_loading
from faceapp import translation
import translate



def _crop(tmp_path):
    cells = np.random.RandomState(0).randint(0, 256, (4, 4, 3))
    img = Image.fromarray(cells.astype(np.uint8)).resize((32, 32),
                                                         Image.BICUBIC)
    path = str(tmp_path / 'face.png')
    img.save(path)
    return path, np.asarray(img)


class _One(chainer.Chain):
    """One generator behind the call ``gen(x, c)`` (``c`` unused)."""

    def __init__(self, gen):
        super(_One, self).__init__()
        with self.init_scope():
            self.gen = gen

    def __call__(self, x, c):
        return self.gen(x)


def _run(model, *argv):
    return translate.main(list(argv) + ['--model', model, '--quiet'])


def test_train_writes_one_self_describing_export_of_both(cyclegan_run):
    path = os.path.join(cyclegan_run, export.EXPORT_NAME)
    pair, config = cyclegan_export.load_exported(path)
    assert config['model'] == 'cyclegan' and config['domains'] == [
        'smile', 'sad'] and config['image_size'] == 32
    # The same weights as the run's last snapshot.
    from_run, _ = model_loading.load_from_run(
        os.path.join(cyclegan_run, 'snapshot_iter_2'))
    for (key, p), (_, q) in zip(sorted(pair.namedparams()),
                                sorted(from_run.namedparams())):
        np.testing.assert_array_equal(p.array, q.array, err_msg=key)


@pytest.mark.parametrize('target, gen_name', [('sad', 'gen_ab'),
                                              ('smile', 'gen_ba')])
def test_target_uses_the_generator_into_that_domain(cyclegan_run, tmp_path,
                                                    target, gen_name):
    crop, pixels = _crop(tmp_path)
    assert _run(cyclegan_run, crop, '--no-detect', '--target', target, '--out',
                str(tmp_path / 'out')) == 0
    out = np.asarray(Image.open(str(tmp_path / 'out' /
                                    'face_{}.png'.format(target))))
    pair, _ = cyclegan_export.load_exported(
        os.path.join(cyclegan_run, export.EXPORT_NAME))
    expected = translation.Translator(_One(getattr(pair, gen_name)),
                                      chainer.get_device('@numpy'))(
        pixels[None], np.zeros((1, 2), np.float32))[0]
    np.testing.assert_array_equal(out, expected)


def test_all_shows_the_input_and_both_translations(cyclegan_run, tmp_path):
    crop, _ = _crop(tmp_path)
    assert _run(os.path.join(cyclegan_run, 'snapshot_iter_2'), crop,
                '--no-detect', '--all', '--out', str(tmp_path)) == 0
    grid = np.asarray(Image.open(str(tmp_path / 'face_all.png')))
    assert grid.shape == (14 + 66 + 2, 3 * 66 + 2, 3)  # input + 2 domains
    cells = [grid[16:80, 2 + 66 * k:66 + 66 * k] for k in range(3)]
    assert all(np.any(cells[k] != cells[k + 1]) for k in range(2))


def test_list_names_the_two_domains(cyclegan_run, capsys):
    assert _run(cyclegan_run, '--list') == 0
    out = capsys.readouterr().out
    assert 'domains of {}: smile, sad'.format(cyclegan_run) in out
    assert 'smile->sad, sad->smile' in out


@pytest.mark.parametrize('argv, flag', [
    (['--interpolate', 'sad'], '--interpolate needs a StarGAN model'),
    (['--target', 'sad', '--source', 'smile'], '--source needs a StarGAN'),
    (['--target', 'sad', '--steps', '3'], '--steps needs a StarGAN model')])
def test_stargan_only_flags_are_refused_in_one_line(cyclegan_run, tmp_path,
                                                    capsys, argv, flag):
    crop, _ = _crop(tmp_path)
    with pytest.raises(SystemExit) as e:
        _run(cyclegan_run, crop, '--no-detect', '--out', str(tmp_path / 'o'),
             *argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and 'Traceback' not in err
    errors = [line for line in err.splitlines() if 'error:' in line]
    assert len(errors) == 1 and flag in errors[0], err
    assert '--target smile or --target sad' in errors[0]
    assert not os.path.exists(str(tmp_path / 'o'))
