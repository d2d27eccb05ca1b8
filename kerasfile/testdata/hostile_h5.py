"""Hostile model.weights.h5 files for kerasfile's tests, made with h5py.

    hostile_h5.py GOOD OUT SECRET FIFO OTHER

GOOD is the weights file of a model with layers dense and dense_1,
compiled and with Adam's state, as Go writes it. Each file written into OUT is a copy of it
in which one object reaches outside the file, the ways Keras 3 refuses
("Not allowed: H5 file with ..."): external storage in SECRET or in FIFO,
an external link into OTHER (another model's weights) or into FIFO, soft
links to a dataset or group elsewhere in the file, and a virtual dataset
whose source is FIFO. Each is a file that an unguarded reader loads
without complaint, or blocks on forever.

One more, unwritten_huge.h5, stays inside the file but lies as much: a
dataset created and never written, whose header claims 4 GiB of values
that the file does not hold (h5py allocates no storage for it; a reader
that trusts the header allocates the 4 GiB and gets the fill value).

h5py only records the names of the external files, it opens none of them,
so FIFO need not exist yet: the Go test makes it afterwards, and the
script cannot hang on it. Prints the names of the files written, as JSON.
"""

import json
import os
import shutil
import sys

import h5py

UNLIMITED = h5py.h5f.UNLIMITED  # the external file's size: "to its end"


def main(good, out, secret, fifo, other):
    os.makedirs(out, exist_ok=True)

    def variant(name, edit):
        path = os.path.join(out, name)
        shutil.copyfile(good, path)
        with h5py.File(path, "r+") as f:
            edit(f)
        return name

    def external(target, at):
        def edit(f):
            shape, dtype = f[at].shape, f[at].dtype
            del f[at]
            f.create_dataset(at, shape=shape, dtype=dtype, external=[(target, 0, UNLIMITED)])
        return edit

    def external_link(target, obj, at):
        def edit(f):
            del f[at]
            f[at] = h5py.ExternalLink(target, obj)
        return edit

    def soft_dataset(f):
        # The bias moved elsewhere in the file, a soft link in its place:
        # an unguarded reader loads the same values through the link.
        f["stash"] = f["layers/dense/vars/1"][()]
        del f["layers/dense/vars/1"]
        f["layers/dense/vars/1"] = h5py.SoftLink("/stash")

    def soft_group(f):
        f.move("layers/dense_1", "stash_group")
        f["layers/dense_1"] = h5py.SoftLink("/stash_group")

    def virtual(f):
        at = "layers/dense/vars/1"
        shape, dtype = f[at].shape, f[at].dtype
        del f[at]
        layout = h5py.VirtualLayout(shape=shape, dtype=dtype)
        layout[:] = h5py.VirtualSource(fifo, "x", shape=shape, dtype=dtype)
        f.create_virtual_dataset(at, layout)

    def unwritten(f):
        at = "layers/dense/vars/0"
        del f[at]
        f.create_dataset(at, shape=(1 << 16, 1 << 14), dtype="<f4")

    made = [
        variant("external_secret.h5", external(secret, "layers/dense/vars/0")),
        variant("external_fifo.h5", external(fifo, "layers/dense/vars/0")),
        variant("external_optimizer.h5", external(secret, "optimizer/vars/2")),
        variant("external_link.h5", external_link(other, "/layers/dense_1", "layers/dense_1")),
        variant("external_link_fifo.h5", external_link(fifo, "/x", "layers/dense_1/vars/0")),
        variant("soft_link.h5", soft_dataset),
        variant("soft_group.h5", soft_group),
        variant("virtual_fifo.h5", virtual),
        variant("unwritten_huge.h5", unwritten),
    ]
    print(json.dumps({"made": made}))


if __name__ == "__main__":
    main(*sys.argv[1:])
