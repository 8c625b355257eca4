package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	kflate "github.com/klauspost/compress/flate"
	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/internal/xmlscan"
)

// The workbook reader reads the sheet XML with a small streaming scanner of
// its own rather than excelize: excelize's encoding/xml reading measured
// 21k rows/s, far below the 150k rows/s a province's files need (see
// BENCHMARKS.md). Cells come back raw — shared strings resolved, numbers and
// date serials as stored — so an ID Excel keeps as a number is seen as one.

type xlsxSource struct {
	zr     *zip.ReadCloser
	sheet  *budgetReader
	sc     *xmlscan.Scanner
	shared []string
	cells  []string
	row    int
	done   bool
	tokens bool   // every row token by token (nextWhole off)
	whole  int    // rows nextWhole read
	val    []byte // a cell's value as nextWhole reads it
}

// openXLSX opens a workbook, refusing one whose parts would unpack beyond the
// limit (a zip bomb) from the zip directory, before unpacking anything, and
// picks the sheet named like the kind, else the first.
func openXLSX(name string, kind flexemp.Kind, lim Limits) (*xlsxSource, error) {
	return openWorkbook(name, kind, lim, false)
}

// openWorkbook is openXLSX, or with tokens every shared string and row read
// token by token, as the fuzz test reads them beside the whole ones.
func openWorkbook(name string, kind flexemp.Kind, lim Limits, tokens bool) (*xlsxSource, error) {
	limit := lim.UnzipSize
	if limit <= 0 {
		limit = defaultUnzipSize
	}
	zr, err := zip.OpenReader(name)
	if err != nil {
		return nil, &flexemp.Error{Code: flexemp.EINVALID, Message: "Excel 文件已损坏或不完整，无法读取", Err: err}
	}
	// klauspost's inflate is about twice the standard library's speed.
	zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return kflate.NewReader(r) })
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
	}
	if total > uint64(limit) {
		zr.Close()
		return nil, flexemp.Errorf(flexemp.ETOOLARGE, "工作簿解压后超过 %d MiB 上限，已拒收", limit>>20)
	}
	budget := &unzipBudget{left: limit}
	s := &xlsxSource{zr: zr, tokens: tokens}
	sheetPath, sharedPath, err := pickSheet(zr, kind, budget)
	if err == nil && sharedPath != "" {
		s.shared, err = readSharedStrings(zr, sharedPath, budget, tokens)
	}
	if err == nil {
		s.sheet, err = openPart(zr, sheetPath, budget)
	}
	if err != nil {
		zr.Close()
		return nil, xlsxError(err)
	}
	s.sc = xmlscan.New(s.sheet)
	return s, nil
}

func xlsxError(err error) error {
	var e *flexemp.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, xmlscan.ErrTooLong) {
		return &flexemp.Error{Code: flexemp.EINVALID, Message: "Excel 文件中有超过 1 MiB 的单元格或标记，不是正常的数据导出，未入库", Err: err}
	}
	return &flexemp.Error{Code: flexemp.EINVALID, Message: "Excel 文件已损坏或不完整，无法读取", Err: err}
}

// unzipBudget counts unpacked bytes across parts, so headers that understate
// sizes cannot get past the limit either.
type unzipBudget struct{ left int64 }

type budgetReader struct {
	r          io.ReadCloser
	b          *unzipBudget
	read, size int64 // this part's bytes read and its declared unpacked size, for progress
}

func (r *budgetReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.read += int64(n)
	r.b.left -= int64(n)
	if r.b.left < 0 {
		return n, flexemp.Errorf(flexemp.ETOOLARGE, "工作簿解压后超过上限，已拒收")
	}
	return n, err
}

func (r *budgetReader) Close() error { return r.r.Close() }

func openPart(zr *zip.ReadCloser, name string, b *unzipBudget) (*budgetReader, error) {
	for _, f := range zr.File {
		if strings.EqualFold(f.Name, name) {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			return &budgetReader{r: rc, b: b, size: int64(f.UncompressedSize64)}, nil
		}
	}
	return nil, fmt.Errorf("workbook part %s missing", name)
}

