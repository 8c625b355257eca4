package reports_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/liaoning-hrss/flexemp/reports"
)

// Rendering leaves nothing in $TMPDIR but flexemp's own 0700 folder, empty
// afterwards — chromium's temporary files included — and a render folder a
// killed process left there goes at the next render.
func TestRenderingLeavesNothing(t *testing.T) {
	// A short folder: chromium's socket path under it must stay within a
	// unix socket's 108 bytes, which t.TempDir's long names exceed.
	tmp, err := os.MkdirTemp("/tmp", "fx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	t.Setenv("TMPDIR", tmp)
	root := filepath.Join(tmp, fmt.Sprintf("flexemp-%d", os.Getuid()))
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(root, fmt.Sprintf("pdf-%d-123", dead.Process.Pid))
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chmod(root, 0o700)
	os.WriteFile(filepath.Join(stale, "report.html"), []byte("<p>未发布的报告</p>"), 0o600)
	if _, err := reports.PDF(context.Background(), []byte(`<!DOCTYPE html><html><body><p>公示通知</p></body></html>`)); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(tmp)
	if len(entries) != 1 || entries[0].Name() != filepath.Base(root) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("$TMPDIR holds %v after a render", names)
	}
	if left, _ := os.ReadDir(root); len(left) != 0 {
		t.Errorf("the render folder keeps %d entries (the killed render's included)", len(left))
	}
	if fi, err := os.Stat(root); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("flexemp's folder: %v %v", fi.Mode(), err)
	}
}
