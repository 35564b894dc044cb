"""Low-level PIL drawing of one anime-style face.

Everything is laid out in *face units*: a face-centred frame where one unit
is the full width of the image at scale 1, +x points right and +y down.  The
feature geometry is deliberately oversized and high-contrast so that the five
expressions stay legible after downsampling to 32x32 pixels.

This module knows nothing about datasets or labels; it is driven by
:func:`datasets.synthetic.render`.
"""
import math

from PIL import ImageDraw

LINE = (45, 28, 30)          # lineart for eyes, brows and mouth lines
MOUTH = (125, 30, 45)        # inside of an open mouth
TONGUE = (235, 110, 120)
WHITE = (255, 255, 255)
TEAR = (120, 190, 255)
BLUSH = (245, 120, 130)

# Mirrored eye/brow x-positions; features are specified for the right-hand
# side of the picture (x > 0) and flipped for the other side.
EYE_X = 0.135
EYE_Y = 0.04
EYE_RX = 0.068
EYE_RY = 0.085
MOUTH_Y = 0.21


def _shade(rgb, k):
    return tuple(int(max(0, min(255, c * k))) for c in rgb)


def _mix(a, b, t):
    return tuple(int(round(x * (1 - t) + y * t)) for x, y in zip(a, b))


class _Painter(object):
    """Maps face units to supersampled pixels and wraps ImageDraw."""

    def __init__(self, img, cx, cy, scale):
        self.draw = ImageDraw.Draw(img)
        self.W = img.size[0]
        self.cx, self.cy, self.s = cx, cy, scale

    def p(self, u, v):
        return ((self.cx + u * self.s) * self.W, (self.cy + v * self.s) * self.W)

    def px(self, d):
        return max(1, int(round(d * self.s * self.W)))

    def poly(self, pts, fill, outline=None, width=0.0):
        pts = [self.p(u, v) for u, v in pts]
        self.draw.polygon(pts, fill=fill)
        if outline is not None:
            self.draw.line(pts + pts[:1], fill=outline, width=self.px(width),
                           joint='curve')

    def ellipse(self, u, v, ru, rv, fill, outline=None, width=0.0):
        (x0, y0), (x1, y1) = self.p(u - ru, v - rv), self.p(u + ru, v + rv)
        self.draw.ellipse([x0, y0, x1, y1], fill=fill, outline=outline,
                          width=self.px(width) if outline else 0)

    def stroke(self, pts, fill, width):
        """A polyline with round caps, so short strokes keep their weight."""
        w = self.px(width)
        self.draw.line([self.p(u, v) for u, v in pts], fill=fill, width=w,
                       joint='curve')
        for u, v in (pts[0], pts[-1]):
            x, y = self.p(u, v)
            r = w / 2.0
            self.draw.ellipse([x - r, y - r, x + r, y + r], fill=fill)


def _arc(cu, cv, ru, rv, a0, a1, n=12):
    """Points on an elliptic arc, angles in degrees (0 = +x, 90 = down)."""
    return [(cu + ru * math.cos(math.radians(a0 + (a1 - a0) * k / n)),
             cv + rv * math.sin(math.radians(a0 + (a1 - a0) * k / n)))
            for k in range(n + 1)]


def _quad(p0, p1, p2, n=10):
    """Quadratic Bezier curve through control point p1."""
    out = []
    for k in range(n + 1):
        t = k / float(n)
        a, b, c = (1 - t) ** 2, 2 * t * (1 - t), t ** 2
        out.append((a * p0[0] + b * p1[0] + c * p2[0],
                    a * p0[1] + b * p1[1] + c * p2[1]))
    return out


def _face_outline(ident, n=40):
    a, b = 0.30 * ident.face_width, 0.33
    pts = []
    for k in range(n):
        t = 2 * math.pi * k / n
        sy = math.sin(t)
        # Pinch x on the lower half only, strongest at the bottom: a chin.
        pinch = 1.0 - ident.chin * max(0.0, sy) ** 3
        pts.append((a * math.cos(t) * pinch, b * sy - 0.02 * (sy < 0)))
    return pts, a, b


def _background(img, ident):
    draw = ImageDraw.Draw(img)
    W = img.size[0]
    if ident.bg_mode == 'plain':
        draw.rectangle([0, 0, W, W], fill=ident.bg)
    elif ident.bg_mode == 'gradient':
        steps = 16
        for k in range(steps):
            col = _mix(ident.bg, ident.bg2, k / (steps - 1.0))
            draw.rectangle([0, W * k / steps, W, W * (k + 1) / steps + 1],
                           fill=col)
    else:  # diagonal two-tone split
        draw.rectangle([0, 0, W, W], fill=ident.bg)
        draw.polygon([(W, 0), (W, W), (0, W)], fill=ident.bg2)


