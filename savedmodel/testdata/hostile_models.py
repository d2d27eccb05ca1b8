"""Writes SavedModels whose serving signatures do more than compute.

usage: hostile_models.py OUT_DIR SIDE_DIR

Each model is a Fashion-MNIST-shaped classifier (float32 [None, 28, 28] in,
float32 [None, 10] "probabilities" out, the serving_default signature) that
Go's savedmodel.Load would accept on shapes alone, but whose graph also does
something a model should not: writes or reads a file, prints to a file,
calls back into Python, aborts the process, asserts. The test checks Load
refuses each one before TensorFlow runs any of it. Files the models would
write go under SIDE_DIR, named after the model, so the test can tell
whether anything ran.

OUT_DIR/<kind> for each kind below. Prints "RESULT {json}" with the kinds.
"""

import json
import os
import sys


def main():
    out_dir, side_dir = sys.argv[1:3]

    import tensorflow as tf

    spec = tf.TensorSpec([None, 28, 28], tf.float32, name="images")

    def classify(w, images):
        return tf.nn.softmax(tf.matmul(tf.reshape(images, [-1, 784]), w))

    def side(kind):
        return os.path.join(side_dir, kind + ".txt")

    # Each TF2 kind is the body of the serving function: it does its extra
    # work and returns the probabilities.
    def write_file(self, images):
        tf.io.write_file(side("write_file"), "written by the model")
        return classify(self.w, images)

    def read_file(self, images):
        n = tf.strings.length(tf.io.read_file("/etc/hostname"))
        return classify(self.w, images) + tf.cast(n, tf.float32) * 0

    def print_to_file(self, images):
        tf.print("printed by the model", output_stream="file://" + side("print_to_file"))
        return classify(self.w, images)

    def print_to_stderr(self, images):
        tf.print("printed by the model", output_stream=sys.stderr)
        return classify(self.w, images)

    def assert_(self, images):
        tf.debugging.Assert(tf.reduce_all(images >= 0), [images])
        return classify(self.w, images)

    def abort(self, images):
        tf.raw_ops.Abort(error_msg="aborted by the model")
        return classify(self.w, images)

    def py_function(self, images):
        images = tf.py_function(lambda x: x, [images], tf.float32)
        images.set_shape([None, 28, 28])
        return classify(self.w, images)

    def write_file_in_cond(self, images):
        def write():
            tf.io.write_file(side("write_file_in_cond"), "written by the model")
            return tf.constant(1.0)

        one = tf.cond(tf.reduce_sum(images) >= 0, write, lambda: tf.constant(1.0))
        return classify(self.w, images) * one

    def plain(self, images):
        return classify(self.w, images)

    def serving_function(module, body):
        @tf.function(input_signature=[spec])
        def serve(images):
            return {"probabilities": body(module, images)}

        return serve

    tf2_kinds = {
        "write_file": write_file,
        "read_file": read_file,
        "print_to_file": print_to_file,
        "print_to_stderr": print_to_stderr,
        "assert": assert_,
        "abort": abort,
        "py_function": py_function,
        "write_file_in_cond": write_file_in_cond,
        "plain": plain,
    }
    for kind, body in tf2_kinds.items():
        module = tf.Module()
        module.w = tf.Variable(tf.random.stateless_uniform([784, 10], seed=[1, 2]))
        module.serve = serving_function(module, body)
        tf.saved_model.save(module, os.path.join(out_dir, kind), signatures={"serving_default": module.serve})

    # TF1 graphs: ops in the main graph rather than in functions, reached
    # through a control input, or run by the loader itself as the main op.
    v1 = tf.compat.v1
    for kind in ("control_dependency", "main_op"):
        with tf.Graph().as_default() as g, v1.Session(graph=g) as sess:
            images = v1.placeholder(tf.float32, [None, 28, 28], name="images")
            w = v1.get_variable("w", [784, 10], use_resource=True, initializer=v1.zeros_initializer())
            write = tf.io.write_file(side(kind), "written by the model")
            probs = classify(w, images)
            main_op = None
            if kind == "control_dependency":
                with tf.control_dependencies([write]):
                    probs = tf.identity(probs)
            else:
                main_op = write
            sess.run(v1.global_variables_initializer())
            builder = v1.saved_model.Builder(os.path.join(out_dir, kind))
            sig = v1.saved_model.predict_signature_def({"images": images}, {"probabilities": probs})
            builder.add_meta_graph_and_variables(sess, ["serve"], {"serving_default": sig}, main_op=main_op)
            builder.save()

    print("RESULT " + json.dumps({"kinds": sorted(list(tf2_kinds) + ["control_dependency", "main_op"])}), flush=True)


if __name__ == "__main__":
    main()
