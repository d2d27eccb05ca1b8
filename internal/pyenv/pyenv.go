// Package pyenv finds the project's Python environment, the .venv/ that
// scripts/libtensorflow-install.sh creates at the repository root with the
// same TensorFlow build as the installed libtensorflow. Tests use it to check
// Go's results against Python TensorFlow and Keras.
package pyenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Root returns the repository root: the nearest directory above the working
// directory that holds go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("pyenv: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("pyenv: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Python returns the path of .venv/bin/python, or an error that says how to
// create it.
func Python() (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	py := filepath.Join(root, ".venv", "bin", "python")
	if _, err := os.Stat(py); err != nil {
		return "", fmt.Errorf("pyenv: %s not found: run scripts/libtensorflow-install.sh first", py)
	}
	return py, nil
}

// Run runs the venv's Python with args and returns its standard output. On
// failure the error carries standard error, which holds Python's traceback.
func Run(ctx context.Context, args ...string) ([]byte, error) {
	py, err := Python()
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, py, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Python TensorFlow's start-up chatter would bury the traceback.
	cmd.Env = append(os.Environ(), "TF_CPP_MIN_LOG_LEVEL=2", "PYTHONUNBUFFERED=1")
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("pyenv: %s %v: %w\n%s", py, args, err, stderr.Bytes())
	}
	return stdout.Bytes(), nil
}
