package reports

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Rendering writes the unissued report and a browser profile to disk for a
// moment. They go in a folder of flexemp's own, $TMPDIR/flexemp-<uid>
// (0700, its owner's), one subfolder per render named after the process,
// removed after use; what a killed process left is removed by the next
// render or by serve at start (CleanScratch). Chromium's own temporary
// files go inside the render's folder too.

// scratchRoot is the private folder, made if need be and refused when it is
// not a folder only this user can enter.
func scratchRoot() (string, error) {
	root := filepath.Join(os.TempDir(), fmt.Sprintf("flexemp-%d", os.Getuid()))
	if err := os.Mkdir(root, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", err
	}
	fi, err := os.Lstat(root)
	if err != nil {
		return "", err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || !ok || int(st.Uid) != os.Getuid() || fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("临时目录 %s 不是本用户独有的目录（应为本用户所有、权限 0700），为免泄露未发布的报告，拒绝使用", root)
	}
	return root, nil
}

// scratchDir is a new folder for one render, and how to remove it.
func scratchDir(kind string) (string, func(), error) {
	root, err := scratchRoot()
	if err != nil {
		return "", nil, err
	}
	CleanScratch()
	dir, err := os.MkdirTemp(root, fmt.Sprintf("%s-%d-", kind, os.Getpid()))
	if err != nil {
		return "", nil, err
	}
	if err := os.Mkdir(filepath.Join(dir, "tmp"), 0o700); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// CleanScratch removes the render folders of processes no longer running:
// what a kill -9 during rendering left behind.
func CleanScratch() {
	root := filepath.Join(os.TempDir(), fmt.Sprintf("flexemp-%d", os.Getuid()))
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		parts := strings.Split(e.Name(), "-")
		if len(parts) < 3 {
			continue
		}
		pid, err := strconv.Atoi(parts[len(parts)-2])
		if err != nil || pid == os.Getpid() || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue // a running process's (or one not ours to judge)
		}
		os.RemoveAll(filepath.Join(root, e.Name()))
	}
}
