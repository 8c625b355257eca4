package ingest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/liaoning-hrss/flexemp"
)

// Format names the file formats cities send.
const (
	FormatCSV     = "csv"
	FormatXLSX    = "xlsx"
	FormatParquet = "parquet"
)

// rowSource yields a file's rows as text cells, in file order.
type rowSource interface {
	// Next returns the next row and its number as the user sees it (header
	// row counted); io.EOF after the last. The slice is reused by the next call.
	Next() (row int, cells []string, err error)
	// Done is the share of the file read so far, 0 to 1, for progress.
	Done() float64
	Close() error
}

// Limits bound what reading a file may cost.
type Limits struct {
	UnzipSize int64 // largest total unpacked size of a spreadsheet in bytes; default 512 MiB
}

const defaultUnzipSize = 512 << 20

// sniffFormat tells the format from the file's first bytes, not its name.
func sniffFormat(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return FormatXLSX
	case bytes.HasPrefix(head, []byte("PAR1")):
		return FormatParquet
	}
	return FormatCSV
}

// openSource opens a file in the format its bytes show, choosing the sheet for
// kind in a workbook.
func openSource(path string, kind flexemp.Kind, lim Limits) (rowSource, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	format := sniffFormat(head[:n])
	var src rowSource
	switch format {
	case FormatXLSX:
		f.Close()
		src, err = openXLSX(path, kind, lim)
	case FormatParquet:
		src, err = openParquet(f)
	default:
		if _, err = f.Seek(0, io.SeekStart); err == nil {
			src, err = openCSV(f)
		}
	}
	if err != nil {
		if format != FormatXLSX {
			f.Close()
		}
		return nil, format, err
	}
	return src, format, nil
}

// headerScanRows is how many rows may stand above the header (titles, notes).
const headerScanRows = 20

// headerMatch maps each contract column to its index in the file's header.
type headerMatch struct {
	row     int      // the header's row number
	index   []int    // contract column → file column
	headers []string // the file's header cells, as written
	extra   []string // file columns the contract does not know
}

// normHeader folds the spellings a header may have: spaces, full-width
// brackets, English case.
func normHeader(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
	s = strings.NewReplacer("（", "(", "）", ")", " ", "", "\u3000", "", "*", "", "＊", "").Replace(s)
	return strings.ToLower(s)
}

// matchHeader maps a header row onto a contract and counts the known columns.
func matchHeader(c *flexemp.Contract, cells []string) (idx []int, known int) {
	idx = make([]int, len(c.Columns))
	for i := range idx {
		idx[i] = -1
	}
	for j, cell := range cells {
		h := normHeader(cell)
		if h == "" {
			continue
		}
		for i, col := range c.Columns {
			if idx[i] < 0 && (h == normHeader(col.Header) || h == col.Name) {
				idx[i] = j
				known++
				break
			}
		}
	}
	return idx, known
}

// findHeader reads rows until the one that names the most contract columns:
// the header may sit under title rows and merged title cells. A header that
// better fits another kind refuses the file as the wrong kind. The columns
// of the contract version in force for month (the first version when the
// month is not known yet) must all be there.
func findHeader(src rowSource, kind flexemp.Kind, month flexemp.Month) (*headerMatch, error) {
	c := flexemp.ContractOf(kind)
	for scanned := 0; scanned < headerScanRows; scanned++ {
		row, cells, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		idx, known := matchHeader(c, cells)
		best, bestKind := known, kind
		for i := range flexemp.Contracts {
			other := &flexemp.Contracts[i]
			if other.Kind == kind {
				continue
			}
			if _, k := matchHeader(other, cells); k > best && k >= 3 {
				best, bestKind = k, other.Kind
			}
		}
		if bestKind != kind {
			return nil, flexemp.Errorf(flexemp.EINVALID, "文件内容是“%s”，不是“%s”（第%d行表头）", bestKind.Title(), kind.Title(), row)
		}
		if known < 2 {
			continue
		}
		m := &headerMatch{row: row, index: idx, headers: append([]string(nil), cells...)}
		if err := m.complete(c, month); err != nil {
			return nil, err
		}
		used := make(map[int]bool, len(idx))
		for _, j := range idx {
			used[j] = true
		}
		for j, h := range cells {
			if !used[j] && strings.TrimSpace(h) != "" {
				m.extra = append(m.extra, strings.TrimSpace(h))
			}
		}
		return m, nil
	}
	return nil, flexemp.Errorf(flexemp.EINVALID, "前%d行中找不到“%s”的表头（应含 %s 等列）", headerScanRows, c.Title, c.Columns[0].Header)
}

// complete refuses a header that lacks a column of the contract version in
// force for month, naming the columns and the version.
func (m *headerMatch) complete(c *flexemp.Contract, month flexemp.Month) error {
	var missing []string
	for i, col := range c.Columns {
		if m.index[i] < 0 && c.RequiredAt(col, month) {
			missing = append(missing, col.Header+"("+col.Name+")")
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if v := c.VersionAt(month); v > 1 {
		return flexemp.Errorf(flexemp.EINVALID, "第%d行表头缺少必需列：%s（%s的%s数据适用第%d版填报口径，请使用 flexemp template --kind %s --month %s 生成的模板）",
			m.row, strings.Join(missing, "、"), c.Title, month, v, c.Kind, month)
	}
	return flexemp.Errorf(flexemp.EINVALID, "第%d行表头缺少必需列：%s", m.row, strings.Join(missing, "、"))
}

// blank reports whether a row has no content in any contract column.
func (m *headerMatch) blank(cells []string) bool {
	for _, j := range m.index {
		if j >= 0 && j < len(cells) && trimCell(cells[j]) != "" {
			return false
		}
	}
	return true
}
