//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	attrpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/attr_value_go_proto"
	graphpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/graph_go_proto"
	nodepb "github.com/galeone/tensorflow/tensorflow/go/core/framework/node_def_go_proto"
	tensorpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/tensor_go_proto"
	shapepb "github.com/galeone/tensorflow/tensorflow/go/core/framework/tensor_shape_go_proto"
	typespb "github.com/galeone/tensorflow/tensorflow/go/core/framework/types_go_proto"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/gokeras/fashion/internal/tflog"
	"github.com/gokeras/fashion/savedmodel"
)

// The end-to-end tests of hostile and mistaken input: special files, images
// that would exhaust memory, signals while predict is stuck, file names
// that are not UTF-8, and models whose outputs are not probabilities or
// whose graph reaches outside the process. The models are the trained test
// model with its serving graph edited (editedModel), so no Python is needed.

// addressSpace is the address-space limit (ulimit -v) the issue saw predict
// die under on the 1×50,000,000 PNG, losing the other files' results.
const addressSpace = 3 << 30

func TestEndToEndHostileFiles(t *testing.T) {
	model := trainedModel(t)
	img := userImages(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.png")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	strip := filepath.Join(dir, "strip.png")
	data := blackStripPNG(t, 1, 50_000_000)
	require.Less(t, len(data), 100_000, "the issue's file is 97 KB")
	require.NoError(t, os.WriteFile(strip, data, 0o644))

	args := []string{"-model", model, img["sneaker.png"], fifo, strip, "/dev/zero", img["bag.png"]}
	cmd, ctx := predictCommand(t, args...)
	// Under the limit, through the shell's ulimit, as exec.Cmd
	// sets no resource limits.
	cmd.Args = append([]string{"/bin/sh", "-c", fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, addressSpace>>10), cmd.Path}, args...)
	cmd.Path = "/bin/sh"
	code, stdout, stderr := runPredict(t, cmd, ctx, args)

	assert.Equal(t, 1, code, "some files failed; stderr:\n%s", stderr)
	out := lines(stdout)
	require.Len(t, out, 2, "the good files' results:\n%s", stdout)
	assert.Regexp(t, topLine(img["sneaker.png"], "Sneaker", 3), out[0])
	assert.Regexp(t, topLine(img["bag.png"], "Bag", 3), out[1])
	assert.Equal(t, []string{
		"predict: " + fifo + ": is a named pipe (FIFO), not a regular file",
		"predict: " + strip + ": image of 1×50000000 pixels would take 3.0 GiB of memory to decode and prepare, more than the 256 MiB limit per image",
		"predict: /dev/zero: is a character device, not a regular file",
	}, lines(stderr))
}

// hangingPredict starts predict with the hanging model (hangVar) on a good
// image, waits until it hangs, and returns it with the rest of its stderr
// to come on lines.
func hangingPredict(t *testing.T) (*exec.Cmd, <-chan string) {
	t.Helper()
	model := trainedModel(t)
	img := userImages(t)
	cmd, _ := predictCommand(t, "-model", model, img["bag.png"])
	cmd.Env = append(cmd.Env, hangVar+"=1")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	rest := make(chan string, 100)
	type hang struct {
		before []string // stderr up to the hang
		hung   bool
	}
	hangs := make(chan hang, 1)
	go func() {
		defer close(rest)
		scanner := bufio.NewScanner(stderr)
		var before []string
		for scanner.Scan() {
			if line := scanner.Text(); line != hangLine {
				before = append(before, line)
				continue
			}
			hangs <- hang{before, true}
			for scanner.Scan() {
				rest <- scanner.Text()
			}
			return
		}
		hangs <- hang{before, false}
	}()
	h := <-hangs
	require.True(t, h.hung, "predict ended without hanging; stderr: %q", h.before)
	own, _ := tflog.Split(strings.Join(h.before, "\n"))
	require.Empty(t, own, "predict's own lines before it hung")
	return cmd, rest
}

