package main

import (
	"context"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"google.golang.org/grpc"
)

// holdVar names a hidden setting for tests: "1" makes every predict
// request, REST or gRPC, say so on stderr once the server has it and then
// wait there, in flight, until the process gets SIGUSR1. A test of the
// drain at SIGTERM waits for that line, signals, checks that new
// connections are refused while the request is still held (main logs when
// its listeners are closed), releases it and sees it answered, instead of
// guessing with a timer, so it holds on a slow machine and a fast one alike.
const holdVar = "SERVE_TEST_HOLD_PREDICT"

// hold holds predict requests until released; a nil *hold holds nothing.
type hold struct {
	logger  *log.Logger
	release chan struct{}
	stop    func()
}

// holdFromEnv returns the hold the environment asks for, or nil.
func holdFromEnv(logger *log.Logger) *hold {
	if os.Getenv(holdVar) != "1" {
		return nil
	}
	h := &hold{logger: logger, release: make(chan struct{})}
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	done := make(chan struct{})
	var once sync.Once
	h.stop = func() { once.Do(func() { signal.Stop(usr1); close(done) }) }
	go func() {
		select {
		case <-usr1:
			logger.Printf("SIGUSR1: releasing the predict requests held (%s)", holdVar)
			close(h.release)
		case <-done:
		}
	}()
	return h
}

// wait holds one request of the given kind until the release.
func (h *hold) wait(ctx context.Context, kind string) {
	h.logger.Printf("holding a %s predict request in flight until SIGUSR1 (%s)", kind, holdVar)
	select {
	case <-h.release:
	case <-ctx.Done(): // the client gave up
	}
}

// rest wraps the REST handler.
func (h *hold) rest(next http.Handler) http.Handler {
	if h == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(strings.ToLower(r.URL.Path), ":predict") {
			h.wait(r.Context(), "REST")
		}
		next.ServeHTTP(w, r)
	})
}

// grpcOptions are the gRPC server options that hold Predict calls.
func (h *hold) grpcOptions() []grpc.ServerOption {
	if h == nil {
		return nil
	}
	return []grpc.ServerOption{grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if info.FullMethod == "/tensorflow.serving.PredictionService/Predict" {
			h.wait(ctx, "gRPC")
		}
		return handler(ctx, req)
	})}
}

func (h *hold) close() {
	if h != nil {
		h.stop()
	}
}

// watchedListener is a listener that says when it has been closed: main
// logs once both servers stopped accepting connections.
type watchedListener struct {
	net.Listener
	once   sync.Once
	closed chan struct{}
}

func watchListener(l net.Listener) *watchedListener {
	return &watchedListener{Listener: l, closed: make(chan struct{})}
}

func (l *watchedListener) Close() error {
	err := l.Listener.Close()
	l.once.Do(func() { close(l.closed) })
	return err
}
