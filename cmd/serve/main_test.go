package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/npy"
	"github.com/gokeras/fashion/internal/pyenv"
	"github.com/gokeras/fashion/internal/tflog"
	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/tfmodel"
)

var serveBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "serve-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serveBin = filepath.Join(dir, "serve")
	if out, err := exec.Command("go", "build", "-o", serveBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building serve: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// modelBase writes the tutorial's model (seeded, untrained) as version 1
// of a new base path.
func modelBase(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	m, err := tfmodel.NewSequential(tfmodel.Flatten(28, 28), tfmodel.Dense(128, "relu"), tfmodel.Dense(10, "softmax"))
	require.NoError(t, err)
	defer m.Close()
	require.NoError(t, m.Compile(tfmodel.DefaultCompileOptions()))
	require.NoError(t, m.Save(filepath.Join(base, "1")))
	return base
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// process is a running serve, its stderr collected line by line.
type process struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	seen  chan string // every line, as it comes
	done  chan struct{}
}

func startServe(t *testing.T, args ...string) *process {
	t.Helper()
	return startServeEnv(t, nil, args...)
}

// startServeEnv starts serve with env added to the environment.
func startServeEnv(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(serveBin, args...), seen: make(chan string, 1000), done: make(chan struct{})}
	p.cmd.Env = append(append(os.Environ(), "TF_CPP_MIN_LOG_LEVEL=1"), env...)
	stderr, err := p.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.seen <- sc.Text():
			default:
			}
		}
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

// waitLine waits for a stderr line containing s and returns it.
func (p *process) waitLine(t *testing.T, s string) string {
	t.Helper()
	timeout := time.NewTimer(2 * time.Minute)
	defer timeout.Stop()
	for {
		select {
		case l := <-p.seen:
			if strings.Contains(l, s) {
				return l
			}
		case <-p.done:
			require.Failf(t, "serve exited", "waiting for %q; stderr:\n%s", s, p.output())
		case <-timeout.C:
			require.Failf(t, "timeout", "waiting for %q; stderr:\n%s", s, p.output())
		}
	}
}

func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

