"""The local web server of ``demo.py``: one static page and a JSON API.

Standard library only (``http.server``): nothing to install, nothing loaded
from other hosts, so the page works offline and tells no one what is
edited. It listens on 127.0.0.1 only.

``GET /`` is the page (``demo_page.html``, shipped in the package).
``GET /api/model`` is :meth:`faceapp.demo.DemoModel.info`.
``POST /api/edit`` takes the picture file as the request body and the
choices in the query: ``target`` (repeated), ``gallery=1``, ``source``,
``strength``, ``combine=1``, ``crop=1`` (treat as a face crop) and
``name`` (the file's name, for messages); it answers ``{"faces": N,
"width": W, "height": H, "results": [{"caption", "image"}]}`` with PNG data
URLs, or ``{"error": message}`` with status 400 (bad choices), 413 (too
large) or 422 (no face, not a picture).
"""
import base64
import http.server
import io
import json
import os
import urllib.parse

from PIL import Image

from faceapp import demo

#: Largest upload accepted, in bytes.
MAX_UPLOAD = 32 * 1024 * 1024
PAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    'demo_page.html')


def page():
    """The page's HTML, as bytes (read from the installed package)."""
    with open(PAGE, 'rb') as f:
        return f.read()


def png_data_url(img):
    """A ``data:image/png;base64,...`` URL of uint8 ``(H, W, 3)`` ``img``."""
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format='PNG')
    return 'data:image/png;base64,' + base64.b64encode(
        buf.getvalue()).decode('ascii')


def _flag(query, key):
    return query.get(key, ['0'])[-1] in ('1', 'true', 'on')


def answer_edit(model, query, body):
    """The JSON answer to ``POST /api/edit``.

    Args:
        model (~faceapp.demo.DemoModel): The model.
        query (dict): ``urllib.parse.parse_qs`` of the query string.
        body (bytes): The picture file.

    Returns:
        tuple: ``(HTTP status, JSON-ready dict)``.
    """
    try:
        strength = float(query.get('strength', ['1'])[-1])
    except ValueError:
        return 400, {'error': 'the strength must be a number in [0, 1]'}
    source = query.get('source', [''])[-1] or None
    name = query.get('name', [''])[-1] or 'the upload'
    try:
        captions, labels = model.plan(
            query.get('target', []), _flag(query, 'gallery'), source,
            strength, _flag(query, 'combine'))
    except demo.DemoError as e:
        return 400, {'error': str(e)}
    if not body:
        return 400, {'error': 'choose or drop a photo first'}
    try:
        img, faces, results = model.edit(body, name, captions, labels,
                                         _flag(query, 'crop'))
    except demo.DemoError as e:
        return 422, {'error': str(e)}
    return 200, {'faces': faces, 'width': img.shape[1],
                 'height': img.shape[0], 'results': [
                     {'caption': c, 'image': png_data_url(im)}
                     for c, im in results]}


class DemoHandler(http.server.BaseHTTPRequestHandler):
    """Serves the page and the API for ``self.server.model``."""

    server_version = 'StarGANDemo'

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Cache-Control', 'no-store')
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status, obj):
        self._send(status, json.dumps(obj).encode('utf-8'),
                   'application/json')

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path in ('/', '/index.html'):
            self._send(200, page(), 'text/html; charset=utf-8')
        elif path == '/api/model':
            self._json(200, self.server.model.info())
        else:
            self._json(404, {'error': 'no such page: {}'.format(path)})

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != '/api/edit':
            return self._json(404, {'error': 'no such API: ' + url.path})
        try:
            length = int(self.headers.get('Content-Length') or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_UPLOAD:
            self.close_connection = True  # the body is not read
            return self._json(413, {'error': 'the photo must be at most {} '
                                    'MB'.format(MAX_UPLOAD // 2 ** 20)})
        body = self.rfile.read(length)
        try:
            status, obj = answer_edit(self.server.model,
                                      urllib.parse.parse_qs(url.query), body)
        except Exception as e:  # the page shows it; the server keeps going
            self.log_error('edit failed: %r', e)
            status, obj = 500, {'error': 'the edit failed: {}'.format(e)}
        self._json(status, obj)

    def log_message(self, format, *args):
        if self.server.log is not None:
            self.server.log.write('%s - %s\n' % (self.address_string(),
                                                 format % args))


def make_server(model, port=0, log=None):
    """A threading HTTP server of the demo on 127.0.0.1.

    Args:
        model (~faceapp.demo.DemoModel): What it serves.
        port (int): TCP port; 0 picks a free one (``server.server_port``).
        log (file or None): Where requests are logged; None: nowhere.

    Returns:
        http.server.ThreadingHTTPServer: Call ``serve_forever()``.

    Raises:
        OSError: The port cannot be bound (in use, not allowed).
    """
    server = http.server.ThreadingHTTPServer(('127.0.0.1', port),
                                             DemoHandler)
    server.daemon_threads = True
    server.model, server.log = model, log
    return server
