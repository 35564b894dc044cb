"""Names of the pictures ``translate.py`` reads and of the files it writes.

A result keeps its picture's name (folders mirrored) plus what was made, so
that results of other targets or sources in one output folder never
overwrite each other.
"""
import os
import re

from datasets.image_files import IMAGE_EXTENSIONS

#: Characters kept in the label words of output names; others become '-'.
_NAME_CHARS = re.compile(r'[^A-Za-z0-9_.=+-]')


def name_suffix(kind, target=None, source=None):
    """What output names add to a picture's name, so that results of
    other targets or sources never overwrite each other.

    ``target``: ``_<target>`` (``face_smile.png``, ``face_Blond_Hair=1_Male=0
    .png``); ``all``: ``_all``; ``interpolate``: ``_interp_<target>``; each
    followed by ``_from_<source>`` when a source is given. Label words are
    joined with ``_``; characters other than letters, digits and ``_.=+-``
    become ``-``.

    Args:
        kind (str): ``'target'``, ``'all'`` or ``'interpolate'``.
        target (sequence of str or None): The target's label words.
        source (sequence of str or None): The source's label words.

    Returns:
        str: The suffix, e.g. ``'_interp_smile_from_neutral'``.
    """
    words = {'target': [], 'all': ['all'], 'interpolate': ['interp']}[kind]
    words = words + list(target or [])
    if source:
        words += ['from'] + list(source)
    return '_' + '_'.join(_NAME_CHARS.sub('-', str(w)) for w in words)


def list_inputs(paths, exclude=None):
    """The pictures to translate and their names under the output folder.

    A file keeps its name; a folder is searched recursively and its tree
    mirrored. Clashing names get a ``_2``, ``_3``, ... suffix.

    Args:
        paths (sequence of str): Files and folders.
        exclude (str or None): A folder not to search (the output folder,
            so that earlier results are not translated again).

    Returns:
        list of (str, str): ``(path, relative output stem)``; a path that
        does not exist is kept so that reading it reports the problem.
    """
    found = []
    for path in paths:
        if not os.path.isdir(path):
            found.append((path, os.path.splitext(os.path.basename(path))[0]))
            continue
        for parent, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith('.') and not
                             _same_dir(os.path.join(parent, d), exclude))
            for name in sorted(files):
                if name.lower().endswith(IMAGE_EXTENSIONS):
                    full = os.path.join(parent, name)
                    found.append((full, os.path.splitext(
                        os.path.relpath(full, path))[0]))
    taken, out = set(), []
    for path, stem in found:
        unique, k = stem, 1
        while unique in taken:
            k += 1
            unique = '{}_{}'.format(stem, k)
        taken.add(unique)
        out.append((path, unique))
    return out


def _same_dir(a, b):
    return b is not None and os.path.isdir(b) and os.path.samefile(a, b)


def output_paths(plan, out_stem):
    """The files :func:`faceapp.translation.write_outputs` writes for one
    picture.

    ``STEM`` plus the plan's suffix (see :func:`name_suffix`): for
    ``target`` ``STEM_<target>.png``; for ``all`` ``STEM_all.png``, the
    input then every domain; for ``interpolate`` ``STEM_interp_<target>.png``
    (a strip) and ``.gif`` (there and back, looping forever); with a
    source, ``_from_<source>`` before the extension.

    Args:
        plan (~faceapp.translation.Plan): What is made.
        out_stem (str): The picture's output path without extension.

    Returns:
        list of str: The paths.
    """
    stem = out_stem + plan.suffix
    if plan.kind == 'interpolate':
        return [stem + '.png', stem + '.gif']
    return [stem + '.png']
