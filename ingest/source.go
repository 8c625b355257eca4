package ingest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/liaoning-hrss/flexemp"
	"golang.org/x/text/unicode/norm"
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

// MaxColumns is the most columns a file's header may have: the widest
// contract has 19, and an export with notes a few more.
const MaxColumns = 512

// headerFolds are the spellings a header may differ by besides the forms
// NFKC folds: spaces and the asterisks templates mark required columns with.
var headerFolds = strings.NewReplacer(" ", "", "*", "")

// normHeader folds the spellings a header may have: full-width forms
// (NFKC), spaces, asterisks, English case.
func normHeader(s string) string {
	s = norm.NFKC.String(strings.TrimPrefix(s, "\ufeff"))
	return strings.ToLower(headerFolds.Replace(strings.TrimSpace(s)))
}

// contractHeaders are each contract's columns by their folded Chinese and
// English headers, built once: a header cell is looked up, not compared.
var contractHeaders = func() map[flexemp.Kind]map[string]int {
	out := map[flexemp.Kind]map[string]int{}
	for _, c := range flexemp.Contracts {
		m := map[string]int{}
		for i, col := range c.Columns {
			m[normHeader(col.Header)] = i
			m[col.Name] = i
		}
		out[c.Kind] = m
	}
	return out
}()

// matchHeader maps a header row onto a contract and counts the known columns.
func matchHeader(c *flexemp.Contract, folded []string) (idx []int, known int) {
	idx = make([]int, len(c.Columns))
	for i := range idx {
		idx[i] = -1
	}
	byHeader := contractHeaders[c.Kind]
	for j, h := range folded {
		if i, ok := byHeader[h]; ok && idx[i] < 0 {
			idx[i] = j
			known++
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
		if len(cells) > MaxColumns {
			return nil, flexemp.Errorf(flexemp.EINVALID, "第%d行有 %d 列，超过上限 %d 列，不是正常的数据导出，未入库", row, len(cells), MaxColumns)
		}
		folded := make([]string, len(cells))
		for j, cell := range cells {
			folded[j] = normHeader(cell)
		}
		idx, known := matchHeader(c, folded)
		best, bestKind := known, kind
		for i := range flexemp.Contracts {
			other := &flexemp.Contracts[i]
			if other.Kind == kind {
				continue
			}
			if _, k := matchHeader(other, folded); k > best && k >= 3 {
				best, bestKind = k, other.Kind
			}
		}
		if bestKind != kind {
			return nil, flexemp.Errorf(flexemp.EINVALID, "文件内容是“%s”，不是“%s”（第%d行表头）", bestKind.Title(), kind.Title(), row)
		}
		if known < 2 {
			continue
		}
		m := &headerMatch{row: row, index: idx, headers: make([]string, len(cells))}
		for j, h := range cells { // as written, any ID in them masked
			m.headers[j] = flexemp.MaskIDs(h)
		}
		if err := m.complete(c, month); err != nil {
			return nil, err
		}
		used := make(map[int]bool, len(idx))
		for _, j := range idx {
			used[j] = true
		}
		for j, h := range cells {
			if !used[j] && strings.TrimSpace(h) != "" {
				m.extra = append(m.extra, flexemp.MaskIDs(strings.TrimSpace(h)))
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