def _back_hair(pt, ident, hair, line, a):
    style = ident.hair_style
    if style == 'long':
        pt.poly([(-a - 0.06, -0.05), (-a - 0.12, 0.75), (a + 0.12, 0.75),
                 (a + 0.06, -0.05)] + _arc(0, -0.05, a + 0.06, 0.36, 0, -180),
                hair, line, 0.012)
    elif style == 'bob':
        pt.poly(_arc(0, -0.02, a + 0.07, 0.36, 180, 360) +
                [(a + 0.09, 0.22), (-a - 0.09, 0.22)], hair, line, 0.012)
    elif style == 'twintails':
        for sgn in (-1, 1):
            tail = ([(sgn * (a - 0.02), -0.22)] +
                    _quad((sgn * (a + 0.02), -0.26), (sgn * (a + 0.30), -0.1),
                          (sgn * (a + 0.12), 0.7)) +
                    _quad((sgn * (a + 0.02), 0.62), (sgn * (a + 0.12), 0.0),
                          (sgn * a, -0.05)))
            pt.poly(tail, hair, line, 0.012)
            pt.ellipse(sgn * (a + 0.01), -0.2, 0.035, 0.035, ident.accent)
    else:  # spiky: a crown of points behind the head
        pts = []
        for k in range(15):
            t = math.pi + math.pi * k / 14.0
            r = 1.22 if k % 2 else 1.0
            pts.append((math.cos(t) * (a + 0.05) * r,
                        -0.05 + math.sin(t) * 0.35 * r))
        pts += [(a + 0.05, 0.05), (-a - 0.05, 0.05)]
        pt.poly(pts, hair, line, 0.012)


def _front_hair(pt, ident, hair, line, a):
    """Hair cap, fringe and side locks, drawn over the forehead."""
    lock = {'long': 0.30, 'bob': 0.18, 'twintails': 0.08,
            'spiky': -0.02}[ident.hair_style]
    top = _arc(0, -0.03, a + 0.045, 0.345, 180, 360, n=16)
    inner = a - 0.055
    fb = -0.215  # fringe tips stop above the highest brow position
    if ident.fringe == 'blunt':
        fringe = [(inner, fb), (-inner, fb)]
    elif ident.fringe == 'swept':
        fringe = [(inner, fb), (0.1, fb - 0.01), (0.12, -0.3), (-0.04, fb),
                  (-0.02, -0.3), (-0.16, fb - 0.02), (-0.17, -0.3),
                  (-inner, fb - 0.04)]
    else:  # jagged: alternating points
        n = 7
        fringe = []
        for k in range(n + 1):
            u = inner - 2 * inner * k / n
            fringe.append((u, fb if k % 2 == 0 else fb - 0.07))
    # Side locks taper to a point and curve in toward the cheeks.
    right = _quad((a + 0.005, lock + 0.03), (inner - 0.02, (lock + fb) / 2),
                  (inner, fb), n=8)
    left = [(-u, v) for u, v in reversed(right)]
    pts = [(-a - 0.045, lock - 0.04)] + top + [(a + 0.045, lock - 0.04)]
    pts += right + fringe[1:-1] + left
    pt.poly(pts, hair, line, 0.012)
    # A glossy band reads as "anime hair" even at low resolution.
    shine = _shade(hair, 1.35) if sum(hair) < 600 else _shade(hair, 1.08)
    pt.stroke(_arc(0, -0.03, a - 0.04, 0.28, 215, 250, n=6), shine, 0.02)


def _eye_open(pt, sgn, ident, ry_k=1.0, iris_k=1.0, lid=None):
    """An open anime eye; `lid` = (inner_v, outer_v) cuts its top edge."""
    u0, v0 = sgn * EYE_X, EYE_Y
    rx, ry = EYE_RX * ident.eye_size, EYE_RY * ident.eye_size * ry_k
    pt.ellipse(u0, v0, rx, ry, WHITE)
    irx, iry = rx * 0.78 * iris_k, ry * 0.86 * iris_k
    pt.ellipse(u0, v0 + ry * 0.08, irx, iry, ident.eye_rgb)
    pt.ellipse(u0, v0 + ry * 0.12, irx * 0.5, iry * 0.5, _shade(ident.eye_rgb, 0.3))
    pt.ellipse(u0 - sgn * irx * 0.35, v0 - iry * 0.35, irx * 0.32, irx * 0.32,
               WHITE)
    if lid is None:
        lid_line = _arc(u0, v0, rx * 1.12, ry, 190, 350, n=10)
    else:
        vin, vout = v0 - ry + lid[0] * ry, v0 - ry + lid[1] * ry
        ui, uo = u0 - sgn * rx * 1.2, u0 + sgn * rx * 1.2
        pt.poly([(ui, v0 - ry * 1.6), (uo, v0 - ry * 1.6), (uo, vout), (ui, vin)],
                ident.skin)
        lid_line = [(ui, vin), (uo, vout)]
    pt.stroke(lid_line, LINE, 0.03)
    pt.stroke([(u0 - rx * 0.6, v0 + ry * 0.95), (u0 + rx * 0.6, v0 + ry * 0.95)],
              _shade(LINE, 1.6), 0.012)