func TestServeEndToEnd(t *testing.T) {
	base := modelBase(t)
	tmp := t.TempDir()
	batching := filepath.Join(tmp, "batching.txt")
	require.NoError(t, os.WriteFile(batching, []byte("max_batch_size { value: 32 }\nbatch_timeout_micros { value: 1000 }\nnum_batch_threads { value: 2 }\nmax_enqueued_batches { value: 100 }\n"), 0o644))
	monitoring := filepath.Join(tmp, "monitoring.txt")
	require.NoError(t, os.WriteFile(monitoring, []byte("prometheus_config {\n  enable: true,\n  path: \"/monitoring/prometheus/metrics\"\n}\n"), 0o644))
	grpcPort, restPort := freePort(t), freePort(t)
	p := startServe(t, "--host=127.0.0.1", fmt.Sprintf("--port=%d", grpcPort), fmt.Sprintf("--rest_api_port=%d", restPort),
		"--model_name=fashion", "--model_base_path="+base, "--enable_batching", "--batching_parameters_file="+batching,
		"--monitoring_config_file="+monitoring)
	p.waitLine(t, "Exporting HTTP/REST API at:")
	rest := fmt.Sprintf("http://127.0.0.1:%d", restPort)

	// REST with curl.
	data, err := loader.Load("")
	require.NoError(t, err, "the real Fashion-MNIST is needed")
	const n = 2
	images := data.Test.Scaled()[:n*784]
	body := filepath.Join(tmp, "body.json")
	require.NoError(t, os.WriteFile(body, []byte(instancesJSON(images, n)), 0o644))
	out, err := exec.Command("curl", "-sS", "-d", "@"+body, rest+"/v1/models/fashion:predict").Output()
	require.NoError(t, err)
	var pred struct{ Predictions [][]float64 }
	require.NoError(t, json.Unmarshal(out, &pred), "%s", out)
	require.Len(t, pred.Predictions, n)

	// gRPC with TensorFlow Serving's Python client.
	imagesPath := filepath.Join(tmp, "images.npy")
	require.NoError(t, npy.WriteFile(imagesPath, images, n, 28, 28))
	root, err := pyenv.Root()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pyOut, err := pyenv.Run(ctx, filepath.Join(root, "cmd", "serve", "testdata", "grpc_client.py"), fmt.Sprintf("127.0.0.1:%d", grpcPort), "fashion", imagesPath)
	require.NoError(t, err, "needs tensorflow-serving-api in the .venv")
	var res struct {
		Probabilities [][]float64 `json:"probabilities"`
		Version       int64       `json:"version"`
		SignatureName string      `json:"signature_name"`
		Signatures    []string    `json:"signatures"`
		InputDType    int         `json:"input_dtype"`
		States        []int       `json:"states"`
		Error         struct{ Code, Details string }
	}
	found := false
	for _, line := range strings.Split(string(pyOut), "\n") {
		if rest, ok := strings.CutPrefix(line, "RESULT "); ok {
			require.NoError(t, json.Unmarshal([]byte(rest), &res))
			found = true
		}
	}
	require.True(t, found, "no RESULT line:\n%s", pyOut)
	assert.Equal(t, int64(1), res.Version)
	assert.Equal(t, "serving_default", res.SignatureName)
	assert.Equal(t, []string{"serving_default", "serving_uint8"}, res.Signatures)
	assert.Equal(t, 1, res.InputDType) // DT_FLOAT
	assert.Equal(t, []int{30}, res.States)
	assert.Equal(t, "NOT_FOUND", res.Error.Code)
	assert.Equal(t, "Servable not found for request: Latest(no_such_model)", res.Error.Details)
	require.Len(t, res.Probabilities, n)
	for i := range pred.Predictions {
		for j := range pred.Predictions[i] {
			assert.InDelta(t, pred.Predictions[i][j], res.Probabilities[i][j], 1e-6)
		}
	}

	// Prometheus.
	resp, err := http.Get(rest + "/monitoring/prometheus/metrics")
	require.NoError(t, err)
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(metrics), `:tensorflow:serving:request_count{model_name="fashion",status="OK"}`)
	assert.Contains(t, string(metrics), `:tensorflow:serving:request_count{model_name="no_such_model",status="NOT_FOUND"} 1`)
	assert.Contains(t, string(metrics), `:tensorflow:serving:request_latency_bucket{model_name="fashion",API="predict",entrypoint="REST",le="+Inf"} 1`)

	// SIGTERM: drain and exit 0.
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	<-p.done
	err = p.cmd.Wait()
	require.NoError(t, err, "stderr:\n%s", p.output())
	own, _ := tflog.Split(p.output())
	for _, l := range own {
		assert.True(t, strings.HasPrefix(l, "serve: "), "a line that is neither serve's nor TensorFlow's: %q", l)
	}
	assert.Contains(t, own, "serve: stopped")
}

func instancesJSON(images []float32, n int) string {
	rows := make([]string, n)
	for i := range rows {
		var rs []string
		for r := 0; r < 28; r++ {
			var cs []string
			for c := 0; c < 28; c++ {
				cs = append(cs, fmt.Sprint(images[i*784+r*28+c]))
			}
			rs = append(rs, "["+strings.Join(cs, ",")+"]")
		}
		rows[i] = "[" + strings.Join(rs, ",") + "]"
	}
	return `{"instances": [` + strings.Join(rows, ",") + `]}`
}

func TestServeBadCommandLine(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	require.NoError(t, os.WriteFile(bad, []byte("max_batch_size { value: nope }"), 0o644))
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"no base path", []string{"--model_name=m"}, "serve: --model_base_path is required"},
		{"stray argument", []string{"--model_base_path=" + dir, "extra"}, `serve: unexpected arguments ["extra"]`},
		{"batching file without batching", []string{"--model_base_path=" + dir, "--batching_parameters_file=" + bad}, "serve: --batching_parameters_file needs --enable_batching"},
		{"bad batching file", []string{"--model_base_path=" + dir, "--enable_batching", "--batching_parameters_file=" + bad}, `serve: --batching_parameters_file: serving: batching parameters: max_batch_size.value: "nope" is not an integer`},
		{"bad port", []string{"--model_base_path=" + dir, "--port=70000"}, "serve: ports must be between 0 and 65535"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(serveBin, tc.args...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit)
			assert.Equal(t, 2, exit.ExitCode())
			own, _ := tflog.Split(string(out))
			assert.Equal(t, []string{tc.msg}, own)
		})
	}
}
