"""Installable StarGAN / CycleGAN face-translation framework on Chainer 7.8.1."""
from setuptools import find_packages, setup

# The CuPy, cuDNN and NCCL the `gpu` extra installs, all for CUDA 12.
# CuPy 13 is the last series that accepts numpy<2 with chainer 7.8.1; its
# wheels ship neither cuDNN nor NCCL, so the extra adds NVIDIA's wheels of
# both. cuDNN stays on 8.x: CuPy 13 links libcudnn.so.8, and
# faceapp/devices.py preloads these wheels' libraries before CuPy loads.
GPU_REQUIRES = [
    'cupy-cuda12x==13.6.0',
    'nvidia-cudnn-cu12==8.9.7.29',
    'nvidia-nccl-cu12==2.21.5',
]

# translate.py --export-onnx writes the generator through chainer's bundled
# onnx_chainer, which needs onnx (1.17 is the newest with wheels for Python
# 3.8; it still has the onnx.mapping onnx_chainer 7.8.1 imports);
# translate.py --model PATH.onnx runs it with onnxruntime (1.18 is the last
# series built against numpy 1.x, with wheels for Python 3.8-3.12).
ONNX_REQUIRES = ['onnx==1.17.0', 'onnxruntime==1.18.1']

#: The top-level scripts, installed as modules.
SCRIPTS = ('train', 'evaluate', 'prepare', 'translate', 'compare', 'bench',
           'demo', 'train_sr')

setup(
    name='chainer-stargan-faces',
    version='0.1.0',
    description='StarGAN multi-domain face translation (with a CycleGAN '
                'baseline) on Chainer',
    # chainer 7.8.1 imports numpy.distutils (gone from numpy on 3.12+) and
    # pkg_resources at import; numpy<2 has no wheels for 3.13.
    python_requires='>=3.8,<3.12',
    packages=find_packages(
        include=['stargan', 'stargan.*', 'datasets', 'datasets.*',
                 'updaters', 'updaters.*', 'extensions', 'extensions.*',
                 'faceapp', 'faceapp.*',
                 'benchmarks', 'benchmarks.*']),
    py_modules=list(SCRIPTS),
    # demo.py's web page.
    package_data={'faceapp': ['demo_page.html']},
    # `stargan-train` etc. run the scripts from an installed (non-editable)
    # package; `python -m train` does the same.
    entry_points={'console_scripts': [
        'stargan-{0}={0}:main'.format(name) for name in SCRIPTS]},
    install_requires=[
        'chainer==7.8.1',
        'numpy>=1.21,<2',
        'opencv-python>=4.5,<5',
        'pillow>=9',
        'matplotlib>=3.5',
        # chainer imports pkg_resources every time it is imported.
        'setuptools<70',
    ],
    extras_require={
        'gpu': GPU_REQUIRES,
        # ChainerMN (bundled with chainer) talks MPI through mpi4py; the MPI
        # itself comes from the system (e.g. Debian's openmpi-bin).
        'mpi': ['mpi4py>=3.1'],
        # scikit-image ships the public-domain photo the face-detection
        # tests run on; 0.25+ needs numpy 2.
        'onnx': ONNX_REQUIRES,
        # selenium drives the system's Chromium through its chromedriver
        # (Debian's chromium-driver) in the demo's browser test; the ONNX
        # tests run in CI too, so the test extra has the onnx one.
        'test': ['pytest>=7', 'hypothesis>=6', 'mock', 'scikit-image<0.25',
                 'selenium>=4.6'] + ONNX_REQUIRES,
    },
)
