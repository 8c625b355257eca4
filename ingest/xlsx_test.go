package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/gen"
)

// writeZip writes a workbook from its parts.
func writeZip(t *testing.T, parts map[string]string) string {
	path := filepath.Join(t.TempDir(), "w.xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, body := range parts {
		w, _ := zw.Create(name)
		io.WriteString(w, body)
	}
	zw.Close()
	f.Close()
	return path
}

// Workbooks from other producers: namespace prefixes, inline strings, rich
// text with phonetic guides, entities, CDATA, cells without references,
// booleans, and a sheet chosen by its name.
func TestXLSXReaderOtherProducers(t *testing.T) {
	const ns = `xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	path := writeZip(t, map[string]string{
		"xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8"?><x:workbook ` + ns + ` xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><x:sheets>` +
			`<x:sheet name="说明" sheetId="1" r:id="rId1"/><x:sheet name="补贴发放" sheetId="2" r:id="rId2"/></x:sheets></x:workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/data.xml"/>` +
			`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
		"xl/sharedStrings.xml": `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3"><si><t>公民身份号码</t></si>` +
			`<si><r><t>行政</t></r><r><rPr><b/></rPr><t xml:space="preserve">区划代码</t></r><rPh sb="0" eb="2"><t>ぎょうせい</t></rPh></si><si><t>A&amp;B &#x4E00;</t></si><si/></sst>`,
		"xl/worksheets/sheet1.xml": `<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>说明</t></is></c></row></sheetData></worksheet>`,
		"xl/worksheets/data.xml": `<?xml version="1.0"?><!-- made by another program --><x:worksheet ` + ns + `><x:sheetData>` +
			`<x:row r="2"><x:c r="A2" t="s"><x:v>0</x:v></x:c><x:c r="C2" t="s"><x:v>1</x:v></x:c></x:row>` +
			`<x:row><x:c t="inlineStr"><x:is><x:t><![CDATA[a<b&c]]></x:t></x:is></x:c><x:c t="b"><x:v>1</x:v></x:c><x:c t="s"><x:v>2</x:v></x:c><x:c/><x:c t="s"><x:v>3</x:v></x:c></x:row>` +
			`<x:row r="5" spans="1:3"><x:c r="B5"><x:v>2.10102199001011E+17</x:v></x:c><x:c r="D5" s="3"><x:v>45356</x:v></x:c></x:row>` +
			`<x:row r="6"/></x:sheetData></x:worksheet>`,
	})
	src, err := openXLSX(path, flexemp.Subsidies, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var got []string
	for {
		row, cells, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, itoaTest(row)+":"+strings.Join(cells, "|"))
	}
	want := []string{"2:公民身份号码||行政区划代码", "3:a<b&c|TRUE|A&B 一||", "5:|2.10102199001011E+17||45356", "6:"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func itoaTest(n int) string { return string(rune('0' + n)) }

func TestXLSXBadReferences(t *testing.T) {
	base := map[string]string{
		"xl/workbook.xml":            `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
	}
	for name, sheet := range map[string]string{
		"shared string out of range": `<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>9</v></c></row></sheetData></worksheet>`,
		"row numbers going back":     `<worksheet><sheetData><row r="3"></row><row r="2"></row></sheetData></worksheet>`,
		"bad cell reference":         `<worksheet><sheetData><row r="1"><c r="1A"><v>1</v></c></row></sheetData></worksheet>`,
		"cut off":                    `<worksheet><sheetData><row r="1"><c r="A1"><v>1`,
		"escaped reference":          `<worksheet><sheetData><row r="1"><c r="&lt;script&gt;"><v>1</v></c></row></sheetData></worksheet>`,
	} {
		t.Run(name, func(t *testing.T) {
			parts := map[string]string{"xl/worksheets/sheet1.xml": sheet}
			for k, v := range base {
				parts[k] = v
			}
			src, err := openXLSX(writeZip(t, parts), flexemp.Registrations, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			for {
				_, _, err := src.Next()
				if errors.Is(err, io.EOF) {
					t.Fatal("read to the end without an error")
				}
				if err != nil {
					checkAppError(t, err)
					// The refusal quotes the file as written, not as its XML escapes it.
					if msg := flexemp.ErrorMessage(err); strings.Contains(msg, "&lt;") || name == "escaped reference" && !strings.Contains(msg, "<script>") {
						t.Errorf("the refusal says %q", msg)
					}
					return
				}
			}
		})
	}
}

// The rejects workbook prints as a person reads it: A4 landscape, fit to
// the page's width, every sheet.
func TestRejectsWorkbookPrintsWide(t *testing.T) {
	var b bytes.Buffer
	rs := []flexemp.Reject{{Row: 2, Column: "公民身份号码", Value: "2101**********1231", Reason: "公民身份号码校验位错误"}}
	if err := WriteRejectsXLSX(&b, rs); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	for _, sheet := range x.GetSheetList() {
		l, err := x.GetPageLayout(sheet)
		props, perr := x.GetSheetProps(sheet)
		// fitToWidth 1 is OOXML's default and not written out.
		if err != nil || perr != nil || l.Orientation == nil || *l.Orientation != "landscape" || l.FitToHeight != nil && *l.FitToHeight != 0 ||
			props.FitToPage == nil || !*props.FitToPage {
			t.Errorf("%s: page layout %v, fit to page %v (%v %v)", sheet, l.Orientation, props.FitToPage, err, perr)
		}
	}
}

// Rows and shared strings read whole from the buffer (nextWhole,
// wholeString) are the ones the tokens read, for sheets made at random of
// the pieces each path must tell apart: rows and cells with and without
// references, empty cells, entities, booleans, formulas, inline strings,
// rich text, whitespace and comments, strings left open or closed twice,
// and the errors (a row number going back, a column past XFD, a shared
// string that is not there).
func TestXLSXWholeAgreesWithTokens(t *testing.T) {
	rows := []string{`<row r="%d">`, `<row>`, `<row r="%d" spans="1:3">`, ` <row r="%d">`, `<!-- r --><row r="%d">`, `<row r="%d" ht="15"` + "\n" + `>`}
	cells := []string{`<c r="B%d" t="s"><v>1</v></c>`, `<c t="s"><v> 2 </v></c>`, `<c t="s"><v>{s}</v></c>`, `<c r="C%d"/>`, `<c/>`, `<c><v>a&amp;b&#x41;</v></c>`,
		`<c t="b"><v>1</v></c>`, `<c t="s"><v>99</v></c>`, `<c r="XFE%d"><v>1</v></c>`, `<c><f>SUM(A1)</f><v>3</v></c>`,
		`<c t="inlineStr"><is><t>内联</t></is></c>`, `<c></c>`, `<c r="A%d"><v></v></c>`, `<c r="D%d" s="2"><v>45356</v></c>`, "\n", `<c t="str"><v>x</v></c>`}
	strs := []string{`<si><t>公民身份号码</t></si>`, `<si><t xml:space="preserve"> 空格 </t></si>`, `<si><r><t>富</t></r><r><t>文本</t></r></si>`,
		`<si/>`, `<si><t/></si>`, `<si><t>读&amp;音</t><rPh><t>du</t></rPh></si>`, "\n", `<si><t>A</t></si>`, `<si><t>甲&amp;乙&#x4E00;</t></si>`,
		`</si>`, `<si><t>未闭合</si>`, `<si><tx>非文本</tx></si>`, `<si><t>读音</t><rPh><t>du</t></si>`}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		var sst, sheet strings.Builder
		sst.WriteString(`<sst>`)
		for range rng.IntN(6) {
			sst.WriteString(strs[rng.IntN(len(strs))])
		}
		sst.WriteString(`</sst>`)
		sheet.WriteString(`<worksheet><sheetData>`)
		r := 0
		for range rng.IntN(8) {
			r += rng.IntN(3) // now and then the same number again: an error
			tag := rows[rng.IntN(len(rows))]
			if strings.Contains(tag, "%d") {
				tag = fmt.Sprintf(tag, r)
			}
			sheet.WriteString(tag)
			for range rng.IntN(6) {
				c := strings.ReplaceAll(cells[rng.IntN(len(cells))], "{s}", fmt.Sprint(rng.IntN(8)))
				if strings.Contains(c, "%d") {
					c = fmt.Sprintf(c, r)
				}
				sheet.WriteString(c)
			}
			sheet.WriteString(`</row>`)
		}
		sheet.WriteString(`</sheetData></worksheet>`)
		path := writeZip(t, map[string]string{
			"xl/workbook.xml": `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="登记" sheetId="1" r:id="rId1"/></sheets></workbook>`,
			"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
				`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
			"xl/sharedStrings.xml":     sst.String(),
			"xl/worksheets/sheet1.xml": sheet.String(),
		})
		if whole, tokens := sheetRows(path, false), sheetRows(path, true); whole != tokens {
			t.Fatalf("sheet %d %s\nshared strings %s\nread whole where they can be:\n%s\nread token by token:\n%s", i, sheet.String(), sst.String(), whole, tokens)
		}
	}
}

// A workbook saved as Excel and WPS save one is read whole, all but the rows
// a buffer's end cuts, and gives what its tokens give.
func TestXLSXReadWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registrations.xlsx")
	if err := gen.BigRegistrations(path, 3000, 1); err != nil {
		t.Fatal(err)
	}
	if whole, tokens := sheetRows(path, false), sheetRows(path, true); whole != tokens {
		t.Fatal("rows read whole differ from the tokens'")
	}
	n, whole, err := ReadXLSX(path)
	if err != nil || n != 3001 || whole < n*95/100 {
		t.Errorf("%d rows, %d of them read whole: %v", n, whole, err)
	}
}
