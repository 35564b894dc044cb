"""Output names of translate.py."""
from faceapp import translation_files


def test_output_name_suffixes_name_target_and_source():
    assert translation_files.name_suffix('target', ['smile']) == '_smile'
    assert translation_files.name_suffix('all') == '_all'
    assert translation_files.name_suffix(
        'interpolate', ['hair=blond'], ['Male', 'a/b c']) == \
        '_interp_hair=blond_from_Male_a-b-c'
