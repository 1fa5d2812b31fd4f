"""What the figure tests (test_plot.py, test_lessons.py) share: a PNG's
size from its IHDR header, a results directory's run files."""
import glob, json, os, struct


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def runs_of(d):
    return [json.load(open(p)) for p in sorted(glob.glob(os.path.join(d, "runs", "*.json")))]
