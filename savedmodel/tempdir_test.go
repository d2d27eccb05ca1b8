//go:build unix

package savedmodel_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/savedmodel"
)

// TestWriteRemovesStaleTemps: Write removes the temporaries that killed
// Writes to the same target left, and nothing else: not another process's
// save in progress (locked), not a recent one of the unlocked older naming,
// not anything named otherwise.
func TestWriteRemovesStaleTemps(t *testing.T) {
	tr := newTrained(t, fashion, 41)
	tests := []struct {
		name    string
		dir     bool // a directory, else a regular file
		locked  bool // held by flock, as a running Write holds its temporary
		age     time.Duration
		removed bool
	}{
		{name: ".model.tmp-4242-123456", dir: true, removed: true},
		{name: ".model.tmp-4242-123457.old", dir: true, removed: true},
		{name: ".model.tmp-99999", dir: true, age: 2 * time.Hour, removed: true},
		{name: ".model.tmp-99998.old", dir: true, age: 2 * time.Hour, removed: true},
		{name: ".model.tmp-99997", dir: true, age: time.Minute},
		{name: ".model.tmp-4242-123458", dir: true, locked: true},
		{name: ".model.tmp-4242-123459", dir: false},
		{name: ".model.tmp-notours", dir: true},
		{name: ".model.tmp-4242-12-3", dir: true},
		{name: ".model.tmp-4242-123460.bak", dir: true},
		{name: ".model2.tmp-4242-123461", dir: true},
		{name: ".other.tmp-4242-123462", dir: true},
		{name: "model.tmp-4242-123463", dir: true},
	}
	parent := t.TempDir()
	for _, tc := range tests {
		path := filepath.Join(parent, tc.name)
		if tc.dir {
			require.NoError(t, os.MkdirAll(filepath.Join(path, "variables"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(path, "variables", "variables.index"), []byte("x"), 0o644))
		} else {
			require.NoError(t, os.WriteFile(path, []byte("x"), 0o644))
		}
		if tc.age > 0 {
			old := time.Now().Add(-tc.age)
			require.NoError(t, os.Chtimes(path, old, old))
		}
		if tc.locked {
			f, err := os.Open(path)
			require.NoError(t, err)
			defer f.Close()
			require.NoError(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB))
		}
	}

	writeModel(t, tr, filepath.Join(parent, "model"), false)
	for _, tc := range tests {
		_, err := os.Lstat(filepath.Join(parent, tc.name))
		if tc.removed {
			assert.True(t, os.IsNotExist(err), "%s must be removed", tc.name)
		} else {
			assert.NoError(t, err, "%s must be kept", tc.name)
		}
	}
}

// TestWriteKeepsConcurrentWritersTemp: a Write to a target that another
// Write is still assembling leaves the other's temporary alone, and both
// succeed.
func TestWriteKeepsConcurrentWritersTemp(t *testing.T) {
	slow, fast := newTrained(t, fashion, 42), newTrained(t, fashion, 43)
	parent := t.TempDir()
	dir := filepath.Join(parent, "model")

	started, release := make(chan string), make(chan struct{})
	done := make(chan error)
	e := exportOf(t, slow, false)
	e.WriteVariables = func(prefix string) error {
		started <- filepath.Dir(filepath.Dir(prefix))
		<-release
		return slow.saver.Save(slow.sess, prefix)
	}
	go func() { done <- savedmodel.Write(dir, e) }()
	slowTemp := <-started
	assert.True(t, strings.HasPrefix(filepath.Base(slowTemp), ".model.tmp-"+strconv.Itoa(os.Getpid())+"-"),
		"the temporary's name carries the pid: %s", slowTemp)

	writeModel(t, fast, dir, false)
	assert.DirExists(t, slowTemp, "the running Write's temporary must survive the other Write")
	close(release)
	require.NoError(t, <-done)
	loadPredicts(t, dir, slow)
	assert.Equal(t, []string{"model"}, entries(t, parent))
}

// killedSaveEnv names the directory TestKilledSaveHelper writes to.
const killedSaveEnv = "SAVEDMODEL_TEST_KILLED_SAVE"

// TestKilledSaveHelper is the process TestWriteAfterKilledSave kills: it
// starts a Write to $SAVEDMODEL_TEST_KILLED_SAVE/model and, once the
// variables are written, says so in .../ready and waits to be killed.
func TestKilledSaveHelper(t *testing.T) {
	root := os.Getenv(killedSaveEnv)
	if root == "" {
		t.Skip("run by TestWriteAfterKilledSave")
	}
	tr := newTrained(t, fashion, 44)
	e := exportOf(t, tr, false)
	e.WriteVariables = func(prefix string) error {
		if err := tr.saver.Save(tr.sess, prefix); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(root, "ready"), nil, 0o644); err != nil {
			return err
		}
		time.Sleep(10 * time.Minute)
		return nil
	}
	require.NoError(t, savedmodel.Write(filepath.Join(root, "out", "model"), e))
}

// TestWriteAfterKilledSave: a save killed with SIGKILL midway leaves its
// hidden temporary; the next Write to the same target removes it.
func TestWriteAfterKilledSave(t *testing.T) {
	root := t.TempDir()
	parent := filepath.Join(root, "out")
	require.NoError(t, os.Mkdir(parent, 0o755))
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledSaveHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), killedSaveEnv+"="+root)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })
	require.Eventually(t, func() bool {
		_, err := os.Stat(filepath.Join(root, "ready"))
		return err == nil
	}, 2*time.Minute, 20*time.Millisecond, "the helper never got to write its variables")
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()

	left := entries(t, parent)
	require.Len(t, left, 1, "the killed save leaves its temporary")
	assert.True(t, strings.HasPrefix(left[0], ".model.tmp-"+strconv.Itoa(cmd.Process.Pid)+"-"), left[0])

	tr := newTrained(t, fashion, 45)
	writeModel(t, tr, filepath.Join(parent, "model"), false)
	assert.Equal(t, []string{"model"}, entries(t, parent), "the next Write removes the leftover")
	loadPredicts(t, filepath.Join(parent, "model"), tr)
}
