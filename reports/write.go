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

// Write renders the report and the workbook into dir, each replacing any
// earlier file only once it is complete.
func Write(dir string, d *Data) (report, ranking string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	var h, x bytes.Buffer
	if err := HTML(&h, d); err != nil {
		return "", "", err
	}
	if err := XLSX(&x, d); err != nil {
		return "", "", err
	}
	report, ranking = filepath.Join(dir, ReportFile), filepath.Join(dir, RankingFile)
	if err := writeAtomic(report, h.Bytes()); err != nil {
		return "", "", err
	}
	return report, ranking, writeAtomic(ranking, x.Bytes())
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
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
