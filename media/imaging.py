"""Images in and out, with Pillow only: what an upload is, and what we store of it.

No Django here (tests measure its memory in a bare process). Two steps:

- `inspect(fp)`: the web process's check, before anything is stored. The type is
  Pillow's own identification from the bytes, restricted to ALLOWED_FORMATS (an
  EPS, SVG, TIFF or FITS named .png is not identified: UnsupportedImage, 415). The
  pixel count comes from the header and is refused above `max_pixels` before any
  decoding (Pillow's decompression-bomb guard, plus our own check: BadImage, 400).
  Then the image is decoded once to find corrupt or truncated files (BadImage);
  a JPEG at 1/8 scale (`draft`: the whole stream is still read, at 1/64 of the
  memory), other formats in full but only their first frame.
- `render(fp, ...)`: the worker's job. The same checks again (it trusts nothing it
  did not check itself), the first frame, EXIF orientation applied, then every
  metadata block dropped (EXIF, GPS, XMP, ICC, comments: the images are re-encoded
  from pixels and `info` is emptied before saving), the variants, the blurhash.
"""

import io
import warnings
from dataclasses import dataclass, field
from typing import IO

import blurhash
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
# What decoding a broken or hostile file raises (Pillow's plugins use all of these).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError)


class UnsupportedImage(Exception):
    """Not one of ALLOWED_FORMATS (whatever its name or declared type says)."""


class BadImage(Exception):
    """An allowed format, but corrupt, truncated, empty or with too many pixels."""


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self.format]


@dataclass(frozen=True)
class Encoded:
    name: str  # "original", "small", "large"
    data: bytes
    extension: str
    width: int
    height: int


@dataclass(frozen=True)
class Rendered:
    original: Encoded
    variants: list[Encoded] = field(default_factory=list)
    blurhash: str = ""


def _open(fp: IO[bytes], *, max_pixels: int) -> Image.Image:
    fp.seek(0)
    # Pillow's own guard, set from our limit: over twice it raises at open, over it warns.
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(fp, formats=ALLOWED_FORMATS)
    except UnidentifiedImageError as exc:
        raise UnsupportedImage("Only JPEG, PNG, GIF and WebP images are accepted.") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BadImage(f"The image has more than {max_pixels} pixels.") from exc
    except _DECODE_ERRORS as exc:
        raise BadImage("The image is corrupt.") from exc
    width, height = image.size
    if width < 1 or height < 1:
        image.close()
        raise BadImage("The image is empty.")
    if width * height > max_pixels:
        image.close()
        raise BadImage(f"The image has more than {max_pixels} pixels.")
    return image


def inspect(fp: IO[bytes], *, max_pixels: int) -> ImageInfo:
    """What the upload is (UnsupportedImage, BadImage when it is nothing we take)."""
    image = _open(fp, max_pixels=max_pixels)
    with image:
        info = ImageInfo(format=str(image.format), width=image.width, height=image.height)
        try:
            if image.format == "JPEG":
                image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
        except _DECODE_ERRORS as exc:
            raise BadImage("The image is corrupt or truncated.") from exc
    fp.seek(0)
    return info


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _encode(image: Image.Image, *, name: str, fmt: str) -> Encoded:
    image.info = {}  # nothing of the upload's metadata is written back
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "PNG":
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "WEBP", quality=82, method=4)
    extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[fmt]
    return Encoded(name, out.getvalue(), extension, image.width, image.height)


def _square(image: Image.Image) -> Image.Image:
    side = min(image.size)
    return ImageOps.fit(image, (side, side), method=Image.Resampling.LANCZOS)


def render(
    fp: IO[bytes], *, max_pixels: int, sizes: dict[str, int], square: bool = False
) -> Rendered:
    """The stored images of an upload: the re-encoded original (cropped to a square
    when `square`), a variant per `sizes` item (name → long side in pixels, never
    enlarged), and the blurhash."""
    inspect(fp, max_pixels=max_pixels)
    with _open(fp, max_pixels=max_pixels) as source:
        source_format = source.format
        try:
            source.seek(0)  # an animated GIF, WebP or PNG: its first frame
            source.load()
            upright = ImageOps.exif_transpose(source)  # orientation first, then EXIF goes
        except _DECODE_ERRORS as exc:
            raise BadImage("The image is corrupt or truncated.") from exc
    alpha = _has_alpha(upright)
    frame = upright.convert("RGBA" if alpha else "RGB")
    if square:
        frame = _square(frame)
    if alpha:
        original_format = "WEBP" if source_format == "WEBP" else "PNG"
    else:
        original_format = {"JPEG": "JPEG", "WEBP": "WEBP"}.get(str(source_format), "PNG")
    original = _encode(frame.copy(), name="original", fmt=original_format)
    variants = []
    for name, long_side in sizes.items():
        thumb = frame.copy()
        thumb.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
        variants.append(_encode(thumb, name=name, fmt="WEBP"))
    tiny = frame.convert("RGB")
    tiny.thumbnail((64, 64))
    return Rendered(original=original, variants=variants, blurhash=blurhash.encode(tiny, 4, 3))
