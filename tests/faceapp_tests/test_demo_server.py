"""The demo's edits and its HTTP request handling, without a browser: a real
server on a free port of 127.0.0.1, asked with urllib."""
import base64
import io
import json
import threading
import urllib.error
import urllib.request

import numpy as np
from PIL import Image
import pytest

import chainer

from datasets.preparation import faces
from faceapp import demo
from faceapp import demo_server
from faceapp import export
from faceapp import model_loading
from stargan.labels import specs as label_specs
from stargan.models import stargan as networks
import translate

NAMES = ['neutral', 'smile', 'sad', 'surprised', 'angry']


@pytest.fixture(scope='module')
def model_path(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('m') / 'g.npz')
    export.export_generator(path, networks.Generator(5, conv_dim=4, n_res=1), {
        'format_version': 1, 'model': 'stargan', 'preset': 'tiny',
        'image_size': 32, 'g_conv_dim': 4, 'g_res': 1, 'label_names': NAMES,
        'attribute_groups': [['expression', NAMES]]})
    return path


def _model(path):
    gen, config = model_loading.load_model(path)
    return demo.DemoModel(gen, config, chainer.get_device('@numpy'),
                          faces.load_cascade())


def _serve(model):
    server = demo_server.make_server(model, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope='module')
def url(model_path):
    server = _serve(_model(model_path))
    yield 'http://127.0.0.1:{}'.format(server.server_port)
    server.shutdown()
    server.server_close()


def _ask(url, path, body=None):
    """``(status, decoded JSON or bytes)`` of a GET, or a POST of ``body``."""
    req = urllib.request.Request(url + path, data=body,
                                 method='GET' if body is None else 'POST')
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, data, kind = r.status, r.read(), r.headers[
                'Content-Type']
    except urllib.error.HTTPError as e:
        status, data, kind = e.code, e.read(), e.headers['Content-Type']
    return status, json.loads(data) if kind == 'application/json' else data


def _png(img):
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format='PNG')
    return buf.getvalue()


def _decode(data_url):
    head, _, data = data_url.partition(',')
    assert head == 'data:image/png;base64'
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))


def _crop(h=48, w=40):
    cells = np.random.RandomState(0).randint(0, 256, (4, 4, 3))
    return np.asarray(Image.fromarray(cells.astype(np.uint8)).resize(
        (w, h), Image.BICUBIC))


def test_a_face_crop_comes_back_as_translate_py_writes_it(url, model_path,
                                                          tmp_path):
    crop = _crop()
    status, answer = _ask(url, '/api/edit?target=smile&target=sad&crop=1',
                          _png(crop))
    assert status == 200 and answer['faces'] == 1
    assert (answer['width'], answer['height']) == (40, 48)
    assert [r['caption'] for r in answer['results']] == ['smile', 'sad']
    path = str(tmp_path / 'face.png')
    Image.fromarray(crop).save(path)
    for r in answer['results']:
        assert translate.main([path, '--no-detect', '--target', r['caption'],
                               '--model', model_path, '--out',
                               str(tmp_path), '--quiet']) == 0
        written = np.asarray(Image.open(str(
            tmp_path / 'face_{}.png'.format(r['caption']))))
        np.testing.assert_array_equal(_decode(r['image']), written)
    assert not np.array_equal(_decode(answer['results'][0]['image']), crop)


def test_strength_moves_the_label_from_the_source_to_the_target(model_path):
    model = _model(model_path)
    layout = label_specs.LabelLayout([['expression', NAMES]])
    source, target = layout.parse(['sad']), layout.parse(['smile'])
    for k, strength in enumerate([0., .5, 1.]):
        captions, labels = model.plan(['smile'], source='sad',
                                      strength=strength)
        assert captions == ['smile'] and labels.dtype == np.float32
        np.testing.assert_array_equal(
            labels[0], label_specs.interpolate_labels(source, target, 3)[k])
    _, default = model.plan(['angry'], strength=0.)
    np.testing.assert_array_equal(default[0], layout.default())


def test_the_gallery_has_every_domain_and_info_lists_them(url):
    status, info = _ask(url, '/api/model')
    assert status == 200 and info['model'] == 'stargan'
    assert info['groups'] == [['expression', NAMES]]
    assert info['targets'] == NAMES and info['strength'] is True
    status, answer = _ask(url, '/api/edit?gallery=1&crop=1', _png(_crop()))
    assert status == 200
    assert [r['caption'] for r in answer['results']] == NAMES
    shown = [_decode(r['image']) for r in answer['results']]
    assert len({im.tobytes() for im in shown}) == len(NAMES)


