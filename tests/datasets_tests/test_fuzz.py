"""Fuzzing: the image reader and the label-file parser raise only
DatasetError on arbitrary input, never anything else."""
import io
import os
import tempfile

from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from PIL import Image

from datasets import celeba_lists
from datasets.image_files import DatasetError
from datasets.image_files import read_image

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def _png_bytes(w, h, mode):
    buf = io.BytesIO()
    Image.new(mode, (w, h)).save(buf, format='PNG')
    return buf.getvalue()


def _read_bytes(data, suffix):
    fd, path = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        try:
            img = read_image(path)
        except DatasetError as e:
            assert path in str(e)
            return None
        assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == 'uint8'
        return img
    finally:
        os.remove(path)


@FUZZ
@given(st.binary(max_size=512), st.sampled_from(['.png', '.jpg', '.gif']))
def test_random_bytes(data, suffix):
    _read_bytes(data, suffix)


@FUZZ
@given(st.integers(1, 12), st.integers(1, 12),
       st.sampled_from(['L', 'RGB', 'RGBA', 'P', '1', 'I;16', 'LA']),
       st.data())
def test_mutated_real_pngs(w, h, mode, data):
    raw = bytearray(_png_bytes(w, h, mode))
    n = data.draw(st.integers(0, 4))
    for _ in range(n):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    _read_bytes(bytes(raw[:cut]), '.png')


_cell = st.one_of(st.sampled_from(['1', '-1', '0', 'x', '']),
                  st.text(max_size=4))


@FUZZ
@given(st.lists(st.lists(_cell, max_size=5), max_size=6),
       st.text(max_size=30))
def test_attribute_files(rows, header):
    text = '\n'.join([str(len(rows)), header]
                     + [' '.join(['f{}.jpg'.format(i)] + r)
                        for i, r in enumerate(rows)])
    fd, path = tempfile.mkstemp(suffix='.txt')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write(text)
        try:
            names, files, values = celeba_lists.read_attribute_file(path)
        except DatasetError:
            return
        assert len(files) == len(values)
        assert all(len(v) == len(names) for v in values)
    finally:
        os.remove(path)


@FUZZ
@given(st.binary(max_size=300))
def test_attribute_files_of_random_bytes(data):
    fd, path = tempfile.mkstemp(suffix='.txt')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        try:
            celeba_lists.read_attribute_file(path)
        except DatasetError:
            pass
    finally:
        os.remove(path)
