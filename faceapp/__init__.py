"""The application layer behind the scripts: options, building a run, run
directories and model files, the photo pipeline, comparison, reports,
devices. Imports nothing here (the scripts import ``faceapp.devices``
before chainer)."""
