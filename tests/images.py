"""Image files for media tests, made with Pillow: a photo carrying GPS EXIF, and one bomb of
each kind (huge dimensions in a tiny PNG, too many frames, wrong magic bytes, too large)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description photoshop:City="Secretville"/></rdf:RDF></x:xmpmeta>'
)


def jpeg_with_gps(width: int = 1200, height: int = 800, *, orientation: int = 6) -> bytes:
    """A JPEG photo with GPS coordinates, a camera name, an orientation tag and XMP."""
    image = Image.new("RGB", (width, height), (30, 120, 200))
    for x in range(0, width, 40):  # some detail, so the blurhash has something to say
        image.paste((220, 40, 40), (x, 0, x + 20, height // 2))
    exif = image.getexif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "SpyCam"  # Make
    exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), xmp=XMP, quality=85)
    return out.getvalue()


def png(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 10)).save(out, "PNG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 30_000) -> bytes:
    """About a hundred kilobytes on disk, 30000x30000 pixels (900 million) when decoded: a
    valid one-bit PNG, written row by row so that making it costs no memory either."""
    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte, then the bits of one row
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def gif_with_frames(frames: int) -> bytes:
    images = [Image.new("RGB", (4, 4), (i % 256, (i * 7) % 256, 0)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=20, loop=0)
    return out.getvalue()


def svg_named_png() -> bytes:
    """Not an image format we decode, whatever the client calls it."""
    return b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def metadata_of(data: bytes) -> dict:
    """What a stored file still says besides its pixels."""
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    return {
        "exif": dict(exif),
        "gps": dict(exif.get_ifd(GPS_IFD)),
        "icc": image.info.get("icc_profile"),
        "xmp": image.info.get("xmp") or image.info.get("XML:com.adobe.xmp"),
        "size": image.size,
        "format": image.format,
    }
