package serving

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/savedmodel"
)

// Options configure a Server.
type Options struct {
	// ModelName is the name clients ask for.
	ModelName string
	// BasePath holds the model's numbered version folders (1/, 2/, ...).
	BasePath string
	// PollInterval is how often BasePath is scanned for versions; 0 scans
	// once, at Start.
	PollInterval time.Duration
	// Load says how versions are loaded: by default with savedmodel's op
	// allow-list check (Trusted skips it).
	Load savedmodel.LoadOptions
	// Batching, if not nil, merges concurrent requests into batches.
	Batching *BatchingParameters
	// Limits bound requests; zero fields take DefaultLimits' values.
	Limits Limits
	// MaxConcurrentRuns bounds the TensorFlow runs in progress at once;
	// more requests wait (within their deadline). Default 2×GOMAXPROCS.
	MaxConcurrentRuns int
	// Logf receives the server's log lines (loads, swaps, failures);
	// nil discards them.
	Logf func(format string, args ...any)
	// Metrics, if not nil, records requests and loads.
	Metrics *Metrics
}

// Limits bound what one request may carry.
type Limits struct {
	// MaxRequestBytes caps a REST body (413 beyond it).
	MaxRequestBytes int64
	// MaxElements caps the tensor elements of one request, all inputs
	// together (and the JSON values of a REST body).
	MaxElements int64
	// MaxJSONDepth caps the nesting of a REST body.
	MaxJSONDepth int
}

// DefaultLimits are the limits applied when Options.Limits leaves a field 0.
var DefaultLimits = Limits{MaxRequestBytes: 64 << 20, MaxElements: 16 << 20, MaxJSONDepth: 64}

// VersionState is a version's place in its life, as GetModelStatus names it.
type VersionState int

// The states of ModelVersionStatus.State.
const (
	StateUnknown   VersionState = 0
	StateStart     VersionState = 10
	StateLoading   VersionState = 20
	StateAvailable VersionState = 30
	StateUnloading VersionState = 40
	StateEnd       VersionState = 50
)

func (s VersionState) String() string {
	switch s {
	case StateStart:
		return "START"
	case StateLoading:
		return "LOADING"
	case StateAvailable:
		return "AVAILABLE"
	case StateUnloading:
		return "UNLOADING"
	case StateEnd:
		return "END"
	}
	return "UNKNOWN"
}

// VersionStatus is one version's entry in GetModelStatus.
type VersionStatus struct {
	Version int64
	State   VersionState
	// Code and Message say why a version ended without being served (a
	// failed load); OK otherwise.
	Code    Code
	Message string
}

// Server serves one model's versions. Create it with New, Start it, and
// Close it.
type Server struct {
	opts   Options
	limits Limits
	runs   chan struct{} // semaphore of TensorFlow runs in progress

	mu       sync.Mutex
	current  *servable
	statuses map[int64]*VersionStatus
	failed   map[int64]string // version -> fingerprint of the folder that failed
	changed  chan struct{}    // closed and replaced on every status change
	closed   bool
	warnedNo bool // logged that no version exists
	pollMu   sync.Mutex
	stop     chan struct{}
	done     chan struct{}
	retiring sync.WaitGroup
}

// New checks opts and returns a server that serves nothing until Start.
func New(opts Options) (*Server, error) {
	if opts.ModelName == "" {
		return nil, errors.New("serving: no model name")
	}
	if opts.BasePath == "" {
		return nil, errors.New("serving: no model base path")
	}
	if opts.Batching != nil {
		if err := opts.Batching.validate(); err != nil {
			return nil, err
		}
	}
	lim := opts.Limits
	if lim.MaxRequestBytes <= 0 {
		lim.MaxRequestBytes = DefaultLimits.MaxRequestBytes
	}
	if lim.MaxElements <= 0 {
		lim.MaxElements = DefaultLimits.MaxElements
	}
	if lim.MaxJSONDepth <= 0 {
		lim.MaxJSONDepth = DefaultLimits.MaxJSONDepth
	}
	n := opts.MaxConcurrentRuns
	if n <= 0 {
		n = 2 * runtime.GOMAXPROCS(0)
	}
	return &Server{
		opts: opts, limits: lim, runs: make(chan struct{}, n),
		statuses: map[int64]*VersionStatus{}, failed: map[int64]string{},
		changed: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{}),
	}, nil
}

