package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

func TestParseDate(t *testing.T) {
	want := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	for _, s := range []string{"2024-03-05", "2024/3/5", "2024年3月5日", "20240305", "2024.3.5", "45356", "45356.0", "45356.75", "2024-03-05 00:00:00", "2024-03-05T08:00:00+08:00", " 2024-3-5 "} {
		if d, ok := ParseDate(s); !ok || !d.Equal(want) {
			t.Errorf("%q → %v %v", s, d, ok)
		}
	}
	// Excel serials: 1 is 1900-01-01 and 61 is 1900-03-01 (Excel counts a 29 Feb 1900 that never was).
	if d, _ := ParseDate("61"); !d.Equal(time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("serial 61 → %v", d)
	}
	for _, s := range []string{"", "2024-02-30", "2024-13-01", "2024-3", "05/03/2024", "0", "-1", "abc", "2024年3月", "202403051", "3000000", "NaN", "2024-03-05-01"} {
		if d, ok := ParseDate(s); ok {
			t.Errorf("%q accepted as %v", s, d)
		}
	}
}

func TestParseMonthCell(t *testing.T) {
	for _, s := range []string{"2024-03", "2024/3", "2024年3月", "202403", "2024-03-01", "45352"} {
		if d, ok := ParseMonthCell(s); !ok || d.Format("2006-01") != "2024-03" {
			t.Errorf("%q → %v %v", s, d, ok)
		}
	}
	for _, s := range []string{"2024-13", "2024年13月", "24-03", ""} {
		if _, ok := ParseMonthCell(s); ok {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestParseHundredths(t *testing.T) {
	for s, want := range map[string]int64{
		"0": 0, "800": 80000, "800.5": 80050, "800.05": 80005, "1,536.00": 153600, ".5": 50,
		"1234.5599999999999":  123456, // Excel's float rendering of 1234.56
		"0.30000000000000004": 30,
	} {
		if got, ok := ParseHundredths(s); !ok || got != want {
			t.Errorf("%q → %d %v, want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"-5", "800.123", "1.2.3", "abc", "", "+5", "1e3", "800.125"} {
		if got, ok := ParseHundredths(s); ok {
			t.Errorf("%q accepted as %d", s, got)
		}
	}
}

func TestParseCount(t *testing.T) {
	if n, ok := ParseCount("12.0", 0); !ok || n != 12 {
		t.Error("12.0")
	}
	if _, ok := ParseCount("0", 1); ok {
		t.Error("0 accepted with min 1")
	}
	for _, s := range []string{"1.5", "-1", "", "x"} {
		if _, ok := ParseCount(s, 0); ok {
			t.Errorf("%q accepted", s)
		}
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-03-05", "2024/3/5", "2024年3月5日", "20240305", "45356", "2024-02-30", "1e5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseDate(s)
		if !ok {
			return
		}
		if d.Year() < 1899 || d.Year() > 9999 || d.Hour() != 0 || d.Location() != time.UTC {
			t.Fatalf("%q → %v", s, d)
		}
		// A date written back in the canonical form reads as itself.
		if d2, ok := ParseDate(d.Format("2006-01-02")); d.Year() >= 1900 && (!ok || !d2.Equal(d)) {
			t.Fatalf("%q → %v does not round-trip", s, d)
		}
	})
}

// readAll reads a file through the reader its bytes call for; every failure
// must be an application error with a message for the user.
func readAll(t *testing.T, data []byte, path string) {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	src, _, err := openSource(path, flexemp.Registrations, Limits{UnzipSize: 8 << 20})
	if err != nil {
		checkAppError(t, err)
		return
	}
	defer src.Close()
	if _, err := findHeader(src, flexemp.Registrations, flexemp.Month{}); err != nil {
		checkAppError(t, err)
		return
	}
	last := 0
	for {
		row, _, err := src.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			checkAppError(t, err)
			return
		}
		if row <= last {
			t.Fatalf("row numbers not increasing: %d after %d", row, last)
		}
		last = row
	}
}

func checkAppError(t *testing.T, err error) {
	var e *flexemp.Error
	if !errors.As(err, &e) || e.Message == "" {
		t.Fatalf("not an application error: %v", err)
	}
}

// addFixtures seeds a fuzz target with fixture files.
func addFixtures(f *testing.F, names ...string) {
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzCSVReader(f *testing.F) {
	addFixtures(f, "registrations_bom.csv", "registrations_gbk.csv", "registrations_reasons.csv", "no_header.csv", "registrations_english.tsv")
	dir := f.TempDir() // one file per worker, rewritten for each input
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) >= 4 && (string(data[:4]) == "PK\x03\x04" || string(data[:4]) == "PAR1") {
			return // other readers
		}
		readAll(t, data, filepath.Join(dir, "fuzz.csv"))
	})
}

func FuzzXLSXReader(f *testing.F) {
	addFixtures(f, "registrations_title.xlsx", "truncated.xlsx")
	dir := f.TempDir() // one file per worker, rewritten for each input
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 4 || string(data[:4]) != "PK\x03\x04" {
			return
		}
		readAll(t, data, filepath.Join(dir, "fuzz.xlsx"))
	})
}

