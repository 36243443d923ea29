"""Writes the image folder that ImageFolderTests reads (folder/) and what
Pillow makes of it (expected.json): every file decoded by Pillow, composed
over white, resized to 10×10 with Pillow's BOX filter (the area average at a whole factor) on
float planes, scaled to [-1, 1]; for one channel, ITU-R BT.601 luma of the
RGB first. The files mix the kinds a teacher's folder holds: grayscale and
RGB PNG and JPEG, RGBA with transparency, a palette PNG, and a file that is
not an image. Names are numbers out of order, so that the test sees seed
003's numeric sort.

    .venv-bench/bin/python Tests/DDPMTests/Images/make_image_fixtures.py   # Pillow 11 (beside torch)
"""

import json
import pathlib

import numpy as np
from PIL import Image

here = pathlib.Path(__file__).parent
folder = here / "folder"
folder.mkdir(exist_ok=True)
for old in folder.iterdir():
    old.unlink()

y, x = np.mgrid[0:20, 0:20]
rgb = np.stack([x * 12, y * 12, (x + y) * 6], axis=-1).astype(np.uint8)
gray = ((x * 7 + y * 5) % 256).astype(np.uint8)
rgba = np.dstack([rgb[..., ::-1], np.where(x < 10, 255, 64).astype(np.uint8)])

files = {
    "10.png": Image.fromarray(rgb, "RGB"),
    "2.png": Image.fromarray(gray, "L"),
    "1.jpg": Image.fromarray(rgb, "RGB"),
    "3.jpeg": Image.fromarray(gray, "L"),
    "4.png": Image.fromarray(rgba, "RGBA"),
    "20.png": Image.fromarray(rgb, "RGB").quantize(16),  # palette
}
for name, image in files.items():
    image.save(folder / name, quality=95) if name.endswith(("jpg", "jpeg")) else image.save(folder / name)
(folder / "notes.txt").write_text("not an image: imageFolder skips it\n")


def planes(path):
    image = Image.open(path)
    rgba = np.asarray(image.convert("RGBA"), dtype=np.float64)
    alpha = rgba[..., 3:] / 255
    return rgba[..., :3] * alpha + 255 * (1 - alpha)  # over white


def box(plane):
    return np.asarray(Image.fromarray(plane.astype(np.float32), "F").resize((10, 10), Image.BOX), dtype=np.float64)


order = ["1.jpg", "2.png", "3.jpeg", "4.png", "10.png", "20.png"]
expected = {"order": order, "rgb": [], "gray": []}
for name in order:
    composed = planes(folder / name)
    resized = np.stack([box(composed[..., k]) for k in range(3)])
    expected["rgb"].append((resized / 127.5 - 1).round(6).tolist())
    luma = 0.299 * composed[..., 0] + 0.587 * composed[..., 1] + 0.114 * composed[..., 2]
    expected["gray"].append([(box(luma) / 127.5 - 1).round(6).tolist()])
(here / "expected.json").write_text(json.dumps(expected))
print("wrote", folder, "and expected.json")
