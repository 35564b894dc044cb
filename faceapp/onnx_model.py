"""Running an ``.onnx`` generator (:mod:`faceapp.onnx_export`) with
onnxruntime (the ``onnx`` extra), called as translate.py calls a Chainer
generator."""
import json
import os

import numpy

import chainer

from faceapp import export
from faceapp import onnx_export
from faceapp.snapshots import UnsafeFileError

class OnnxGenerator(object):
    """An onnxruntime session standing in for a generator.

    Args:
        session (onnxruntime.InferenceSession): Of a model written by
            :func:`faceapp.onnx_export.export_onnx`.
    """

    def __init__(self, session):
        self.session = session

    def to_device(self, device):
        """Accepts the CPU only (onnxruntime's CPU provider runs it)."""
        if chainer.get_device(device).xp is not numpy:
            raise ValueError('an .onnx model runs with onnxruntime on the '
                             'CPU; leave out --gpu, or pass the run dir or '
                             'generator.npz to run it on the GPU')
        return self

    def __call__(self, x, c):
        """float32 ``x (N, 3, S, S)`` in [-1, 1] and ``c (N, L)`` (arrays
        or Variables on the CPU) -> a Variable, float32 ``(N, 3, S, S)`` in
        [-1, 1]."""
        y, = self.session.run([onnx_export.OUTPUT], {
            onnx_export.IMAGE: numpy.asarray(chainer.as_array(x),
                                             numpy.float32),
            onnx_export.LABEL: numpy.asarray(chainer.as_array(c),
                                             numpy.float32)})
        return chainer.Variable(y)


def load_onnx(path):
    """Opens an ``.onnx`` export and reads its config.

    Args:
        path (str): The file.

    Returns:
        tuple: ``(OnnxGenerator, config)``, the config as in
        :func:`faceapp.export.load_exported`.

    Raises:
        ~faceapp.onnx_export.OnnxUnavailable: No onnxruntime.
        UnsafeFileError: Missing, not an ONNX model, not one written by
            ``translate.py --export-onnx``, or its graph does not fit its
            config; the message names the file.
    """
    try:
        import onnxruntime
    except ImportError as e:
        raise onnx_export.missing('running ' + path, 'onnxruntime') from e
    if not os.path.isfile(path):
        raise UnsafeFileError('{} does not exist'.format(path))
    try:
        session = onnxruntime.InferenceSession(
            path, providers=['CPUExecutionProvider'])
    except Exception as e:  # onnxruntime's own errors share no base class
        raise UnsafeFileError('{} is not a readable ONNX model ({})'.format(
            path, str(e).strip().splitlines()[0] if str(e) else
            type(e).__name__)) from e
    text = session.get_modelmeta().custom_metadata_map.get(
        onnx_export.CONFIG_KEY)
    if text is None:
        raise UnsafeFileError(
            '{} holds no {} metadata: write it with translate.py --model '
            'RUN --export-onnx {}'.format(path, onnx_export.CONFIG_KEY,
                                           os.path.basename(path)))
    try:
        config = json.loads(text)
    except ValueError as e:
        raise UnsafeFileError('{}: its {} is not valid JSON: {}'.format(
            path, onnx_export.CONFIG_KEY, e)) from e
    export.check_config(config, path)
    _check_graph(session, config, path)
    return OnnxGenerator(session), config


def _check_graph(session, config, path):
    """Refuses a graph whose inputs and output are not those of the
    config's generator."""
    s, n_lab = config['image_size'], len(config['label_names'])
    want = {onnx_export.IMAGE: [3, s, s], onnx_export.LABEL: [n_lab],
            onnx_export.OUTPUT: [3, s, s]}
    got = {v.name: list(v.shape)[1:]
           for v in session.get_inputs() + session.get_outputs()}
    if got != want:
        raise UnsafeFileError(
            '{}: the graph does not fit its config ({} labels, {} px): '
            'inputs and output {} (batch left out), expected {}'.format(
                path, n_lab, s, got, want))
