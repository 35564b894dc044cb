"""Installable StarGAN / CycleGAN face-translation framework on Chainer 7.8.1."""
from setuptools import find_packages, setup

setup(
    name='chainer-stargan-faces',
    version='0.1.0',
    description='StarGAN multi-domain face translation (with a CycleGAN '
                'baseline) on Chainer',
    python_requires='>=3.8',
    packages=find_packages(
        include=['stargan', 'stargan.*', 'datasets', 'datasets.*',
                 'updaters', 'updaters.*', 'extensions', 'extensions.*']),
    py_modules=['train', 'evaluate', 'prepare', 'translate', 'compare', 'bench'],
    install_requires=[
        'chainer==7.8.1',
        'numpy>=1.21,<2',
        'opencv-python>=4.5,<5',
        'pillow>=9',
        'matplotlib>=3.5',
    ],
    extras_require={
        'gpu': ['cupy-cuda12x'],
        # ChainerMN (bundled with chainer) talks MPI through mpi4py; the MPI
        # itself comes from the system (e.g. Debian's openmpi-bin).
        'mpi': ['mpi4py>=3.1'],
        # scikit-image ships the public-domain photo the face-detection
        # tests run on; 0.25+ needs numpy 2.
        'test': ['pytest>=7', 'hypothesis>=6', 'mock', 'scikit-image<0.25'],
    },
)