// ModelName is the name the server answers to.
func (s *Server) ModelName() string { return s.opts.ModelName }

// Limits are the limits in force.
func (s *Server) Limits() Limits { return s.limits }

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// Start scans the base path once, loading the highest loadable version (an
// error only if the base path cannot be read at all), and then, with a
// PollInterval, keeps watching it in the background until Close.
func (s *Server) Start() error {
	err := s.Poll()
	if s.opts.PollInterval <= 0 {
		close(s.done)
		return err
	}
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.opts.PollInterval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				if err := s.Poll(); err != nil {
					s.logf("%v", err)
				}
			}
		}
	}()
	return err
}

// Poll scans the base path now and loads what it should: the highest
// version above the served one that has not failed to load (as it is now),
// or, if the served version's folder is gone, the highest other one. It
// returns when that is done.
func (s *Server) Poll() error {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	versions, err := listVersions(s.opts.BasePath)
	if err != nil {
		return fmt.Errorf("serving: model %s: %w", s.opts.ModelName, err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	cur := s.current
	if len(versions) == 0 && !s.warnedNo {
		s.warnedNo = true
		s.logf("No versions of servable %s found under base path %s", s.opts.ModelName, s.opts.BasePath)
	}
	if len(versions) > 0 {
		s.warnedNo = false
	}
	s.mu.Unlock()

	curGone := cur != nil && !contains(versions, cur.version)
	for _, v := range versions { // highest first
		if cur != nil && (v == cur.version || (v < cur.version && !curGone)) {
			break
		}
		dir := filepath.Join(s.opts.BasePath, strconv.FormatInt(v, 10))
		fp := fingerprint(dir)
		s.mu.Lock()
		if s.failed[v] == fp || s.closed {
			s.mu.Unlock()
			continue
		}
		s.setStatus(v, StateLoading, OK, "")
		s.mu.Unlock()

		s.logf("Loading servable: {name: %s version: %d} from %s", s.opts.ModelName, v, dir)
		start := time.Now()
		sv, err := s.load(v, dir)
		if err != nil {
			s.mu.Lock()
			s.failed[v] = fp
			s.setStatus(v, StateEnd, Unknown, err.Error())
			s.mu.Unlock()
			s.logf("Loading servable: {name: %s version: %d} failed: %v", s.opts.ModelName, v, err)
			s.opts.Metrics.loadAttempt(s.opts.ModelName, false)
			continue
		}
		s.opts.Metrics.loadAttempt(s.opts.ModelName, true)
		s.opts.Metrics.loadLatency(s.opts.ModelName, v, time.Since(start))
		s.swapIn(sv)
		return nil
	}
	if curGone {
		s.logf("The folder of served version %d of %s is gone, and no other version could be loaded: still serving it", cur.version, s.opts.ModelName)
	}
	return nil
}

// swapIn makes sv the served version and retires the previous one; false
// if the server closed meanwhile (sv is then closed).
func (s *Server) swapIn(sv *servable) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		sv.close()
		return false
	}
	old := s.current
	s.current = sv
	s.setStatus(sv.version, StateAvailable, OK, "")
	if old != nil {
		s.retire(old)
	}
	s.mu.Unlock()
	s.logf("Successfully loaded servable version {name: %s version: %d}", s.opts.ModelName, sv.version)
	return true
}

// retire drops the server's reference to sv, which is closed once the
// requests holding it are done. s.mu must be held.
func (s *Server) retire(sv *servable) {
	s.setStatus(sv.version, StateUnloading, OK, "")
	sv.retiring = true
	s.retiring.Add(1)
	s.releaseLocked(sv)
}

