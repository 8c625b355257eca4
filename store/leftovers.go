package store

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// Export and Backup write into a temporary folder beside their target,
// <target>.tmp-<random>, and rename it into place when it is whole, so a
// reader never sees half of one. A process killed on the way (kill -9, a
// power cut) leaves that folder behind: the next run removes every one
// left beside its target, and says which.

// besideTemp makes a new temporary folder beside target.
func besideTemp(target string) (string, error) {
	suffix := make([]byte, 6)
	rand.Read(suffix)
	tmp := fmt.Sprintf("%s.tmp-%s", target, hex.EncodeToString(suffix))
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return "", err
	}
	return tmp, os.Mkdir(tmp, 0o700)
}

// removeLeftovers removes the temporary folders an interrupted run left
// beside target and returns their paths.
func removeLeftovers(target string) ([]string, error) {
	found, err := filepath.Glob(target + ".tmp-*")
	if err != nil {
		return nil, err
	}
	for _, f := range found {
		if err := os.RemoveAll(f); err != nil {
			return nil, err
		}
	}
	return found, nil
}