// pickSheet reads the workbook's sheet list and relationships.
func pickSheet(zr *zip.ReadCloser, kind flexemp.Kind, b *unzipBudget) (sheet, shared string, err error) {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := decodePart(zr, "xl/workbook.xml", b, &wb); err != nil {
		return "", "", err
	}
	if err := decodePart(zr, "xl/_rels/workbook.xml.rels", b, &rels); err != nil {
		return "", "", err
	}
	if len(wb.Sheets) == 0 {
		return "", "", flexemp.Errorf(flexemp.EINVALID, "工作簿中没有工作表")
	}
	chosen := wb.Sheets[0]
	for _, s := range wb.Sheets {
		n := strings.ToLower(strings.TrimSpace(s.Name))
		if n == string(kind) || strings.Contains(n, kind.Title()) {
			chosen = s
			break
		}
	}
	target := func(t string) string {
		if strings.HasPrefix(t, "/") {
			return strings.TrimPrefix(t, "/")
		}
		return path.Join("xl", t)
	}
	for _, r := range rels.Rels {
		if r.ID == chosen.RID {
			sheet = target(r.Target)
		}
		if strings.HasSuffix(r.Type, "/sharedStrings") {
			shared = target(r.Target)
		}
	}
	if sheet == "" {
		return "", "", fmt.Errorf("sheet %q has no part", chosen.Name)
	}
	return sheet, shared, nil
}

func decodePart(zr *zip.ReadCloser, name string, b *unzipBudget, v any) error {
	rc, err := openPart(zr, name, b)
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(rc).Decode(v)
}

// readSharedStrings reads the shared string table: each <si>'s text, rich
// text runs joined, phonetic guides (<rPh>) left out.
func readSharedStrings(zr *zip.ReadCloser, name string, b *unzipBudget, tokens bool) ([]string, error) {
	rc, err := openPart(zr, name, b)
	if err != nil {
		return nil, nil // a workbook may have no shared strings
	}
	defer rc.Close()
	sc := xmlscan.New(rc)
	var out []string
	var text []byte
	inSI, inT, inPh := false, false, false
	for {
		if !inSI && !tokens {
			if s, n := wholeString(sc.Buffered()); n > 0 {
				// No state to leave as its tokens would: each <si> starts
				// afresh, and nothing outside one is read.
				out = append(out, s)
				sc.Skip(n)
				continue
			}
		}
		t, err := sc.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch {
		case t.Kind == xmlscan.Start && t.Is("si"): // each string starts afresh
			inSI, inT, inPh, text = true, false, false, text[:0]
		case t.Kind == xmlscan.Empty && t.Is("si"):
			out = append(out, "")
		case t.Kind == xmlscan.End && t.Is("si") && inSI: // a stray </si> makes no string
			out = append(out, string(text))
			inSI = false
		case t.Is("rPh"):
			inPh = t.Kind == xmlscan.Start
		case t.Kind == xmlscan.Start && t.Is("t"):
			inT = true
		case t.Kind == xmlscan.End && t.Is("t"):
			inT = false
		case t.Kind == xmlscan.Text && inSI && inT && !inPh:
			text = t.AppendText(text)
		}
	}
}

var (
	stringOpen  = []byte("<si><t")
	stringClose = []byte("</t></si>")
)

// wholeString reads a shared string written as <si><t …>text</t></si>, as
// most are, straight from the scanner's buffer: its text and the bytes it
// took, or 0 for anything else (rich text, phonetic guides, whitespace, a
// string cut by the buffer's end), which readSharedStrings reads token by
// token as before.
func wholeString(b []byte) (string, int) {
	if len(b) < len(stringOpen)+1 || !bytes.HasPrefix(b, stringOpen) {
		return "", 0
	}
	p := b[len(stringOpen):]
	if p[0] != '>' && p[0] != ' ' {
		return "", 0
	}
	gt := bytes.IndexByte(p, '>')
	if gt < 0 || gt > 0 && p[gt-1] == '/' {
		return "", 0
	}
	p = p[gt+1:]
	lt := bytes.IndexByte(p, '<')
	if lt < 0 || !bytes.HasPrefix(p[lt:], stringClose) {
		return "", 0
	}
	text := p[:lt]
	if bytes.IndexByte(text, '&') >= 0 {
		text = xmlscan.AppendUnescaped(nil, text)
	}
	return string(text), len(b) - len(p) + lt + len(stringClose)
}

