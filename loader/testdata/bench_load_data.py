"""Time keras.datasets.fashion_mnist.load_data() for comparison with Go's
BenchmarkLoad, on the same data and without any network.

Run from the repository root, after `go test -bench BenchmarkLoad ./loader`:

    .venv/bin/python loader/testdata/bench_load_data.py [runs]

It fills a throwaway Keras cache (KERAS_HOME in a temporary directory, so the
real ~/.keras is never touched) with the archives Keras itself downloads,
rebuilt from Debian's dataset-fashion-mnist: Debian only dropped the file
name and time from each gzip header, so restoring them gives the originals
byte for byte, which this script checks against their published SHA-256.
That keeps load_data from trying to download, even in a Keras version that
verifies its cache. Only the load_data() call is timed, not the import.
"""

import hashlib
import os
import shutil
import statistics
import struct
import sys
import tempfile
import time

SYSTEM_DIR = "/usr/share/datasets/fashion-mnist"
# name: (mtime in the original gzip header, SHA-256 of the original archive)
ORIGINALS = {
    "train-images-idx3-ubyte": (1504176606, "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
    "train-labels-idx1-ubyte": (1504176606, "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
    "t10k-images-idx3-ubyte": (1504176627, "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
    "t10k-labels-idx1-ubyte": (1504176627, "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
}


def rebuild_original(name, mtime):
    with open(os.path.join(SYSTEM_DIR, name + ".gz"), "rb") as f:
        deb = f.read()
    if deb[:4] != b"\x1f\x8b\x08\x00":
        sys.exit(f"{name}.gz: unexpected gzip header {deb[:4].hex()}")
    return b"\x1f\x8b\x08\x08" + struct.pack("<I", mtime) + deb[8:10] + name.encode() + b"\0" + deb[10:]


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    home = tempfile.mkdtemp(prefix="keras-home-")
    try:
        cache = os.path.join(home, "datasets", "fashion-mnist")
        os.makedirs(cache)
        for name, (mtime, digest) in ORIGINALS.items():
            data = rebuild_original(name, mtime)
            if hashlib.sha256(data).hexdigest() != digest:
                sys.exit(f"{name}.gz: rebuilt archive does not match the published SHA-256")
            with open(os.path.join(cache, name + ".gz"), "wb") as f:
                f.write(data)

        os.environ["KERAS_HOME"] = home  # read once, when keras is imported
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        import keras

        times = []
        for _ in range(runs):
            t = time.perf_counter()
            (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
            times.append(time.perf_counter() - t)
        assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
        assert list(y_train[:3]) == [9, 0, 0] and y_test[0] == 9
        print(f"keras {keras.__version__} fashion_mnist.load_data() over {runs} runs: "
              f"min {min(times) * 1e3:.0f} ms, median {statistics.median(times) * 1e3:.0f} ms, "
              f"max {max(times) * 1e3:.0f} ms")
    finally:
        shutil.rmtree(home)


if __name__ == "__main__":
    main()