func (s *Server) releaseLocked(sv *servable) {
	sv.refs--
	if sv.refs == 0 && sv.retiring && !sv.closing {
		sv.closing = true
		go func() {
			defer s.retiring.Done()
			sv.close()
			s.mu.Lock()
			s.setStatus(sv.version, StateEnd, OK, "")
			s.mu.Unlock()
			s.logf("Done unloading servable version {name: %s version: %d}", s.opts.ModelName, sv.version)
		}()
	}
}

// setStatus records a version's state; s.mu must be held.
func (s *Server) setStatus(v int64, st VersionState, code Code, msg string) {
	s.statuses[v] = &VersionStatus{Version: v, State: st, Code: code, Message: msg}
	close(s.changed)
	s.changed = make(chan struct{})
}

// Changes returns a channel closed at the next change of any version's
// status, for waiting on an event without polling.
func (s *Server) Changes() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// WaitFor waits until cond, called with the statuses after each change, is
// true, or ctx ends.
func (s *Server) WaitFor(ctx context.Context, cond func(map[int64]VersionStatus) bool) error {
	for {
		s.mu.Lock()
		snap := s.snapshotLocked()
		ch := s.changed
		s.mu.Unlock()
		if cond(snap) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

func (s *Server) snapshotLocked() map[int64]VersionStatus {
	m := make(map[int64]VersionStatus, len(s.statuses))
	for v, st := range s.statuses {
		m[v] = *st
	}
	return m
}

// ServedVersion is the version answering requests without a version, 0 and
// false if none is.
func (s *Server) ServedVersion() (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == nil {
		return 0, false
	}
	return s.current.version, true
}

// Close stops polling, waits for a load in progress, and unloads every
// version once the requests holding it are done. Requests after Close fail
// with NotFound, as TensorFlow Serving's do once a model is unloaded.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	s.mu.Unlock()
	<-s.done
	s.pollMu.Lock() // a Poll called directly
	s.pollMu.Unlock()
	s.mu.Lock()
	if s.current != nil {
		s.retire(s.current)
		s.current = nil
	}
	s.mu.Unlock()
	s.retiring.Wait()
	return nil
}

// acquire returns the servable a request for version (0 and !hasVersion
// for the latest) gets, holding a reference the caller must release.
func (s *Server) acquire(name string, version int64, hasVersion bool, label string) (*servable, error) {
	if label != "" && hasVersion {
		return nil, errorf(InvalidArgument, "Both model version (%d) and model version label (%s) cannot be supplied.", version, label)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	req := fmt.Sprintf("Latest(%s)", name)
	if hasVersion {
		req = fmt.Sprintf("Specific(%s, %d)", name, version)
	}
	if label != "" {
		return nil, errorf(InvalidArgument, "Unrecognized servable version label: %s", label)
	}
	sv := s.current
	if name != s.opts.ModelName || sv == nil || (hasVersion && sv.version != version) {
		return nil, errorf(NotFound, "Servable not found for request: %s", req)
	}
	sv.refs++
	return sv, nil
}

func (s *Server) release(sv *servable) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked(sv)
}

// Status returns the model's version statuses (GetModelStatus): all
// versions seen, or only version if hasVersion.
func (s *Server) Status(name string, version int64, hasVersion bool) ([]VersionStatus, error) {
	if name == "" {
		return nil, errorf(InvalidArgument, "Missing model name in request.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if name != s.opts.ModelName {
		if hasVersion {
			return nil, errorf(NotFound, "Could not find version %d of model %s", version, name)
		}
		return nil, errorf(NotFound, "Could not find any versions of model %s", name)
	}
	if hasVersion {
		st, ok := s.statuses[version]
		if !ok {
			return nil, errorf(NotFound, "Could not find version %d of model %s", version, name)
		}
		return []VersionStatus{*st}, nil
	}
	if len(s.statuses) == 0 {
		return nil, errorf(NotFound, "Could not find any versions of model %s", name)
	}
	out := make([]VersionStatus, 0, len(s.statuses))
	for _, st := range s.statuses {
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version > out[j].Version })
	return out, nil
}

// listVersions returns the numbered folders of base, highest first.
func listVersions(base string) ([]int64, error) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, e := range entries {
		v, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil || v < 0 {
			continue
		}
		info, err := os.Stat(filepath.Join(base, e.Name())) // follows links
		if err != nil || !info.IsDir() {
			continue
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] > out[j] })
	return out, nil
}

