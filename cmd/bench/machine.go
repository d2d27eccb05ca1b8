package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/loader"
)

// machine describes where the benchmark ran.
type machine struct {
	CPU       string   `json:"cpu"`        // /proc/cpuinfo's model name
	CPUFlags  []string `json:"cpu_flags"`  // the SIMD extensions TensorFlow's kernels use
	Cores     int      `json:"cores"`      // logical CPUs this process may use
	CPUQuota  string   `json:"cpu_quota"`  // cgroup v2 cpu.max, if limited
	MemTotal  string   `json:"mem_total"`  // /proc/meminfo
	OS        string   `json:"os"`         // /etc/os-release
	Kernel    string   `json:"kernel"`     // uname -r
	LoadAvg   string   `json:"load_avg"`   // /proc/loadavg at the start
	Load1     float64  `json:"load1"`      // its one-minute figure
	GoVersion string   `json:"go_version"` // the Go that built bench
	TFVersion string   `json:"tf_version"` // the C library's TF_Version
}

func describeMachine() (machine, error) {
	m := machine{Cores: runtime.NumCPU(), GoVersion: goVersion(), TFVersion: tf.Version()}
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPU, m.CPUFlags = parseCPUInfo(string(info))
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/cpu.max"); err == nil {
		if q := cgroupQuota(string(b)); q != "" {
			m.CPUQuota = q
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemTotal = memTotal(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		m.OS = osRelease(string(b))
	}
	var u syscall.Utsname
	if err := syscall.Uname(&u); err == nil {
		m.Kernel = utsString(u.Sysname[:]) + " " + utsString(u.Release[:]) + " " + utsString(u.Machine[:])
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = "load average " + strings.Join(f[:3], " ")
			m.Load1, _ = strconv.ParseFloat(f[0], 64)
		}
	}
	return m, nil
}

// busy says, when other work was running as the benchmark started (a
// one-minute load average above a quarter of the cores), that timings are
// likely noisy; "" otherwise.
func (m machine) busy() string {
	if m.Cores == 0 || m.Load1 <= 0.25*float64(m.Cores) {
		return ""
	}
	return fmt.Sprintf("the machine was busy (%s on %d cores at the start): timings are noisy", m.LoadAvg, m.Cores)
}

// parseCPUInfo returns the first processor's model name and which of the
// SIMD extensions that matter to TensorFlow's CPU kernels it has.
func parseCPUInfo(info string) (model string, flags []string) {
	sc := bufio.NewScanner(strings.NewReader(info))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	have := map[string]bool{}
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name":
			if model == "" {
				model = strings.TrimSpace(v)
			}
		case "flags":
			if len(have) == 0 {
				for _, f := range strings.Fields(v) {
					have[f] = true
				}
			}
		}
	}
	for _, f := range []string{"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile"} {
		if have[f] {
			flags = append(flags, f)
		}
	}
	return model, flags
}

// cgroupQuota turns cpu.max ("max 100000" or "200000 100000") into a
// number of CPUs, or "" when unlimited.
func cgroupQuota(s string) string {
	f := strings.Fields(s)
	if len(f) != 2 || f[0] == "max" {
		return ""
	}
	q, err1 := strconv.ParseFloat(f[0], 64)
	p, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil || err2 != nil || p == 0 {
		return ""
	}
	return strconv.FormatFloat(q/p, 'f', -1, 64) + " CPUs"
}

func memTotal(meminfo string) string {
	for _, line := range strings.Split(meminfo, "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
				return fmt.Sprintf("%.1f GiB", kb/(1<<20))
			}
		}
	}
	return ""
}

func osRelease(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

func utsString(b []int8) string {
	var s strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		s.WriteByte(byte(c))
	}
	return s.String()
}

func goVersion() string { return runtime.Version() }

// resolveData finds the data set as the Go side will (loader.Load's
// search), so that both sides are given the same directory.
// A directory given explicitly must hold the data: loader.Load would pass
// over a wrong one and silently benchmark another copy.
func resolveData(dir string) (string, error) {
	load := loader.Load
	if dir != "" {
		load = loader.LoadDir
	}
	d, err := load(dir)
	if err != nil {
		return "", fmt.Errorf("Fashion-MNIST: %w", err)
	}
	return d.Source.Dir, nil
}
