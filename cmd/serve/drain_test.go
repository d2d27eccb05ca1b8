package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	tensorpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/tensor_go_proto"
	shapepb "github.com/galeone/tensorflow/tensorflow/go/core/framework/tensor_shape_go_proto"
	typespb "github.com/galeone/tensorflow/tensorflow/go/core/framework/types_go_proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/gokeras/fashion/internal/tflog"
	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/savedmodel"
	"github.com/gokeras/fashion/serving/apis"
	"github.com/gokeras/fashion/tensor"
)

// TestServeSIGTERMDrainsRequestsInFlight holds a REST and a gRPC predict
// request in flight inside serve (SERVE_TEST_HOLD_PREDICT, see hold.go),
// sends SIGTERM, and checks, in this order and each by waiting for its
// event: serve stops accepting connections (a new one is refused on both
// ports) while the two requests are still held; released, both are answered
// in full with the model's predictions; serve then exits 0.
func TestServeSIGTERMDrainsRequestsInFlight(t *testing.T) {
	base := modelBase(t)
	data, err := loader.Load("")
	require.NoError(t, err, "the real Fashion-MNIST is needed")
	const n = 3
	images := data.Test.Scaled()[:n*784]
	m, err := savedmodel.Load(filepath.Join(base, "1"))
	require.NoError(t, err)
	direct, err := m.Predict(tensor.Float32{Shape: []int{n, 28, 28}, Data: images})
	require.NoError(t, err)
	want := direct.Data
	require.NoError(t, m.Close())

	grpcPort, restPort := freePort(t), freePort(t)
	grpcAddr, restAddr := fmt.Sprintf("127.0.0.1:%d", grpcPort), fmt.Sprintf("127.0.0.1:%d", restPort)
	p := startServeEnv(t, []string{holdVar + "=1"}, "--host=127.0.0.1", fmt.Sprintf("--port=%d", grpcPort),
		fmt.Sprintf("--rest_api_port=%d", restPort), "--model_name=fashion", "--model_base_path="+base,
		"--file_system_poll_wait_seconds=0")
	p.waitLine(t, "Exporting HTTP/REST API at:")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// A REST request, held in flight.
	type restResult struct {
		code int
		body []byte
		err  error
	}
	restDone := make(chan restResult, 1)
	go func() {
		req, err := http.NewRequestWithContext(ctx, "POST", "http://"+restAddr+"/v1/models/fashion:predict", strings.NewReader(instancesJSON(images, n)))
		if err != nil {
			restDone <- restResult{err: err}
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			restDone <- restResult{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		restDone <- restResult{resp.StatusCode, body, err}
	}()
	p.waitLine(t, "holding a REST predict request in flight")

	// A gRPC request, held in flight.
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	type grpcResult struct {
		resp *apis.PredictResponse
		err  error
	}
	grpcDone := make(chan grpcResult, 1)
	go func() {
		shape := &shapepb.TensorShapeProto{}
		for _, d := range []int64{n, 28, 28} {
			shape.Dim = append(shape.Dim, &shapepb.TensorShapeProto_Dim{Size: d})
		}
		resp, err := apis.NewPredictionServiceClient(conn).Predict(ctx, &apis.PredictRequest{
			ModelSpec: &apis.ModelSpec{Name: "fashion"},
			Inputs:    map[string]*tensorpb.TensorProto{"images": {Dtype: typespb.DataType_DT_FLOAT, TensorShape: shape, FloatVal: images}},
		})
		grpcDone <- grpcResult{resp, err}
	}()
	p.waitLine(t, "holding a gRPC predict request in flight")

	// SIGTERM: no new connections, the held requests still in flight.
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	p.waitLine(t, "listeners closed: no new connections")
	for _, addr := range []string{restAddr, grpcAddr} {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err == nil {
			c.Close()
		}
		assert.True(t, errors.Is(err, syscall.ECONNREFUSED), "a new connection to %s during the drain: %v", addr, err)
	}
	select {
	case r := <-restDone:
		require.Failf(t, "the REST request ended before it was released", "%d %s %v", r.code, r.body, r.err)
	case r := <-grpcDone:
		require.Failf(t, "the gRPC request ended before it was released", "%v", r.err)
	default:
	}

	// Released, both complete with the model's predictions.
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGUSR1))
	r := <-restDone
	require.NoError(t, r.err)
	require.Equal(t, http.StatusOK, r.code, "%s", r.body)
	var pred struct{ Predictions [][]float64 }
	require.NoError(t, json.Unmarshal(r.body, &pred), "%s", r.body)
	require.Len(t, pred.Predictions, n)
	g := <-grpcDone
	require.NoError(t, g.err)
	probs := g.resp.GetOutputs()["probabilities"].GetFloatVal()
	require.Len(t, probs, n*10)
	for i := 0; i < n; i++ {
		require.Len(t, pred.Predictions[i], 10)
		for j := 0; j < 10; j++ {
			assert.InDelta(t, want[i*10+j], pred.Predictions[i][j], 1e-6, "REST, image %d class %d", i, j)
			assert.InDelta(t, want[i*10+j], probs[i*10+j], 1e-6, "gRPC, image %d class %d", i, j)
		}
	}

	// And serve exits 0.
	<-p.done
	require.NoError(t, p.cmd.Wait(), "stderr:\n%s", p.output())
	own, _ := tflog.Split(p.output())
	for _, l := range own {
		assert.True(t, strings.HasPrefix(l, "serve: "), "a line that is neither serve's nor TensorFlow's: %q", l)
	}
	assert.Contains(t, own, "serve: stopped")
}