// SIGINT and SIGTERM stop predict within a second even in what cannot be
// interrupted, a model whose graph never finishes.
func TestEndToEndSignalStopsHungModel(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, rest := hangingPredict(t)
			require.NoError(t, cmd.Process.Signal(sig))
			sent := time.Now()
			exited := make(chan error, 1)
			go func() {
				var after []string
				for line := range rest { // ends when predict exits and stderr closes
					after = append(after, line)
				}
				err := cmd.Wait()
				own, _ := tflog.Split(strings.Join(after, "\n"))
				assert.Equal(t, []string{"predict: interrupted"}, own)
				exited <- err
			}()
			select {
			case <-exited:
			case <-time.After(time.Minute): // failure guard only
				cmd.Process.Kill()
				t.Fatalf("predict still running a minute after %v", sig)
			}
			elapsed := time.Since(sent)
			assert.Less(t, elapsed, time.Second, "exit after %v", sig)
			assert.Equal(t, exitInterrupted, cmd.ProcessState.ExitCode(), cmd.ProcessState.String())
		})
	}
}

// run itself stops between steps when its context is cancelled.
func TestRunInterrupted(t *testing.T) {
	model := trainedModel(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr strings.Builder
	code := run(ctx, []string{"-model", model, "-test-index", "2"}, &stdout, &stderr)
	assert.Equal(t, exitInterrupted, code)
	assert.Empty(t, stdout.String())
	assert.Equal(t, "predict: interrupted\n", stderr.String())
}

// A file name that is not UTF-8 is quoted in text, and recoverable from
// JSON's file_bytes.
func TestEndToEndNonUTF8Name(t *testing.T) {
	model := trainedModel(t)
	img := userImages(t)
	good, err := os.ReadFile(img["trousers.jpg"])
	require.NoError(t, err)
	name := filepath.Join(t.TempDir(), "pantalon-\xe9t\xe9.jpg") // Latin-1
	require.NoError(t, os.WriteFile(name, good, 0o644))

	code, stdout, stderr := runBinary(t, "-model", model, "-top", "1", name)
	assert.Equal(t, 0, code, stderr)
	assert.Regexp(t, topLine(strconv.Quote(name), "Trouser", 1), strings.TrimSuffix(stdout, "\n"))

	code, stdout, stderr = runBinary(t, "-model", model, "-json", name)
	assert.Equal(t, 0, code, stderr)
	var got struct {
		File      string `json:"file"`
		FileBytes []byte `json:"file_bytes"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &got), stdout)
	assert.Equal(t, name, string(got.FileBytes), "the exact bytes")
	assert.Equal(t, strings.ToValidUTF8(name, "\uFFFD"), got.File)
}

// editedModel copies the SavedModel at src and lets edit change the graph
// of its serving MetaGraph and the tensor its serving signature outputs.
func editedModel(t *testing.T, src string, edit func(g *graphpb.GraphDef, out *corepb.TensorInfo)) string {
	t.Helper()
	return editedMetaGraph(t, src, func(mg *corepb.MetaGraphDef) {
		sig := mg.GetSignatureDef()[savedmodel.DefaultSignature]
		require.NotNil(t, sig)
		require.Len(t, sig.GetOutputs(), 1)
		for _, out := range sig.GetOutputs() {
			edit(mg.GetGraphDef(), out)
		}
	})
}

// editedMetaGraph copies the SavedModel at src and lets edit change its
// serving MetaGraph.
func editedMetaGraph(t *testing.T, src string, edit func(mg *corepb.MetaGraphDef)) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "model")
	require.NoError(t, filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	}))
	pb := filepath.Join(dst, "saved_model.pb")
	data, err := os.ReadFile(pb)
	require.NoError(t, err)
	var sm corepb.SavedModel
	require.NoError(t, proto.Unmarshal(data, &sm))
	for _, mg := range sm.GetMetaGraphs() {
		if tags := mg.GetMetaInfoDef().GetTags(); len(tags) == 1 && tags[0] == savedmodel.ServeTag {
			edit(mg)
		}
	}
	data, err = proto.Marshal(&sm)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(pb, data, 0o644))
	return dst
}

// setName points the signature's output at tensor name.
func setName(out *corepb.TensorInfo, name string) {
	out.Encoding = &corepb.TensorInfo_Name{Name: name}
}

func typeAttr(dt typespb.DataType) *attrpb.AttrValue {
	return &attrpb.AttrValue{Value: &attrpb.AttrValue_Type{Type: dt}}
}

func constNode(name string, tensor *tensorpb.TensorProto) *nodepb.NodeDef {
	return &nodepb.NodeDef{Name: name, Op: "Const", Attr: map[string]*attrpb.AttrValue{
		"dtype": typeAttr(tensor.GetDtype()),
		"value": {Value: &attrpb.AttrValue_Tensor{Tensor: tensor}},
	}}
}

func stringConst(name, s string) *nodepb.NodeDef {
	return constNode(name, &tensorpb.TensorProto{Dtype: typespb.DataType_DT_STRING, TensorShape: &shapepb.TensorShapeProto{}, StringVal: [][]byte{[]byte(s)}})
}

// nodeOf returns the node producing tensor name ("node:0") in g.
func nodeOf(t *testing.T, g *graphpb.GraphDef, name string) *nodepb.NodeDef {
	t.Helper()
	name = strings.TrimPrefix(name, "^")
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	for _, n := range g.GetNode() {
		if n.GetName() == name {
			return n
		}
	}
	require.Failf(t, "no such node", "%q", name)
	return nil
}

// logitsModel is the test model without its softmax: its outputs are the
// logits, as a model compiled with from_logits=True gives them.
func logitsModel(t *testing.T) string {
	return editedModel(t, trainedModel(t), func(g *graphpb.GraphDef, out *corepb.TensorInfo) {
		n := nodeOf(t, g, out.GetName())
		for n.GetOp() == "Identity" {
			n = nodeOf(t, g, n.GetInput()[0])
		}
		require.Equal(t, "Softmax", n.GetOp(), "the model ends in a softmax")
		setName(out, n.GetInput()[0])
	})
}

// nonFiniteModel adds +Inf, -Inf and NaN to the probabilities of classes 0,
// 1 and 2, as a model that overflowed would give them.
func nonFiniteModel(t *testing.T) string {
	return editedModel(t, trainedModel(t), func(g *graphpb.GraphDef, out *corepb.TensorInfo) {
		inf, nan := float32(math.Inf(1)), float32(math.NaN())
		g.Node = append(g.Node,
			constNode("predict_test_offsets", &tensorpb.TensorProto{
				Dtype:       typespb.DataType_DT_FLOAT,
				TensorShape: &shapepb.TensorShapeProto{Dim: []*shapepb.TensorShapeProto_Dim{{Size: 10}}},
				FloatVal:    []float32{inf, -inf, nan, 0, 0, 0, 0, 0, 0, 0},
			}),
			&nodepb.NodeDef{Name: "predict_test_nonfinite", Op: "AddV2", Input: []string{out.GetName(), "predict_test_offsets"},
				Attr: map[string]*attrpb.AttrValue{"T": typeAttr(typespb.DataType_DT_FLOAT)}})
		setName(out, "predict_test_nonfinite:0")
	})
}

// writingModel writes file every time it classifies: its output passes
// through an Identity that depends on a WriteFile, as a model's author can
// arrange for any serving function.
func writingModel(t *testing.T, file string) string {
	return editedModel(t, trainedModel(t), func(g *graphpb.GraphDef, out *corepb.TensorInfo) {
		g.Node = append(g.Node,
			stringConst("predict_test_name", file),
			stringConst("predict_test_contents", "written by the model\n"),
			&nodepb.NodeDef{Name: "predict_test_write", Op: "WriteFile", Input: []string{"predict_test_name", "predict_test_contents"}},
			&nodepb.NodeDef{Name: "predict_test_output", Op: "Identity", Input: []string{out.GetName(), "^predict_test_write"},
				Attr: map[string]*attrpb.AttrValue{"T": typeAttr(typespb.DataType_DT_FLOAT)}})
		setName(out, "predict_test_output:0")
	})
}

// scoreLine matches a text result of n scores.
func scoreLine(name string, n int) *regexp.Regexp {
	const score = `[A-Z][A-Za-z/ -]+ score (-?\d[\d.]*(e[+-]\d+)?|[+-]Inf|NaN)`
	return regexp.MustCompile(fmt.Sprintf(`^%s: %s(, %s){%d}$`, regexp.QuoteMeta(name), score, score, n-1))
}

// A model whose outputs are not probabilities gets scores, not
// percentages; non-finite ones keep the JSON valid.
func TestEndToEndScores(t *testing.T) {
	img := userImages(t)
	t.Run("logits", func(t *testing.T) {
		model := logitsModel(t)
		code, stdout, stderr := runBinary(t, "-model", model, img["trousers.jpg"])
		assert.Equal(t, 0, code, stderr)
		assert.Regexp(t, scoreLine(img["trousers.jpg"], 3), strings.TrimSuffix(stdout, "\n"))
		assert.True(t, strings.HasPrefix(stdout, img["trousers.jpg"]+": Trouser score "), "the logits rank as the probabilities did: %s", stdout)

		code, stdout, stderr = runBinary(t, "-model", model, "-json", img["trousers.jpg"])
		assert.Equal(t, 0, code, stderr)
		var got struct {
			NotProbabilities bool `json:"not_probabilities"`
			Top              []map[string]any
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &got), stdout)
		assert.True(t, got.NotProbabilities, stdout)
		require.Len(t, got.Top, 3)
		for _, g := range got.Top {
			assert.Contains(t, g, "score")
			assert.NotContains(t, g, "probability")
		}
	})
	t.Run("non-finite", func(t *testing.T) {
		model := nonFiniteModel(t)
		code, stdout, stderr := runBinary(t, "-model", model, "-top", "10", img["bag.png"])
		assert.Equal(t, 0, code, stderr)
		assert.Regexp(t, scoreLine(img["bag.png"], 10), strings.TrimSuffix(stdout, "\n"))
		assert.True(t, strings.HasPrefix(stdout, img["bag.png"]+": T-shirt/top score +Inf, "), stdout)
		assert.True(t, strings.HasSuffix(stdout, ", Trouser score -Inf, Pullover score NaN\n"), stdout)

		code, stdout, stderr = runBinary(t, "-model", model, "-json", "-top", "10", img["bag.png"], img["empty.png"])
		assert.Equal(t, 1, code, stderr)
		out := lines(stdout)
		require.Len(t, out, 2, "the stream goes on after the non-finite values:\n%s", stdout)
		var got struct {
			Top []struct {
				Class     string   `json:"class"`
				Score     *float64 `json:"score"`
				NonFinite string   `json:"non_finite"`
			}
		}
		require.NoError(t, json.Unmarshal([]byte(out[0]), &got), out[0])
		require.Len(t, got.Top, 10)
		first, last := got.Top[0], got.Top[9]
		assert.Equal(t, "T-shirt/top", first.Class)
		assert.Nil(t, first.Score)
		assert.Equal(t, "Infinity", first.NonFinite)
		assert.Equal(t, "Pullover", last.Class)
		assert.Nil(t, last.Score)
		assert.Equal(t, "NaN", last.NonFinite)
		assert.Equal(t, "-Infinity", got.Top[8].NonFinite)
		assert.Contains(t, out[0], `"score":null,"non_finite":"Infinity"`)
		assert.Equal(t, fmt.Sprintf(`{"file":%q,"error":"empty file"}`, img["empty.png"]), out[1])
	})
}

// A model whose graph reaches outside the process is not run unless the
// user says they trust it; then it is, side effects and all.
func TestEndToEndTrustModel(t *testing.T) {
	img := userImages(t)
	written := filepath.Join(t.TempDir(), "written-by-the-model.txt")
	model := writingModel(t, written)

	code, stdout, stderr := runBinary(t, "-model", model, img["bag.png"])
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	assert.Equal(t, "predict: -model "+model+`: not run: op WriteFile (node "predict_test_write", reached from the "serving_default" signature) `+
		"is not on the allow-list of pure computation ops, and could act outside the model (files, network, processes); "+
		"a SavedModel is a program: rerun with -trust-model only if you trust the model's author as you would trust a program from them\n", stderr)
	assert.NoFileExists(t, written, "the graph was not run")

	code, stdout, stderr = runBinary(t, "-model", model, "-trust-model", img["bag.png"])
	assert.Equal(t, 0, code, stderr)
	assert.Regexp(t, topLine(img["bag.png"], "Bag", 3), strings.TrimSuffix(stdout, "\n"))
	content, err := os.ReadFile(written)
	require.NoError(t, err, "-trust-model ran the graph, WriteFile included")
	assert.Equal(t, "written by the model\n", string(content))
}

// A model that is not a Fashion-MNIST classifier loads (savedmodel serves
// any model) but is refused before any image is read, with the message
// that names what predict needs. The edits change what the signature
// declares, which is all predict looks at.
func TestEndToEndModelItCannotClassify(t *testing.T) {
	dims := func(d ...int64) *shapepb.TensorShapeProto {
		p := &shapepb.TensorShapeProto{}
		for _, n := range d {
			p.Dim = append(p.Dim, &shapepb.TensorShapeProto_Dim{Size: n})
		}
		return p
	}
	only := func(m map[string]*corepb.TensorInfo) *corepb.TensorInfo {
		require.Len(t, m, 1)
		for _, v := range m {
			return v
		}
		return nil
	}
	for _, tc := range []struct {
		name string
		edit func(sig *corepb.SignatureDef)
		want string // after `signature "serving_default": ` unless it starts with "no "
	}{
		{"32×32 input", func(sig *corepb.SignatureDef) { only(sig.Inputs).TensorShape = dims(-1, 32, 32) },
			"input shape [-1 32 32], want [-1 28 28] or [-1 784]"},
		{"input of unknown rank", func(sig *corepb.SignatureDef) {
			only(sig.Inputs).TensorShape = &shapepb.TensorShapeProto{UnknownRank: true}
		}, "input shape unknown, want [-1 28 28] or [-1 784]"},
		{"5 classes", func(sig *corepb.SignatureDef) { only(sig.Outputs).TensorShape = dims(-1, 5) },
			"output shape [-1 5], want [-1 10]"},
		{"uint8 input", func(sig *corepb.SignatureDef) { only(sig.Inputs).Dtype = typespb.DataType_DT_UINT8 },
			"input dtype DT_UINT8, want DT_FLOAT"},
		{"float64 output", func(sig *corepb.SignatureDef) { only(sig.Outputs).Dtype = typespb.DataType_DT_DOUBLE },
			"output dtype DT_DOUBLE, want DT_FLOAT"},
		{"two outputs", func(sig *corepb.SignatureDef) {
			sig.Outputs["logits"] = proto.Clone(only(sig.Outputs)).(*corepb.TensorInfo)
		}, "has 2 outputs [logits probabilities], want 1"},
		{"sparse input", func(sig *corepb.SignatureDef) {
			only(sig.Inputs).Encoding = &corepb.TensorInfo_CooSparse_{CooSparse: &corepb.TensorInfo_CooSparse{
				ValuesTensorName: "images:0", IndicesTensorName: "images:0", DenseShapeTensorName: "images:0"}}
		}, "input and output must be dense tensors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			model := editedMetaGraph(t, trainedModel(t), func(mg *corepb.MetaGraphDef) {
				tc.edit(mg.GetSignatureDef()[savedmodel.DefaultSignature])
			})
			code, stdout, stderr := runInProcess("-model", model, "-test-index", "0")
			assert.Equal(t, 1, code)
			assert.Empty(t, stdout)
			assert.Equal(t, "predict: savedmodel: load "+model+`: signature "serving_default": `+tc.want+"\n", stderr)
		})
	}
	t.Run("no serving_default", func(t *testing.T) {
		model := editedMetaGraph(t, trainedModel(t), func(mg *corepb.MetaGraphDef) {
			delete(mg.GetSignatureDef(), savedmodel.DefaultSignature)
		})
		code, stdout, stderr := runInProcess("-model", model, "-test-index", "0")
		assert.Equal(t, 1, code)
		assert.Empty(t, stdout)
		assert.Equal(t, "predict: savedmodel: load "+model+`: no "serving_default" signature (it has [serving_uint8])`+"\n", stderr)
	})
}
