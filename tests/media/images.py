"""Image files made by the tests (small: a few KB each, the bomb included)."""

import io
import struct
import zlib

from PIL import Image
from PIL.ExifTags import IFD


def jpeg(width=64, height=48, *, color=(200, 30, 30), exif=None, xmp=None) -> bytes:
    out = io.BytesIO()
    extra = {}
    if exif is not None:
        extra["exif"] = exif
    if xmp is not None:
        extra["xmp"] = xmp
    Image.new("RGB", (width, height), color).save(out, "JPEG", quality=90, **extra)
    return out.getvalue()


def jpeg_file(width=64, height=48, name="a.jpg") -> io.BytesIO:
    """A JPEG as a multipart test client sends it."""
    data = io.BytesIO(jpeg(width, height))
    data.name = name
    return data


def jpeg_with_gps(width=64, height=48) -> bytes:
    """EXIF with GPS coordinates and orientation 6 (rotate 90° clockwise), plus XMP."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "SpyCam"  # Make
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[1], gps[2] = "N", (52.0, 31.0, 12.0)
    gps[3], gps[4] = "E", (13.0, 24.0, 36.0)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><secret>home</secret></x:xmpmeta>'
    return jpeg(width, height, exif=exif.tobytes(), xmp=xmp)


def png(width=32, height=32, mode="RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (10, 200, 10, 128) if mode == "RGBA" else 7).save(out, "PNG")
    return out.getvalue()


def animated_gif(width=40, height=30) -> bytes:
    frames = [Image.new("P", (width, height), i * 40) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    return out.getvalue()


def tiff() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "TIFF")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side=20_000) -> bytes:
    """A valid 1-bit grey PNG of side x side pixels, all black: ~50 KB on disk, 400 MB
    (one byte per pixel) once Pillow decodes it."""
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    chunks = [compressor.compress(row * 1000) for _ in range(side // 1000)]
    idat = b"".join(chunks) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


EPS = (
    b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n"
    b"newpath 0 0 moveto 10 10 lineto stroke\nshowpage\n%%EOF\n"
)
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<rect width="10" height="10"/></svg>'
)
FITS = (b"SIMPLE  =                    T" + b" " * 50).ljust(2880, b" ")
