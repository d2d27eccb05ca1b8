"""Reads back the TensorBoard events files under DIR with Python TensorFlow.

Usage: read_events.py DIR

Prints JSON:

    {"runs": {run: {tag: [[step, value], ...]}},
     "graph": {run: n}, "graph_steps": {run: [step, ...]},
     "graph_nodes": {run: [node name, ...]},
     "other": {run: [tag of a non-scalar summary, ...]},
     "files": {run: [file name, ...]}, "version": {run: file_version}}

where run is an events file's directory relative to DIR ("." for DIR
itself); "graph" counts the events that carry a GraphDef with nodes, and
"graph_nodes" lists the nodes of the last one; values are float32 widened to
float, in file order. Non-scalar summaries (such as the model config Keras
logs as text) are only listed by tag.

Scalars come as simple_value when written by WriteScalarSummary and as a
tensor when written by tf.summary.scalar (WriteSummary); both are read.
"""

import json
import os
import sys

import tensorflow as tf


def value_of(v):
    """The value of a scalar summary, or None for any other kind."""
    kind = v.WhichOneof("value")
    if kind == "simple_value":
        return float(v.simple_value)
    if kind == "tensor":
        a = tf.make_ndarray(v.tensor)
        if a.size == 1 and a.dtype.kind in "fiub":
            return float(a.reshape(()))
    return None


def main(root):
    out = {"runs": {}, "graph": {}, "graph_steps": {}, "graph_nodes": {},
           "other": {}, "files": {}, "version": {}}
    for dirpath, _, filenames in sorted(os.walk(root)):
        events = sorted(f for f in filenames if "tfevents" in f)
        if not events:
            continue
        run = os.path.relpath(dirpath, root)
        out["files"][run] = events
        tags = out["runs"].setdefault(run, {})
        graphs = 0
        for name in events:
            for e in tf.compat.v1.train.summary_iterator(os.path.join(dirpath, name)):
                if e.HasField("file_version"):
                    out["version"][run] = e.file_version
                if e.HasField("graph_def"):
                    g = tf.compat.v1.GraphDef()
                    g.ParseFromString(e.graph_def)
                    if g.node:
                        graphs += 1
                        out["graph_steps"].setdefault(run, []).append(e.step)
                        out["graph_nodes"][run] = [n.name for n in g.node]
                for v in e.summary.value:
                    x = value_of(v)
                    if x is None:
                        out["other"].setdefault(run, []).append(v.tag)
                    else:
                        tags.setdefault(v.tag, []).append([e.step, x])
        out["graph"][run] = graphs
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
