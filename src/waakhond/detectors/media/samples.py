"""Benign example pictures for tests, demos and benchmarks: generated, or shipped inside a package.

Which one to start with? ``synthetic_image(seed)``: a deterministic, varied picture (1/f colour noise like
natural scenes, shapes, lines, a few words) — different seeds give unrelated pictures whose PDQ hashes are
as far apart as those of unrelated photos (about 128 bits). ``sample_photos()`` adds the public sample
photos scikit-image ships in its wheel (coffee cup, cat, rocket, coins, textures…) when it is installed;
no download, and no picture of a person is used.

Why not plain gradients? Simple gradients and flat shapes share their low-frequency structure, and PDQ,
which keeps only the signs of low-frequency DCT coefficients, gives them near-identical hashes: a
"false match" benchmark built on them would measure the generator, not the matcher.
"""

from __future__ import annotations

import io
from typing import cast

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

_WORDS = (
    "hello",
    "summer",
    "garden",
    "match",
    "weekend",
    "coffee",
    "river",
    "blue",
    "train",
    "pizza",
    "school",
    "music",
    "forest",
    "snow",
    "market",
    "bridge",
    "7",
    "42",
    "2024",
    "ok",
)

#: scikit-image sample images without people, all shipped inside its wheel.
SKIMAGE_SAMPLES = (
    "coffee",
    "chelsea",
    "rocket",
    "coins",
    "horse",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "colorwheel",
    "clock",
    "camera",
    "moon",
    "brick",
    "grass",
    "gravel",
    "page",
    "text",
    "logo",
    "cell",
)