func contains(vs []int64, v int64) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

// fingerprint identifies the content of a version folder well enough to
// retry a failed load once the folder changes (a copy completed).
func fingerprint(dir string) string {
	var fp string
	for _, name := range []string{".", "saved_model.pb", "saved_model.pbtxt", "variables", "variables/variables.index"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			fp += "-;"
			continue
		}
		if err != nil {
			fp += "?;"
			continue
		}
		fp += fmt.Sprintf("%d,%d;", info.Size(), info.ModTime().UnixNano())
	}
	return fp
}

// servable is one loaded version.
type servable struct {
	name    string
	version int64
	sess    *savedmodel.Model
	batcher *batcher // nil without batching

	refs     int  // under Server.mu; 1 for the server while served
	retiring bool // under Server.mu
	closing  bool // under Server.mu: close has begun
}

// load loads, warms up and returns version v, holding the server's
// reference.
func (s *Server) load(v int64, dir string) (*servable, error) {
	sess, err := savedmodel.LoadWithOptions(dir, s.opts.Load)
	if err != nil {
		return nil, err
	}
	sv := &servable{name: s.opts.ModelName, version: v, sess: sess, refs: 1}
	if s.opts.Batching != nil {
		sv.batcher = newBatcher(*s.opts.Batching, func(sig string, feeds map[string]*Tensor, fetch []string) ([]*Tensor, error) {
			return s.runDirect(context.Background(), sv, sig, feeds, fetch)
		})
	}
	s.warmup(sv)
	return sv, nil
}

// warmup runs each signature whose inputs have fully known inner
// dimensions once on a batch of one zero (or empty-string) example, so the
// first client does not pay for TensorFlow's first-run setup. A failure is
// logged, not fatal: zeros are not every model's valid input.
func (s *Server) warmup(sv *servable) {
	start := time.Now()
	for _, sig := range sv.sess.Signatures() {
		feeds := map[string]*Tensor{}
		ok := true
		for _, in := range sig.Inputs {
			if in.UnknownRank || !supported(in.DType) {
				ok = false
				break
			}
			shape := append([]int64(nil), in.Shape...)
			for i, d := range shape {
				if d < 0 {
					if i > 0 {
						ok = false
					}
					shape[i] = 1
				}
			}
			t := &Tensor{DType: in.DType, Shape: shape}
			n := numElements(shape)
			if n > 1<<20 {
				ok = false
				break
			}
			if in.DType == tf.String {
				t.Strings = make([]string, n)
			} else {
				t.Data = make([]byte, n*int64(ElemSize(in.DType)))
			}
			feeds[in.Name] = t
		}
		if !ok {
			continue
		}
		fetch := make([]string, len(sig.Outputs))
		for i, o := range sig.Outputs {
			fetch[i] = o.Name
		}
		if _, err := s.runDirect(context.Background(), sv, sig.Key, feeds, fetch); err != nil {
			s.logf("Warm-up of signature %q of version %d failed (serving it anyway): %v", sig.Key, sv.version, err)
		}
	}
	s.opts.Metrics.warmupLatency(s.opts.ModelName, sv.version, time.Since(start))
}

// close drains the batcher and closes the session.
func (sv *servable) close() {
	if sv.batcher != nil {
		sv.batcher.close()
	}
	sv.sess.Close()
}
