#!/usr/bin/env python
"""The same StarGAN training step in PyTorch, timed like bench.py.

A reference for issue 8's target (Chainer within 1.2x of PyTorch on the same
machine). Not part of the package and not imported by it: run it in a
separate environment that has PyTorch, e.g.

    python3 -m venv /tmp/torchvenv
    /tmp/torchvenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchvenv/bin/python benchmarks/torch_reference.py --steps 3

The networks follow the StarGAN paper's description (Choi et al. 2018,
appendix): G with a 7x7 input convolution, two stride-2 down-samplings,
residual blocks, two transposed-convolution up-samplings and a 7x7 output
convolution, instance normalization throughout; D a stack of stride-2 4x4
convolutions with leaky ReLU, a 3x3 PatchGAN head and a classification head
spanning the last feature map. Widths, depths and the losses (WGAN-GP with
lambda_gp 10, softmax classification with lambda_cls 1, L1 reconstruction
with lambda_rec 10, Adam 1e-4, betas 0.5/0.999) are this project's ``paper``
preset, so both frameworks do the same arithmetic. Figures are medians of
the timed steps after one warm-up step; the random data is fixed.
"""
import argparse
import json
import resource

import torch
from torch import nn
import torch.nn.functional as F

import timing  # benchmarks/timing.py: this script's folder is on sys.path


def _norm(ch):
    return nn.InstanceNorm2d(ch, affine=True)


class ResidualBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(ch, ch, 3, 1, 1, bias=False), _norm(ch), nn.ReLU(),
            nn.Conv2d(ch, ch, 3, 1, 1, bias=False), _norm(ch))

    def forward(self, x):
        return x + self.body(x)


class Generator(nn.Module):
    """Label maps concatenated to the image, as in the paper."""

    def __init__(self, n_labels, width=64, n_res=6):
        super().__init__()
        layers = [nn.Conv2d(3 + n_labels, width, 7, 1, 3, bias=False),
                  _norm(width), nn.ReLU()]
        ch = width
        for _ in range(2):
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False),
                       _norm(ch * 2), nn.ReLU()]
            ch *= 2
        layers += [ResidualBlock(ch) for _ in range(n_res)]
        for _ in range(2):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False),
                       _norm(ch // 2), nn.ReLU()]
            ch //= 2
        layers += [nn.Conv2d(ch, 3, 7, 1, 3, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x, c):
        maps = c[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
        return self.net(torch.cat([x, maps], dim=1))


class Discriminator(nn.Module):
    def __init__(self, size, n_labels, width=64, n_down=6):
        super().__init__()
        layers, ch_in, ch = [], 3, width
        for _ in range(n_down):
            layers += [nn.Conv2d(ch_in, ch, 4, 2, 1), nn.LeakyReLU(0.01)]
            ch_in, ch = ch, ch * 2
        self.body = nn.Sequential(*layers)
        self.src = nn.Conv2d(ch_in, 1, 3, 1, 1, bias=False)
        self.cls = nn.Conv2d(ch_in, n_labels, size // 2 ** n_down,
                             bias=False)

    def forward(self, x):
        h = self.body(x)
        return self.src(h), self.cls(h).flatten(1)


def gradient_penalty(dis, real, fake):
    alpha = torch.rand(real.shape[0], 1, 1, 1)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    out, _ = dis(x_hat)
    grad, = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    norm = grad.flatten(1).norm(dim=1)
    return ((norm - 1) ** 2).mean()


def d_step(gen, dis, opt, x, c_org, c_trg):
    src_real, cls_real = dis(x)
    with torch.no_grad():
        fake = gen(x, c_trg)
    src_fake, _ = dis(fake)
    loss = (src_fake.mean() - src_real.mean()
            + F.cross_entropy(cls_real, c_org.argmax(1))
            + 10 * gradient_penalty(dis, x, fake))
    opt.zero_grad()
    loss.backward()
    opt.step()


def g_step(gen, dis, opt, x, c_org, c_trg):
    fake = gen(x, c_trg)
    src_fake, cls_fake = dis(fake)
    rec = gen(fake, c_org)
    loss = (-src_fake.mean() + F.cross_entropy(cls_fake, c_trg.argmax(1))
            + 10 * (x - rec).abs().mean())
    opt.zero_grad()
    loss.backward()
    opt.step()


#: Least number of timed inference calls (as
#: benchmarks.measures.INFER_ROUNDS).
INFER_ROUNDS = 7


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--image-size', type=int, default=128)
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--labels', type=int, default=5)
    p.add_argument('--n-critic', type=int, default=5)
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--threads', type=int, default=None,
                   help='intra-op threads (default: PyTorch\'s choice)')
    p.add_argument('--json', action='store_true')
    p.add_argument('--inference-only', action='store_true',
                   help='time only the generator\'s inference')
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    s, n, b = args.image_size, args.labels, args.batch_size
    # The paper's D halves 128 px six times, to 2 x 2.
    gen, dis = Generator(n), Discriminator(s, n, n_down=s.bit_length() - 2)
    g_opt = torch.optim.Adam(gen.parameters(), 1e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(dis.parameters(), 1e-4, betas=(0.5, 0.999))
    x = torch.rand(b, 3, s, s) * 2 - 1
    c = torch.eye(n)[torch.randint(0, n, (b,))]
    d = g = None  # not timed with --inference-only
    if not args.inference_only:
        d = timing.median_seconds(
            lambda: d_step(gen, dis, d_opt, x, c, c), args.steps)
        g = timing.median_seconds(
            lambda: g_step(gen, dis, g_opt, x, c, c), args.steps)
    with torch.no_grad():
        gen.eval()
        # Inference is quick and noisy: more rounds, as bench.py takes.
        rounds = max(args.steps, INFER_ROUNDS)
        batch_s = timing.median_seconds(lambda: gen(x, c), rounds)
        one_s = timing.median_seconds(lambda: gen(x[:1], c[:1]), rounds)
    result = {
        'framework': 'pytorch {}'.format(torch.__version__),
        'threads': torch.get_num_threads(), 'image_size': s, 'batch': b,
        'd_step_s': d, 'g_step_s': g, 'n_critic': args.n_critic,
        'iteration_s': None if d is None else d + g / args.n_critic,
        'infer_ms_per_image': 1e3 * batch_s / b,
        'infer_single_ms': 1e3 * one_s,
        'peak_rss_mb': resource.getrusage(
            resource.RUSAGE_SELF).ru_maxrss / 1024.}
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print('{:20s} {}'.format(key, round(value, 4)
                                 if isinstance(value, float) else value))


if __name__ == '__main__':
    main()
