"""The pictures the README and docs/ show are in the repository, and none
of them is left over unshown (a figure that no page links is dead weight
in every clone)."""
import glob
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: ``![alt](path)``, the Markdown image syntax these pages use.
IMAGE = re.compile(r'!\[[^\]]*\]\(([^)\s]+)\)')


def _pages():
    return [os.path.join(ROOT, 'README.md')] + sorted(
        glob.glob(os.path.join(ROOT, 'docs', '*.md')))


def _linked_images():
    """Absolute paths of every image a page links, by page."""
    linked = {}
    for page in _pages():
        with open(page, encoding='utf-8') as f:
            targets = IMAGE.findall(f.read())
        base = os.path.dirname(page)
        linked[page] = [os.path.normpath(os.path.join(base, t))
                        for t in targets if '://' not in t]
    return linked


def test_every_linked_image_exists():
    missing = [(os.path.relpath(page, ROOT), os.path.relpath(path, ROOT))
               for page, paths in _linked_images().items()
               for path in paths if not os.path.isfile(path)]
    assert not missing, missing


def test_every_picture_in_docs_is_linked():
    linked = {p for paths in _linked_images().values() for p in paths}
    pictures = glob.glob(os.path.join(ROOT, 'docs', '*.png'))
    assert pictures, 'docs/ holds no pictures: the glob is wrong'
    unlinked = sorted(os.path.relpath(p, ROOT) for p in pictures
                      if os.path.normpath(p) not in linked)
    assert not unlinked, unlinked


def test_the_image_pattern_reads_a_link():
    assert IMAGE.findall('text ![a grid](docs/x.png) more') == ['docs/x.png']
