"""What the figure tests (test_plot.py, test_lessons.py) share: a PNG's
size from its IHDR header, a results directory's run files."""
import glob, json, os, struct


class Checks:
    """Counted checks: `check(ok, what, expected, actual)` prints a FAIL
    line with both values; passed and failed for the last line."""

    def __init__(self, verbose=False):
        self.passed = self.failed = 0
        self.verbose = verbose

    def check(self, ok, what, expected, actual):
        if ok:
            self.passed += 1
            if self.verbose:
                print(f"  ok   {what}")
        else:
            self.failed += 1
            print(f"    FAIL: {what}: expected {expected}, actual {actual}")


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def runs_of(d):
    return [json.load(open(p)) for p in sorted(glob.glob(os.path.join(d, "runs", "*.json")))]


def gif_frames(path):
    """An animated GIF's frames, read from its blocks (no image library):
    (screen width, height, loop count or None, [(delay_cs, w, h), ...]);
    None when it is no GIF89a.  Each frame is an image descriptor (0x2C),
    its delay from the graphic control extension (0x21 0xF9) before it."""
    with open(path, "rb") as f:
        b = f.read()
    if b[:6] != b"GIF89a":
        return None
    sw, sh, flags = struct.unpack("<HHB", b[6:11])
    i = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    frames, delay, loop = [], None, None

    def skip_sub(i):  # data sub-blocks up to the 0 terminator
        while b[i]:
            i += b[i] + 1
        return i + 1

    while i < len(b):
        if b[i] == 0x3B:  # trailer
            break
        if b[i] == 0x21:  # extension
            label = b[i + 1]
            if label == 0xF9:
                delay = struct.unpack("<H", b[i + 4:i + 6])[0]
            elif label == 0xFF and b[i + 3:i + 14] == b"NETSCAPE2.0":
                loop = struct.unpack("<H", b[i + 16:i + 18])[0]
            i = skip_sub(i + 2)
        elif b[i] == 0x2C:  # image descriptor
            w, h, fl = struct.unpack("<HHB", b[i + 5:i + 10])
            i += 10 + (3 << ((fl & 7) + 1) if fl & 0x80 else 0)
            i = skip_sub(i + 1)  # LZW minimum code size, then the data
            frames.append((delay, w, h))
            delay = None
        else:
            raise ValueError(f"{path}: byte {i}: 0x{b[i]:02x} starts no GIF block")
    return sw, sh, loop, frames