def test_the_page_is_served_with_its_controls(url):
    status, html = _ask(url, '/')
    for control in (b'id="file"', b'id="drop"', b'id="strength"',
                    b'id="crop"', b'id="gallery"', b'id="domains"'):
        assert control in html
    assert b'http' not in html.replace(b'http://127.0.0.1', b'')  # offline


def test_a_photo_without_a_face_says_to_switch_on_face_crop(url):
    status, answer = _ask(url, '/api/edit?target=smile&name=me.png',
                          _png(_crop(200, 200)))
    assert status == 422
    assert answer['error'].startswith('No face found in me.png')
    assert '"treat as a face crop"' in answer['error']
    status, answer = _ask(url, '/api/edit?target=smile&name=',
                          _png(_crop(200, 200)))
    assert answer['error'].startswith('No face found in the upload.')


@pytest.mark.parametrize('query, body, status, words', [
    ('target=smile&name=notes.txt', b'not a picture', 422,
     ['cannot read image notes.txt', 'Choose a photo']),
    ('target=grin', None, 400, ["'grin' is not a label", 'smile']),
    ('target=smile&target=sad&combine=1', None, 400, ['exclusive']),
    ('', None, 400, ['pick at least one target']),
    ('target=smile&strength=2', None, 400, ['strength', '[0, 1]']),
    ('target=smile&strength=x', None, 400, ['strength']),
    ('target=smile', b'', 400, ['choose or drop a photo']),
])
def test_bad_requests_get_one_clear_message(url, query, body, status, words):
    code, answer = _ask(url, '/api/edit?' + query,
                        _png(_crop()) if body is None else body)
    assert code == status and set(answer) == {'error'}
    for w in words:
        assert w in answer['error']


def test_too_large_and_unknown_requests_are_refused(url, monkeypatch):
    monkeypatch.setattr(demo_server, 'MAX_UPLOAD', 100)
    code, answer = _ask(url, '/api/edit?target=smile', _png(_crop()))
    assert code == 413 and 'at most' in answer['error']
    assert _ask(url, '/nothing')[0] == 404
    assert _ask(url, '/api/other', b'x')[0] == 404


def test_a_cyclegan_offers_its_domains_and_no_strength(cyclegan_run):
    server = _serve(_model(cyclegan_run))
    url = 'http://127.0.0.1:{}'.format(server.server_port)
    try:
        status, info = _ask(url, '/api/model')
        assert info['model'] == 'cyclegan' and info['strength'] is False
        assert info['targets'] == ['smile', 'sad']
        assert info['directions'] == ['smile->sad', 'sad->smile']
        crop = _crop(32, 32)
        status, answer = _ask(url, '/api/edit?target=sad&crop=1', _png(crop))
        assert status == 200 and answer['results'][0]['caption'] == 'sad'
        assert not np.array_equal(_decode(answer['results'][0]['image']),
                                  crop)
        status, answer = _ask(url, '/api/edit?target=sad&strength=.5',
                              _png(crop))
        assert status == 400 and 'StarGAN' in answer['error']
    finally:
        server.shutdown()
        server.server_close()


def test_a_multi_label_model_offers_both_values_and_combined_edits(
        tmp_path):
    groups = [['hair', ['Black_Hair', 'Blond_Hair']], ['Male', ['Male']]]
    path = str(tmp_path / 'multi.npz')
    export.export_generator(path, networks.Generator(3, conv_dim=4, n_res=1), {
        'format_version': 1, 'model': 'stargan', 'image_size': 32,
        'g_conv_dim': 4, 'g_res': 1,
        'label_names': ['Black_Hair', 'Blond_Hair', 'Male'],
        'attribute_groups': groups})
    model = _model(path)
    assert model.info()['targets'] == ['Black_Hair', 'Blond_Hair', 'Male',
                                       'Male=0']
    assert model.info()['groups'] == groups
    captions, labels = model.plan(['Blond_Hair', 'Male'], combine=True)
    assert captions == ['Blond_Hair Male']
    np.testing.assert_array_equal(labels, [[0, 1, 1]])
    captions, labels = model.plan(['Blond_Hair', 'Male=0'], source='Male')
    assert captions == ['Blond_Hair', 'Male=0']
    np.testing.assert_array_equal(labels, [[0, 1, 1], [1, 0, 0]])