def synthetic_image(seed: int, size: tuple[int, int] = (512, 512)) -> Image.Image:
    """A benign RGB picture determined by ``seed``."""
    rng = np.random.default_rng(seed)
    w, h = size
    # 1/f^beta noise per channel: natural images have roughly this spectrum.
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    f = np.sqrt(fx * fx + fy * fy)
    f[0, 0] = 1.0
    beta = rng.uniform(1.6, 2.4)
    channels = []
    mix = rng.normal(size=(3, 3)) + np.eye(3) * rng.uniform(0.5, 2.0)
    base = []
    for _ in range(3):
        spec = (rng.normal(size=f.shape) + 1j * rng.normal(size=f.shape)) / f ** (beta / 2)
        spec[0, 0] = 0
        base.append(np.fft.irfft2(spec, s=(h, w)))
    stack = np.stack(base, -1) @ mix
    for c in range(3):
        x = stack[..., c]
        channels.append((x - x.mean()) / (x.std() + 1e-9) * rng.uniform(30, 60) + rng.uniform(70, 190))
    img = Image.fromarray(np.clip(np.stack(channels, -1), 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(2, 9))):
        x0, y0 = int(rng.integers(-w // 4, w)), int(rng.integers(-h // 4, h))
        x1, y1 = x0 + int(rng.integers(w // 10, w // 2)), y0 + int(rng.integers(h // 10, h // 2))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        kind = int(rng.integers(0, 4))
        if kind == 0:
            draw.ellipse([x0, y0, x1, y1], fill=colour)
        elif kind == 1:
            draw.rectangle([x0, y0, x1, y1], fill=colour)
        elif kind == 2:
            pts = [(int(rng.integers(0, w)), int(rng.integers(0, h))) for _ in range(int(rng.integers(3, 7)))]
            draw.polygon(pts, fill=colour)
        else:
            draw.line([x0, y0, x1, y1], fill=colour, width=int(rng.integers(2, max(3, w // 30))))
    for _ in range(int(rng.integers(0, 3))):
        text = " ".join(rng.choice(_WORDS, size=int(rng.integers(1, 4))))
        draw.text(
            (int(rng.integers(0, w * 3 // 4)), int(rng.integers(0, h - 20))),
            text,
            fill=tuple(int(v) for v in rng.integers(0, 256, 3)),
            font_size=int(rng.integers(14, 60)),
        )
    if rng.random() < 0.5:
        img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 2.5))))
    return img


def sample_photos() -> dict[str, Image.Image]:
    """scikit-image's shipped sample pictures as RGB (empty when scikit-image is not installed)."""
    try:
        from skimage import data as skdata
    except ImportError:
        return {}
    out: dict[str, Image.Image] = {}
    for name in SKIMAGE_SAMPLES:
        try:
            arr = np.asarray(getattr(skdata, name)())
        except Exception:  # a sample that needs a download, or an older scikit-image without it
            continue
        if arr.dtype != np.uint8:
            arr = (255 * (arr.astype(np.float64) / max(float(arr.max()), 1e-9))).astype(np.uint8)
        if arr.ndim == 2:
            arr = np.stack([arr] * 3, -1)
        out[name] = Image.fromarray(np.ascontiguousarray(arr[..., :3]), "RGB")
    return out


def encode(img: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    """The bytes of ``img`` in ``fmt`` (JPEG quality 90 unless given)."""
    buf = io.BytesIO()
    if fmt == "JPEG":
        params.setdefault("quality", 90)
    img.save(buf, fmt, **params)
    return buf.getvalue()


def synthetic_video(
    seed: int,
    *,
    seconds: float = 4.0,
    fps: int = 10,
    size: tuple[int, int] = (320, 240),
    container: str = "mp4",
    codec: str = "libx264",
    scene_seconds: float = 2.0,
) -> bytes:
    """A short benign video determined by ``seed``: a generated picture (:func:`synthetic_image`) as a
    slowly panning background with coloured shapes moving over it, and a new picture every
    ``scene_seconds``. Encoded in memory with PyAV (``mp4``/``libx264``, ``webm``/``libvpx-vp9``,
    ``avi``/``mpeg4``, …); different seeds give unrelated videos."""
    import av

    rng = np.random.default_rng(seed)
    w, h = size
    n_frames = max(1, round(seconds * fps))
    scenes: dict[int, Image.Image] = {}
    shapes = [
        (tuple(int(v) for v in rng.integers(0, 256, 3)), rng.uniform(0, 1, 2), rng.uniform(-0.3, 0.3, 2), float(r))
        for r in rng.uniform(0.05, 0.15, int(rng.integers(2, 5)))
    ]
    buf = io.BytesIO()
    with av.open(buf, mode="w", format=container) as out:
        stream = cast("av.VideoStream", out.add_stream(codec, rate=fps))
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuv420p"
        for i in range(n_frames):
            t = i / fps
            scene = int(t // scene_seconds)
            if scene not in scenes:
                scenes[scene] = synthetic_image(seed * 1000 + scene, (w + w // 4, h + h // 4))
            bg = scenes[scene]
            dx = int((t % scene_seconds) / scene_seconds * (w // 4))
            img = bg.crop((dx, h // 8, dx + w, h // 8 + h))
            draw = ImageDraw.Draw(img)
            for colour, pos, vel, r in shapes:
                x, y = (pos + vel * t) % 1.0
                rad = r * min(w, h)
                draw.ellipse([x * w - rad, y * h - rad, x * w + rad, y * h + rad], fill=colour)
            for packet in stream.encode(av.VideoFrame.from_image(img)):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def reencode_video(
    data: bytes,
    *,
    size: tuple[int, int] | None = None,
    container: str = "mp4",
    codec: str = "libx264",
    fps: int | None = None,
    bit_rate: int | None = None,
) -> bytes:
    """``data`` decoded and encoded again, optionally resized, at another frame rate (frames dropped or
    repeated by timestamp) or bit rate: what a platform's transcoder or a re-upload does."""
    import av

    buf = io.BytesIO()
    with av.open(io.BytesIO(data), mode="r") as src, av.open(buf, mode="w", format=container) as out:
        ins = src.streams.video[0]
        rate = fps or round(float(ins.average_rate or 25))
        stream = cast("av.VideoStream", out.add_stream(codec, rate=rate))
        stream.width, stream.height = size or (ins.codec_context.width, ins.codec_context.height)
        stream.pix_fmt = "yuv420p"
        if bit_rate:
            stream.bit_rate = bit_rate
        written = 0
        for frame in src.decode(ins):
            t = float(frame.time or 0.0)
            while written / rate <= t + 1e-6:
                img = frame.to_image().resize((stream.width, stream.height), Image.Resampling.BILINEAR)
                for packet in stream.encode(av.VideoFrame.from_image(img)):
                    out.mux(packet)
                written += 1
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()
