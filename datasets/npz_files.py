"""Plain words for files that numpy cannot open as ``.npz`` archives.

``numpy.load`` reports a text file named ``.npz`` as "pickled data" (it
tries every format it knows, pickle last), which misleads; the loaders of
packs, exports and snapshots say instead what the file is.
"""
import zipfile

#: What ``numpy.load(path, allow_pickle=False)`` and reading the archive
#: raise for a file that is missing, damaged, not an npz or holds object
#: arrays: every loader maps these, and only these, to its own error with
#: :func:`load_problem`'s words. A ``.npy`` file loads as an array, which is
#: no archive: entering it raises TypeError (AttributeError before Python
#: 3.11).
READ_ERRORS = (ValueError, OSError, zipfile.BadZipFile, EOFError,
               AttributeError, TypeError)

#: Pickles of protocol 2 and later start with this byte.
_PICKLE_START = b'\x80'


def load_problem(path, error):
    """Why ``numpy.load(path, allow_pickle=False)`` failed.

    Args:
        path (str): The file.
        error (Exception): What ``numpy.load`` (or reading the archive)
            raised.

    Returns:
        str: Words to follow the file's name, e.g. ``'is not an .npz (zip)
        archive: it starts with b"hello"'``.
    """
    if 'Object arrays' in str(error):
        return ('holds object arrays (pickled Python objects); refusing to '
                'load it because unpickling can run arbitrary code')
    try:
        with open(path, 'rb') as f:
            head = f.read(16)
    except OSError as e:
        return 'cannot be read ({})'.format(e.strerror or e)
    if not head:
        return 'is empty, not an .npz (zip) archive'
    if head.startswith(b'PK') or zipfile.is_zipfile(path):
        return 'is a damaged or incomplete .npz (zip) archive ({})'.format(
            error)
    if head.startswith(_PICKLE_START):
        return ('is a Python pickle, not an .npz (zip) archive; refusing to '
                'load it because unpickling can run arbitrary code')
    return 'is not an .npz (zip) archive: it starts with {!r}'.format(head)
