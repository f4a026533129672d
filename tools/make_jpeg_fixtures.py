#!/usr/bin/env python3
"""Writes the small JPEG fixtures of Tests/IOTests/Fixtures/ (run from the repository root:
python3 tools/make_jpeg_fixtures.py; needs Pillow). Regenerate only on purpose.

jpeg_rgb.jpg          12x8 colour, baseline, quality 100, 4:4:4 (values close to the formula)
jpeg_progressive.jpg  same image, progressive
jpeg_gray.jpg         9x5 grayscale
jpeg_cmyk.jpg         4x4 CMYK (the reader must reject it with a clear error)
The Swift tests recompute the formula below and allow JPEG's small coding error.
"""
from PIL import Image

def rgb(x, y):
    return (min(255, 20 * x), min(255, 30 * y), 128)

img = Image.new("RGB", (12, 8))
img.putdata([rgb(x, y) for y in range(8) for x in range(12)])
img.save("Tests/IOTests/Fixtures/jpeg_rgb.jpg", quality=100, subsampling=0)
img.save("Tests/IOTests/Fixtures/jpeg_progressive.jpg", quality=100, subsampling=0, progressive=True)
gray = Image.new("L", (9, 5))
gray.putdata([(25 * x + 10 * y) % 256 for y in range(5) for x in range(9)])
gray.save("Tests/IOTests/Fixtures/jpeg_gray.jpg", quality=100)
Image.new("CMYK", (4, 4), (10, 20, 30, 40)).save("Tests/IOTests/Fixtures/jpeg_cmyk.jpg", quality=95)
print("wrote 4 JPEG fixtures")
