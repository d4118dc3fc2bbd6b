package openvcluster_test

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	openvcluster "github.com/turtacn/open-vcluster-api/sdk/go"
)

const modulePath = "github.com/turtacn/open-vcluster-api/sdk/go"

// TestPackaging publishes this module, as it is in the working tree, to a
// file-based module proxy and has a fresh module outside the repository `go
// get` it from there, then builds the lifecycle example against it and runs
// it against the reference server: what a user of a release gets.
func TestPackaging(t *testing.T) {
	if testing.Short() {
		t.Skip("packaging test: builds a module from a local proxy (skipped with -short)")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	t.Parallel()
	version := "v" + openvcluster.Version
	work := t.TempDir()
	proxy := filepath.Join(work, "proxy")
	writeProxy(t, proxy, version)

	consumer := filepath.Join(work, "consumer")
	if err := os.MkdirAll(consumer, 0o755); err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../examples/go/lifecycle/main.go")
	if err != nil {
		t.Fatal(err)
	}
	// The SDK's own go.sum vouches for its dependencies, so only the SDK
	// itself (published nowhere but here) skips the checksum database.
	sums, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"go.mod":  []byte("module example.com/consumer\n\ngo 1.26.0\n"),
		"go.sum":  sums,
		"main.go": example,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(consumer, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	cache := strings.TrimSpace(run(t, "", nil, goBin, "env", "GOMODCACHE"))
	env := []string{
		// Our module from the local proxy; its dependencies from the module
		// cache of this machine (itself laid out as a proxy), else the
		// public proxy.
		"GOPROXY=" + fileURL(proxy) + "," + fileURL(filepath.Join(cache, "cache", "download")) + ",https://proxy.golang.org",
		"GOMODCACHE=" + filepath.Join(work, "modcache"),
		"GONOSUMDB=" + modulePath,
		"GOPRIVATE=",
		"GOFLAGS=-mod=mod -modcacherw",
		"GOWORK=off",
		"GOTOOLCHAIN=local",
	}
	run(t, consumer, env, goBin, "get", modulePath+"@"+version)
	gomod, err := os.ReadFile(filepath.Join(consumer, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(gomod), modulePath+" "+version) {
		t.Fatalf("go.mod after go get:\n%s", gomod)
	}
	binary := filepath.Join(work, "lifecycle")
	run(t, consumer, env, goBin, "build", "-trimpath", "-o", binary, ".")
	output := run(t, consumer, []string{openvcluster.EnvEndpoint + "=" + plain.addr}, binary)
	for _, want := range []string{"RUNNING, Kubernetes 1.31, 2 CPU, 4Gi memory", "SUSPENDED", ": READY, ", "-copy: RUNNING", "gone."} {
		if !strings.Contains(output, want) {
			t.Errorf("lifecycle output lacks %q:\n%s", want, output)
		}
	}
}

// writeProxy lays out version of this module as a GOPROXY serves it:
// @v/list, .info, .mod and a .zip that follows the module zip rules.
func writeProxy(t *testing.T, proxy, version string) {
	t.Helper()
	dir := filepath.Join(proxy, filepath.FromSlash(modulePath), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	info, err := json.Marshal(map[string]string{"Version": version, "Time": time.Now().UTC().Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"list": []byte(version + "\n"), version + ".info": info, version + ".mod": gomod} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := os.Create(filepath.Join(dir, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := writeModuleZip(out, ".", modulePath+"@"+version); err != nil {
		t.Fatal(err)
	}
}

// writeModuleZip zips the module rooted at root with every path under
// prefix/, leaving out what the module zip rules exclude: version control
// directories, vendor directories, nested modules (directories with a
// go.mod of their own) and anything but regular files.
func writeModuleZip(w io.Writer, root, prefix string) error {
	zw := zip.NewWriter(w)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", ".hg", ".svn", ".bzr", "vendor":
				return filepath.SkipDir
			}
			if rel != "." {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := zw.Create(prefix + "/" + filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(f, src)
		return err
	})
	return errors.Join(err, zw.Close())
}

func fileURL(path string) string {
	return "file://" + filepath.ToSlash(path)
}

// run runs a command with extra environment and returns its output; a
// failure ends the test with that output.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
