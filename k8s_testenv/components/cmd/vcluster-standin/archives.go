package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// archives keeps snapshots as files under root, one per snapshot URL, as a
// bucket or registry would: s3://bucket/key, oci://repository and file://path
// outlive the vcluster; container://path lives in the vcluster's data volume
// and is removed with it.
type archives struct {
	root string
}

// archive is what a stored snapshot holds: the Helm release to recreate the
// vcluster from (as vcluster's archives do) and where it came from. The
// control plane's backing store has no stand-in: kwok pods store nothing.
type archive struct {
	Namespace string          `json:"namespace"`
	VCluster  string          `json:"vcluster"`
	Release   json.RawMessage `json:"release,omitempty"`
	TakenAt   time.Time       `json:"takenAt"`
}

// path is the file of the snapshot stored at location, taken of vcluster
// namespace/name.
func (a *archives) path(location, namespace, name string) (string, error) {
	parsed, err := url.Parse(location)
	if err != nil {
		return "", fmt.Errorf("snapshot url %q: %w", location, err)
	}
	rest := strings.TrimPrefix(parsed.Host+"/"+parsed.Path, "/")
	var dir string
	switch parsed.Scheme {
	case "s3", "oci", "file":
		dir = filepath.Join(a.root, parsed.Scheme)
	case "container":
		dir = a.volume(namespace, name)
	default:
		return "", fmt.Errorf("snapshot url %q: unsupported scheme %q", location, parsed.Scheme)
	}
	path := filepath.Join(dir, filepath.Clean("/"+strings.ReplaceAll(rest, ":", "_")))
	if rest == "" || path == dir {
		return "", fmt.Errorf("snapshot url %q names no object", location)
	}
	return path, nil
}

// volume is the directory standing in for a vcluster's data volume.
func (a *archives) volume(namespace, name string) string {
	return filepath.Join(a.root, "container", namespace, name)
}

// write stores the archive and returns its size in bytes.
func (a *archives) write(location string, content archive) (int, error) {
	path, err := a.path(location, content.Namespace, content.VCluster)
	if err != nil {
		return 0, err
	}
	data, err := json.Marshal(content)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, err
	}
	return len(data), os.WriteFile(path, data, 0o644)
}

// read returns the stored archive, or an error saying it is missing.
func (a *archives) read(location, namespace, name string) (archive, error) {
	var content archive
	path, err := a.path(location, namespace, name)
	if err != nil {
		return content, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return content, fmt.Errorf("no snapshot stored at %s", location)
	}
	if err != nil {
		return content, err
	}
	return content, json.Unmarshal(data, &content)
}

func (a *archives) remove(location, namespace, name string) error {
	path, err := a.path(location, namespace, name)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
