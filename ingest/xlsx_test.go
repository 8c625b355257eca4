package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/liaoning-hrss/flexemp"
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
