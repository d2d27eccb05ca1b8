// Command serve is a model server that TensorFlow Serving's clients talk to
// unchanged: it serves any SavedModel (cmd/train's, Keras's model.export, or
// any TensorFlow SavedModel with a serving_default signature) from a base
// path of numbered version folders, with TensorFlow Serving's command line,
// its REST API and its gRPC PredictionService and ModelService, on
// TensorFlow's own kernels through the C API.
//
//	go run ./cmd/serve --model_name=fashion --model_base_path=/models/fashion
//
// See README.md, section Serving, and serve -h.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"google.golang.org/grpc"

	"github.com/gokeras/fashion/serving"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stderr))
}

type config struct {
	grpcPort, restPort  int
	host                string
	modelName, basePath string
	pollSeconds         int
	enableBatching      bool
	batchingFile        string
	monitoringFile      string
	restTimeoutMS       int64
	trustModel          bool
	maxRequestBytes     int64
	maxRequestElements  int64
	drainTimeout        time.Duration
	maxConcurrentRuns   int
	grpcMaxMessageBytes int
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.grpcPort, "port", 8500, "port to listen on for gRPC (PredictionService, ModelService); 0 for one the system picks")
	fs.IntVar(&c.restPort, "rest_api_port", 8501, "port to listen on for the HTTP/REST API; 0 turns REST off, as in TensorFlow Serving")
	fs.StringVar(&c.host, "host", "", "address to listen on; empty for all interfaces, as TensorFlow Serving does (127.0.0.1 for this machine only)")
	fs.StringVar(&c.modelName, "model_name", "default", "name of the model, as clients ask for it")
	fs.StringVar(&c.basePath, "model_base_path", "", "folder of numbered version folders (1/, 2/, ...), each a SavedModel; the highest loadable one is served")
	fs.IntVar(&c.pollSeconds, "file_system_poll_wait_seconds", 1, "seconds between scans of --model_base_path for new versions; 0 scans only at start")
	fs.BoolVar(&c.enableBatching, "enable_batching", false, "merge concurrent requests into batches")
	fs.StringVar(&c.batchingFile, "batching_parameters_file", "", "batching parameters in protobuf text format (max_batch_size, batch_timeout_micros, num_batch_threads, max_enqueued_batches, allowed_batch_sizes)")
	fs.StringVar(&c.monitoringFile, "monitoring_config_file", "", "monitoring config in protobuf text format: prometheus_config { enable: true, path: \"/monitoring/prometheus/metrics\" }")
	fs.Int64Var(&c.restTimeoutMS, "rest_api_timeout_in_ms", 30000, "timeout of each REST request, in milliseconds")
	fs.BoolVar(&c.trustModel, "trust_model", false, "run every op the model's graph holds, even ops that reach outside the process (files, network, processes): a SavedModel is a program; without it, models reaching ops off savedmodel's allow-list are refused")
	fs.Int64Var(&c.maxRequestBytes, "max_request_bytes", serving.DefaultLimits.MaxRequestBytes, "largest REST body (413 beyond) and gRPC message accepted")
	fs.Int64Var(&c.maxRequestElements, "max_request_elements", serving.DefaultLimits.MaxElements, "most tensor elements (and JSON values) in one request")
	fs.DurationVar(&c.drainTimeout, "drain_timeout", 30*time.Second, "on SIGTERM or SIGINT, how long to let requests in flight finish")
	fs.IntVar(&c.maxConcurrentRuns, "max_concurrent_runs", 0, "TensorFlow runs in progress at once (0: twice the CPUs); more requests wait")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: serve --model_base_path=DIR [--model_name=NAME] [--port=8500] [--rest_api_port=8501] [flags]

Serves the SavedModel versions under DIR (numbered folders) with TensorFlow
Serving's REST API (GET /v1/models/NAME, GET /v1/models/NAME/metadata,
POST /v1/models/NAME[/versions/N]:predict) and gRPC services
(tensorflow.serving.PredictionService Predict and GetModelMetadata,
ModelService GetModelStatus). SIGTERM drains requests in flight and exits 0.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.basePath == "" {
		return nil, errors.New("--model_base_path is required")
	}
	if c.grpcPort < 0 || c.grpcPort > 65535 || c.restPort < 0 || c.restPort > 65535 {
		return nil, errors.New("ports must be between 0 and 65535")
	}
	if c.batchingFile != "" && !c.enableBatching {
		return nil, errors.New("--batching_parameters_file needs --enable_batching")
	}
	return c, nil
}