// Cell types that change how a cell's value is read.
const (
	cellPlain byte = iota
	cellShared
	cellBool
)

// Next returns the next row of the sheet with its Excel row number; rows
// missing from the XML (never typed in) are skipped, as blank rows are.
func (s *xlsxSource) Next() (int, []string, error) {
	if s.done {
		return 0, nil, io.EOF
	}
	if !s.tokens && s.nextWhole() {
		return s.row, s.cells, nil
	}
	var (
		inRow, inCell, inV, inIS, inT, inPh bool
		cellType                            byte
		col                                 int
		val                                 []byte
	)
	for {
		t, err := s.sc.Next()
		if err == io.EOF {
			s.done = true
			if inRow {
				return s.row, s.cells, nil
			}
			return 0, nil, io.EOF
		}
		if err != nil {
			return 0, nil, xlsxError(err)
		}
		if t.Kind == xmlscan.Text {
			if inV || (inT && !inPh) {
				val = t.AppendText(val)
			}
			continue
		}
		open := t.Kind != xmlscan.End
		switch string(t.Name) {
		case "c":
			switch {
			case !inRow:
			case t.Kind == xmlscan.End:
				if !inCell {
					break
				}
				inCell = false
				v, err := s.cellValue(cellType, val)
				if err != nil {
					return 0, nil, err
				}
				for len(s.cells) <= col {
					s.cells = append(s.cells, "")
				}
				s.cells[col] = v
				col++
			default:
				if col, cellType, err = cellStart(t, col); err != nil {
					return 0, nil, err
				}
				val = val[:0]
				if t.Kind == xmlscan.Start {
					inCell = true
				} else {
					col++
				}
			}
		case "v":
			inV = open && t.Kind == xmlscan.Start && inCell
		case "is":
			inIS = open && t.Kind == xmlscan.Start && inCell
		case "t":
			inT = open && t.Kind == xmlscan.Start && inIS
		case "rPh":
			inPh = open && t.Kind == xmlscan.Start
		case "row":
			if t.Kind == xmlscan.End {
				if inRow {
					return s.row, s.cells, nil
				}
				break
			}
			if s.row, err = rowNumber(t, s.row); err != nil {
				return 0, nil, err
			}
			s.cells, col = s.cells[:0], 0
			if t.Kind == xmlscan.Empty {
				return s.row, s.cells, nil
			}
			inRow = true
		case "sheetData":
			if t.Kind != xmlscan.Start {
				s.done = true
				return 0, nil, io.EOF
			}
		}
	}
}

// rowNumber is the number of the row a <row> tag opens, the one after last
// unless it says which.
func rowNumber(t xmlscan.Token, last int) (int, error) {
	r, ok := t.Attr("r")
	if !ok {
		return last + 1, nil
	}
	n, err := strconv.Atoi(string(r))
	if err != nil || n <= last {
		return 0, flexemp.Errorf(flexemp.EINVALID, "Excel 工作表行号错误：%q", xmlscan.AppendUnescaped(nil, r))
	}
	return n, nil
}

// cellStart reads a <c> tag: its column (col, the one after the cell
// before, unless it says which) and how its value is read.
func cellStart(t xmlscan.Token, col int) (int, byte, error) {
	if r, ok := t.Attr("r"); ok {
		var err error
		if col, err = columnIndex(r); err != nil {
			return 0, 0, err
		}
	}
	typ := cellPlain
	if v, ok := t.Attr("t"); ok && len(v) == 1 {
		switch v[0] {
		case 's':
			typ = cellShared
		case 'b':
			typ = cellBool
		}
	}
	return col, typ, nil
}

var (
	rowOpen, rowClose   = []byte("<row"), []byte("</row>")
	cellOpen, cellClose = []byte("<c"), []byte("</c>")
	valueOpen           = []byte("<v>")
	valueClose          = []byte("</v>")
)