// Every reader reports how much of the file it has read, reaching 1 at the end.
func TestReadersReportProgress(t *testing.T) {
	for _, name := range []string{"registrations_bom.csv", "registrations_title.xlsx", "registrations.parquet"} {
		src, _, err := openSource(filepath.Join("..", "testdata", name), flexemp.Registrations, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if d := src.Done(); d < 0 || d > 1 {
			t.Errorf("%s: %v done before reading", name, d)
		}
		for {
			if _, _, err := src.Next(); err != nil {
				break
			}
		}
		if d := src.Done(); d < 0.99 || d > 1 {
			t.Errorf("%s: %v done at the end", name, d)
		}
		src.Close()
	}
}

// FuzzXLSXSheet mutates what a workbook says, not its zip: the data sheet's
// XML and the shared strings, packed into a valid workbook each time, so the
// fuzzer explores the sheet scanner and the cell rules instead of failing
// the zip's checksums.
func FuzzXLSXSheet(f *testing.F) {
	fixture, err := zip.OpenReader(filepath.Join("..", "testdata", "registrations_title.xlsx"))
	if err != nil {
		f.Fatal(err)
	}
	defer fixture.Close()
	parts := map[string][]byte{}
	var names []string
	for _, zf := range fixture.File {
		rc, err := zf.Open()
		if err != nil {
			f.Fatal(err)
		}
		parts[zf.Name], _ = io.ReadAll(rc)
		rc.Close()
		names = append(names, zf.Name)
	}
	const sheet, shared = "xl/worksheets/sheet2.xml", "xl/sharedStrings.xml"
	f.Add(parts[sheet], parts[shared])
	f.Add([]byte(`<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>公民身份号码</t></is></c></row></sheetData></worksheet>`), parts[shared])
	// Rows nextWhole reads, and rows it leaves to the tokens, side by side.
	f.Add([]byte(`<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1"/><c t="b"><v>1</v></c><c><v>a&amp;b&#x41;</v></c></row>`+
		`<row><c r="B2"></c><c t="s"><v> 1 </v></c></row><row r="4" spans="1:2"><c r="A4"><v>45356</v></c></row><row r="5"/>`+
		"<row r=\"6\">\n<c r=\"A6\"><v>x</v></c></row><row r=\"7\"><c r=\"A7\"><f>1+1</f><v>2</v></c></row><row r=\"8\"><c r=\"A8\" t=\"s\"><v>99</v></c></row>"+
		`</sheetData></worksheet>`), parts[shared])
	f.Add([]byte(`<worksheet><sheetData><row r="2"><c r="A2"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row></sheetData></worksheet>`), parts[shared])
	f.Add([]byte(`<worksheet><sheetData><row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c><c t="s"><v>3</v></c><c t="s"><v>4</v></c><c t="s"><v>5</v></c></row></sheetData></worksheet>`),
		[]byte(`<sst><si><t>公民身份号码</t></si><si><t xml:space="preserve"> a&lt;b </t></si><si><r><t>富</t></r><r><t>文本</t></r></si>`+
			`<si><t>读音</t><rPh><t>du</t></rPh></si><si><t/></si><si/><si><t>`+"\n"+`</t></si></sst>`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, sheetXML, sharedXML []byte) {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for _, n := range names {
			w, err := zw.Create(n)
			if err != nil {
				t.Fatal(err)
			}
			switch n {
			case sheet:
				w.Write(sheetXML)
			case shared:
				w.Write(sharedXML)
			default:
				w.Write(parts[n])
			}
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "fuzz.xlsx")
		readAll(t, b.Bytes(), path)
		if whole, tokens := sheetRows(path, false), sheetRows(path, true); whole != tokens {
			t.Fatalf("rows read whole where they can:\n%s\nrows read token by token:\n%s", whole, tokens)
		}
	})
}

// sheetRows is every row a workbook's sheet gives and how the sheet ends:
// shared strings and rows read whole where they can be, or token by token.
func sheetRows(path string, tokens bool) string {
	src, err := openWorkbook(path, flexemp.Registrations, Limits{UnzipSize: 8 << 20}, tokens)
	if err != nil {
		return err.Error()
	}
	defer src.Close()
	var b strings.Builder
	for {
		row, cells, err := src.Next()
		if err != nil {
			fmt.Fprintf(&b, "%v", err)
			return b.String()
		}
		fmt.Fprintf(&b, "%d %q\n", row, cells)
	}
}
