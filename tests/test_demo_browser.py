"""demo.py in a real browser: Debian's Chromium, headless, driven through
its chromedriver by selenium (which then downloads nothing), on a tiny
StarGAN trained here.

Skipped without chromium, chromedriver or selenium unless
STARGAN_REQUIRE_BROWSER=1 (as in CI), which turns their absence into a
failure. The screenshots go to $STARGAN_ARTIFACTS (else the test's tmp
dir); their paths are printed.
"""
import base64
import contextlib
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DRIVER = '/usr/bin/chromedriver'
HAVE_BROWSER = bool(shutil.which('chromium') and os.path.exists(DRIVER)
                    and importlib.util.find_spec('selenium'))
if not HAVE_BROWSER and os.environ.get('STARGAN_REQUIRE_BROWSER') == '1':
    raise RuntimeError('STARGAN_REQUIRE_BROWSER=1 but chromium, {} or '
                       'selenium is missing; apt-get install chromium '
                       'chromium-driver, and install the test extra'.format(
                           DRIVER))
pytestmark = pytest.mark.skipif(not HAVE_BROWSER, reason=(
    'needs chromium, chromium-driver and selenium'))
#: Seconds any one wait of the page may take before the test fails.
WAIT = 60
#: Chromium without any traffic of its own (updates, sync, QUIC probes).
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
         '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync',
         '--window-size=1200,1400']


@contextlib.contextmanager
def _demo(model):
    """Runs ``demo.py --model model`` on a free port; gives its address."""
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, 'demo.py'), '--model', model,
         '--port', '0', '--quiet'], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, universal_newlines=True)
    try:
        lines = []
        for line in proc.stdout:  # ends when the process does
            lines.append(line)
            if line.startswith('Demo of '):
                break
        assert proc.poll() is None, ''.join(lines)
        yield line.split(' on ')[-1].split()[0]
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture(scope='module')
def demo_url(tmp_path_factory):
    """The address of ``demo.py`` serving a tiny trained StarGAN run."""
    import train
    run = str(tmp_path_factory.mktemp('run'))
    assert train.main(['--preset', 'tiny', '--n-train', '30', '--n-test',
                       '15', '--iterations', '2', '--eval-interval', '0',
                       '--out', run]) == 0
    with _demo(run) as url:
        yield url


@pytest.fixture(scope='module')
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    for flag in FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument('--user-data-dir=' + profile)
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()


def _wait_for(driver, condition):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, WAIT).until(lambda d: condition(d))


def _status(driver):
    """The status line once the page is done (a result or an error)."""
    el = driver.find_element('id', 'status')
    return _wait_for(driver, lambda d: el.get_attribute('class') in (
        'done', 'error') and el)


def _upload(driver, url, path, face_crop):
    driver.get(url)
    _wait_for(driver, lambda d: 'Domains:' in d.find_element(
        'id', 'domains').text)
    crop = driver.find_element('id', 'crop')
    if crop.is_selected() != face_crop:
        crop.click()
    driver.find_element('id', 'file').send_keys(path)
    return _status(driver)


def _results(driver):
    return [_decode(img.get_attribute('src')) for img in
            driver.find_elements('css selector', '#results img.result')]


def _decode(src):
    head, _, data = src.partition(',')
    assert head == 'data:image/png;base64', src[:40]
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))


def _screenshot(driver, tmp_path, name):
    folder = os.environ.get('STARGAN_ARTIFACTS') or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    assert driver.save_screenshot(path)
    print('screenshot: ' + path)
    return path


def _face_crop(tmp_path):
    """A synthetic face, upscaled to 64 px, as a PNG; and its pixels."""
    import datasets
    from datasets import transforms
    x, _ = datasets.SyntheticFaceDataset(4, 32, 'test', seed=3)[0]
    img = transforms.resize(transforms.from_chw_float(x), 64)
    path = str(tmp_path / 'face.png')
    Image.fromarray(img).save(path)
    return path, img


def test_a_face_crop_is_edited_and_the_gallery_shows_every_domain(
        demo_url, browser, tmp_path):
    path, img = _face_crop(tmp_path)
    status = _upload(browser, demo_url, path, face_crop=True)
    assert status.get_attribute('class') == 'done', status.text
    assert '1 face(s), 64 x 64 px' in status.text
    edited, = _results(browser)
    assert edited.shape == img.shape and not np.array_equal(edited, img)
    assert browser.find_element('css selector',
                                '#results figcaption').text == 'smile'
    # Strength 0 keeps the source label (the model's default, neutral)
    # instead of the target ticked first (smile).
    browser.execute_script(
        "const s = document.getElementById('strength'); s.value = 0; "
        "s.dispatchEvent(new Event('change'));")
    assert _status(browser).get_attribute('class') == 'done'
    weak, = _results(browser)
    assert weak.shape == img.shape and not np.array_equal(weak, edited)
    browser.find_element('id', 'gallery').click()
    _wait_for(browser, lambda d: len(d.find_elements(
        'css selector', '#results img.result')) == 6)
    captions = [c.text for c in browser.find_elements(
        'css selector', '#results figcaption')]
    assert captions == ['input', 'neutral', 'smile', 'sad', 'surprised',
                        'angry']
    _screenshot(browser, tmp_path, 'demo_gallery.png')


def test_a_photo_has_its_face_found_and_pasted_back(demo_url, browser,
                                                    tmp_path):
    photo = pytest.importorskip('skimage.data').astronaut()
    path = str(tmp_path / 'astronaut.png')
    Image.fromarray(photo).save(path)
    status = _upload(browser, demo_url, path, face_crop=False)
    assert status.get_attribute('class') == 'done', status.text
    assert '1 face(s), 512 x 512 px' in status.text
    edited, = _results(browser)
    assert edited.shape == photo.shape
    changed = np.any(edited != photo, axis=2)
    # Only the face's square changed, not the rest of the photo.
    assert changed.any() and changed.mean() < .25
    _screenshot(browser, tmp_path, 'demo_photo.png')


def test_no_face_is_explained_on_the_page(demo_url, browser, tmp_path):
    path = str(tmp_path / 'wall.png')
    Image.new('RGB', (200, 150), (90, 140, 200)).save(path)
    status = _upload(browser, demo_url, path, face_crop=False)
    assert status.get_attribute('class') == 'error'
    assert 'No face found in wall.png' in status.text
    assert 'treat as a face crop' in status.text
    assert not _results(browser)


def test_a_cyclegan_offers_its_two_domains_and_no_slider(
        cyclegan_run, browser, tmp_path):
    path, img = _face_crop(tmp_path)
    with _demo(cyclegan_run) as url:
        status = _upload(browser, url, path, face_crop=True)
        assert status.get_attribute('class') == 'done', status.text
        assert 'CycleGAN' in browser.find_element('id', 'domains').text
        assert not browser.find_element('id', 'strength').is_displayed()
        targets = browser.find_elements('css selector', 'input.target')
        assert [t.get_attribute('value') for t in targets] == ['smile', 'sad']
        edited, = _results(browser)
        assert edited.shape == img.shape and not np.array_equal(edited, img)
        assert browser.find_element('css selector',
                                    '#results figcaption').text == 'sad'