// nextWhole reads the next row straight from the scanner's buffer when the
// buffer holds all of it, written as Excel and WPS write rows:
// <row …><c …><v>…</v></c>…</row>, nothing between the tags. It
// decides every cell as Next's tokens do (rowNumber, cellStart, cellValue)
// and takes nothing from the buffer unless the whole row is read: for
// anything else — whitespace, comments, formulas, inline strings, a row cut
// by the buffer's end, an error to report — it returns false and Next reads
// the row token by token. FuzzXLSXSheet holds both ways to the same rows
// and errors. The sheet's XML is most of a workbook's reading time, and
// five tokens a cell took twice as long (BENCHMARKS).
func (s *xlsxSource) nextWhole() bool {
	b := s.sc.Buffered()
	if len(b) < 5 || !bytes.HasPrefix(b, rowOpen) || (b[4] != ' ' && b[4] != '>') {
		return false
	}
	gt := bytes.IndexByte(b, '>')
	if gt < 0 || b[gt-1] == '/' {
		return false
	}
	row, err := rowNumber(xmlscan.Token{Kind: xmlscan.Start, Name: b[1:4], Attrs: b[4:gt]}, s.row)
	if err != nil {
		return false
	}
	cells, col := s.cells[:0], 0
	p := b[gt+1:]
	for !bytes.HasPrefix(p, rowClose) {
		if len(p) < 3 || !bytes.HasPrefix(p, cellOpen) || (p[2] != ' ' && p[2] != '>' && p[2] != '/') {
			return false
		}
		gt := bytes.IndexByte(p, '>')
		if gt < 0 {
			return false
		}
		tag, empty := p[1:gt], p[gt-1] == '/'
		if empty {
			tag = tag[:len(tag)-1]
		}
		p = p[gt+1:]
		var typ byte
		if col, typ, err = cellStart(xmlscan.Token{Kind: xmlscan.Start, Name: tag[:1], Attrs: tag[1:]}, col); err != nil {
			return false
		}
		if empty {
			col++
			continue
		}
		val := s.val[:0]
		if bytes.HasPrefix(p, valueOpen) {
			p = p[len(valueOpen):]
			lt := bytes.IndexByte(p, '<')
			if lt < 0 || !bytes.HasPrefix(p[lt:], valueClose) {
				return false
			}
			val = xmlscan.AppendUnescaped(val, p[:lt])
			s.val = val
			p = p[lt+len(valueClose):]
		}
		if !bytes.HasPrefix(p, cellClose) {
			return false
		}
		p = p[len(cellClose):]
		v, err := s.cellValue(typ, val)
		if err != nil {
			return false
		}
		for len(cells) <= col {
			cells = append(cells, "")
		}
		cells[col] = v
		col++
	}
	s.row, s.cells = row, cells
	s.whole++
	s.sc.Skip(len(b) - len(p) + len(rowClose))
	return true
}

// cellValue is a cell's raw value: shared strings looked up, booleans as
// TRUE/FALSE, everything else as stored.
func (s *xlsxSource) cellValue(typ byte, val []byte) (string, error) {
	switch typ {
	case cellShared:
		i, err := strconv.Atoi(string(bytes.TrimSpace(val)))
		if err != nil || i < 0 || i >= len(s.shared) {
			return "", flexemp.Errorf(flexemp.EINVALID, "Excel 文件已损坏：共享字符串 %q 不存在", val)
		}
		return s.shared[i], nil
	case cellBool:
		if string(val) == "1" {
			return "TRUE", nil
		}
		return "FALSE", nil
	}
	return string(val), nil
}

// columnIndex turns a cell reference's letters into a 0-based column.
func columnIndex(ref []byte) (int, error) {
	n := 0
	for _, c := range ref {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || c > 'Z' {
			break
		}
		n = n*26 + int(c-'A'+1)
		if n > 16384 {
			break
		}
	}
	if n == 0 || n > 16384 {
		return 0, flexemp.Errorf(flexemp.EINVALID, "Excel 单元格引用错误：%q", xmlscan.AppendUnescaped(nil, ref)) // as written, not as escaped in the XML
	}
	return n - 1, nil
}

// Done is the share of the sheet's unpacked XML read.
func (s *xlsxSource) Done() float64 {
	if s.sheet.size <= 0 {
		return 0
	}
	return min(1, float64(s.sheet.read)/float64(s.sheet.size))
}

func (s *xlsxSource) Close() error {
	s.sheet.Close()
	return s.zr.Close()
}