// run is the whole command; it returns the exit status: 0 after a clean
// shutdown on a signal, 2 for a bad command line, 1 for other failures.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	logger := log.New(stderr, "serve: ", 0)
	c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		logger.Print(err)
		return 2
	}
	opts := serving.Options{
		ModelName:         c.modelName,
		BasePath:          c.basePath,
		PollInterval:      time.Duration(c.pollSeconds) * time.Second,
		Logf:              logger.Printf,
		Metrics:           serving.NewMetrics(),
		Limits:            serving.Limits{MaxRequestBytes: c.maxRequestBytes, MaxElements: c.maxRequestElements},
		MaxConcurrentRuns: c.maxConcurrentRuns,
	}
	opts.Load.Trusted = c.trustModel
	if abs, err := filepath.Abs(c.basePath); err == nil {
		opts.BasePath = abs
	}
	if c.enableBatching {
		p := serving.DefaultBatchingParameters()
		if c.batchingFile != "" {
			text, err := os.ReadFile(c.batchingFile)
			if err == nil {
				p, err = serving.ParseBatchingParameters(text)
			}
			if err != nil {
				logger.Printf("--batching_parameters_file: %v", err)
				return 2
			}
		}
		opts.Batching = &p
	}
	var monitoring serving.MonitoringConfig
	if c.monitoringFile != "" {
		text, err := os.ReadFile(c.monitoringFile)
		if err == nil {
			monitoring, err = serving.ParseMonitoringConfig(text)
		}
		if err != nil {
			logger.Printf("--monitoring_config_file: %v", err)
			return 2
		}
	}

	srv, err := serving.New(opts)
	if err != nil {
		logger.Print(err)
		return 2
	}
	if err := srv.Start(); err != nil {
		logger.Print(err)
		srv.Close()
		return 1
	}
	defer srv.Close()
	held := holdFromEnv(logger)
	defer held.close()

	// gRPC.
	lis, err := net.Listen("tcp", net.JoinHostPort(c.host, strconv.Itoa(c.grpcPort)))
	if err != nil {
		logger.Printf("gRPC: %v", err)
		return 1
	}
	grpcLis := watchListener(lis)
	msgLimit := int(min(c.maxRequestBytes, 1<<31-1))
	g := grpc.NewServer(append(held.grpcOptions(), grpc.MaxRecvMsgSize(msgLimit), grpc.MaxSendMsgSize(1<<31-1))...)
	srv.RegisterGRPC(g)
	grpcDone := make(chan error, 1)
	go func() { grpcDone <- g.Serve(grpcLis) }()
	logger.Printf("Running gRPC ModelServer at %s ...", grpcLis.Addr())

	// REST and metrics.
	var httpSrv *http.Server
	var restLis *watchedListener
	httpDone := make(chan error, 1)
	if c.restPort != 0 {
		mux := http.NewServeMux()
		mux.Handle("/", held.rest(srv.RESTHandler(serving.RESTOptions{Timeout: time.Duration(c.restTimeoutMS) * time.Millisecond})))
		if monitoring.PrometheusEnable {
			mux.Handle(monitoring.PrometheusPath, opts.Metrics.Handler(monitoring.PrometheusPath))
		}
		lis, err := net.Listen("tcp", net.JoinHostPort(c.host, strconv.Itoa(c.restPort)))
		if err != nil {
			logger.Printf("REST: %v", err)
			g.Stop()
			return 1
		}
		restLis = watchListener(lis)
		httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(stderr, "serve: http: ", 0)}
		go func() { httpDone <- httpSrv.Serve(restLis) }()
		logger.Printf("Exporting HTTP/REST API at:%s ...", restLis.Addr())
		if monitoring.PrometheusEnable {
			logger.Printf("Prometheus metrics at http://%s%s", restLis.Addr(), monitoring.PrometheusPath)
		}
	}

	status := 0
	select {
	case <-ctx.Done():
		logger.Print("shutting down: draining requests in flight")
	case err := <-grpcDone:
		logger.Printf("gRPC server stopped: %v", err)
		status = 1
	case err := <-httpDone:
		logger.Printf("REST server stopped: %v", err)
		status = 1
	}
	drain, cancel := context.WithTimeout(context.Background(), c.drainTimeout)
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		g.GracefulStop()
		close(stopped)
	}()
	restDrained := make(chan error, 1)
	if httpSrv != nil {
		go func() { restDrained <- httpSrv.Shutdown(drain) }()
	} else {
		restDrained <- nil
	}
	// Both servers close their listeners first, then wait for what is in
	// flight: say when no new connection can come in.
	listenersClosed := func() bool {
		select {
		case <-grpcLis.closed:
		case <-drain.Done():
			return false
		}
		if restLis != nil {
			select {
			case <-restLis.closed:
			case <-drain.Done():
				return false
			}
		}
		return true
	}
	if listenersClosed() {
		logger.Print("listeners closed: no new connections; waiting for requests in flight")
	}
	if err := <-restDrained; err != nil {
		logger.Printf("REST shutdown: %v", err)
		status = 1
	}
	select {
	case <-stopped:
	case <-drain.Done():
		g.Stop()
		logger.Print("gRPC shutdown: drain timeout")
		status = 1
	}
	srv.Close()
	logger.Print("stopped")
	return status
}
