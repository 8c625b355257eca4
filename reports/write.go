package reports

import (
	"bytes"
	"os"
	"path/filepath"
)

// File names written by Write.
const (
	ReportFile  = "report.html"
	RankingFile = "ranking.xlsx"
)

// Written is what Write wrote: the files' paths and their bytes.
type Written struct {
	Report, Ranking string // paths of report.html and ranking.xlsx
	HTML, XLSX      []byte
}

// Write renders the report and the workbook into dir, each replacing any
// earlier file only once it is complete.
func Write(dir string, d *Data) (*Written, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var h, x bytes.Buffer
	if err := HTML(&h, d); err != nil {
		return nil, err
	}
	if err := XLSX(&x, d); err != nil {
		return nil, err
	}
	w := &Written{Report: filepath.Join(dir, ReportFile), Ranking: filepath.Join(dir, RankingFile), HTML: h.Bytes(), XLSX: x.Bytes()}
	if err := writeAtomic(w.Report, w.HTML); err != nil {
		return nil, err
	}
	return w, writeAtomic(w.Ranking, w.XLSX)
}

func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