def _eyes(pt, ident, expression):
    for sgn in (-1, 1):
        u0 = sgn * EYE_X
        rx = EYE_RX * ident.eye_size
        if expression == 'smile':  # closed happy "^" arcs
            pt.stroke(_quad((u0 - rx, EYE_Y + 0.03), (u0, EYE_Y - 0.09),
                            (u0 + rx, EYE_Y + 0.03)), LINE, 0.035)
        elif expression == 'surprised':
            _eye_open(pt, sgn, ident, ry_k=1.2, iris_k=0.55)
        elif expression == 'angry':  # lid slanting down toward the nose
            _eye_open(pt, sgn, ident, lid=(1.05, 0.55))
        elif expression == 'sad':  # lid drooping toward the outside
            _eye_open(pt, sgn, ident, lid=(0.35, 0.75))
        else:
            _eye_open(pt, sgn, ident)


# Brow control points (inner, middle, outer) in face units for the right side.
_BROWS = {
    'neutral': ((0.075, -0.105), (0.135, -0.115), (0.2, -0.105)),
    'smile': ((0.075, -0.12), (0.135, -0.145), (0.2, -0.12)),
    'sad': ((0.07, -0.165), (0.13, -0.14), (0.2, -0.085)),
    'surprised': ((0.075, -0.165), (0.135, -0.2), (0.2, -0.165)),
    'angry': ((0.055, -0.035), (0.12, -0.08), (0.205, -0.14)),
}


def _brows(pt, ident, expression, line):
    p0, p1, p2 = _BROWS[expression]
    width = 0.045 if expression == 'angry' else 0.032
    for sgn in (-1, 1):
        pts = _quad((sgn * p0[0], p0[1]), (sgn * p1[0], p1[1]),
                    (sgn * p2[0], p2[1]), n=6)
        pt.stroke(pts, line, width)


def _mouth(pt, expression):
    y = MOUTH_Y
    if expression == 'neutral':
        pt.stroke([(-0.05, y), (0.05, y)], LINE, 0.03)
    elif expression == 'smile':
        pts = [(-0.12, y - 0.04)] + _quad((-0.12, y - 0.04), (0.0, y + 0.17),
                                           (0.12, y - 0.04))[1:]
        pt.poly(pts, MOUTH, LINE, 0.02)
        pt.ellipse(0, y + 0.045, 0.045, 0.025, TONGUE)
    elif expression == 'sad':
        pt.stroke(_quad((-0.08, y + 0.05), (0.0, y - 0.06), (0.08, y + 0.05)),
                  LINE, 0.03)
    elif expression == 'surprised':
        pt.ellipse(0, y + 0.02, 0.055, 0.075, MOUTH, LINE, 0.02)
    else:  # angry: bared, clenched teeth in a trapezoid
        pts = [(-0.075, y - 0.025), (0.075, y - 0.025), (0.115, y + 0.065),
               (-0.115, y + 0.065)]
        pt.poly(pts, WHITE, LINE, 0.028)
        pt.stroke([(-0.085, y + 0.02), (0.085, y + 0.02)], LINE, 0.012)


def draw_face(img, ident, expression, hair):
    """Draws a complete portrait onto a square PIL RGB image in place.

    Args:
        img (PIL.Image.Image): Square RGB canvas, usually supersampled.
        ident: A :class:`datasets.synthetic.Identity`.
        expression (str): One of ``datasets.synthetic.EXPRESSIONS``.
        hair (tuple of int): RGB hair colour to use.
    """
    _background(img, ident)
    pt = _Painter(img, 0.5 + ident.dx, 0.52 + ident.dy, ident.scale)
    hair_line = _shade(hair, 0.55)
    skin_line = _shade(ident.skin, 0.62)
    outline, a, b = _face_outline(ident)
    # Back hair is shaded darker so the front locks stay separate from it.
    _back_hair(pt, ident, _shade(hair, 0.8), hair_line, a)
    # Neck and shoulders anchor the head so the picture reads as a bust.
    pt.poly([(-0.07, 0.2), (0.07, 0.2), (0.08, 0.45), (-0.08, 0.45)],
            _shade(ident.skin, 0.88))
    pt.poly(_arc(0, 0.62, 0.42, 0.2, 180, 360), ident.shirt, _shade(ident.shirt, 0.6),
            0.012)
    pt.poly(outline, ident.skin, skin_line, 0.012)
    if expression == 'smile':
        for sgn in (-1, 1):
            pt.ellipse(sgn * 0.17, 0.14, 0.05, 0.025, _mix(ident.skin, BLUSH, 0.6))
    _eyes(pt, ident, expression)
    pt.stroke([(0.0, 0.12), (-0.01, 0.135)], skin_line, 0.015)
    _mouth(pt, expression)
    if expression == 'sad':
        pt.poly([(0.2, 0.1), (0.225, 0.16), (0.2, 0.18), (0.175, 0.16)], TEAR,
                _shade(TEAR, 0.7), 0.01)
    _front_hair(pt, ident, hair, hair_line, a)
    # Brows sit on skin, so they stay dark; a hint of hair colour looks natural.
    _brows(pt, ident, expression, _mix(LINE, hair, 0.25))
