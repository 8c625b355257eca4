package gen

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/liaoning-hrss/flexemp"
)

// BigRegistrations writes n valid registration rows of Shenyang for March
// 2024 to path, as CSV or, when path ends in .xlsx, as a workbook: the input
// of the ingest benchmarks. The rows are all valid, so every row takes the
// whole validation and loading path.
func BigRegistrations(path string, n int, seed uint64) error {
	return Registrations(path, n, seed, flexemp.Cities[0], flexemp.Month{Year: 2024, Month: time.March})
}

// Registrations writes n valid registration rows of a city for a month, as
// BigRegistrations does.
func Registrations(path string, n int, seed uint64, city flexemp.City, month flexemp.Month) error {
	rng := rand.New(rand.NewPCG(seed, 42))
	area := city.Code[:4] + "02"
	days := int(month.Next().First().Sub(month.First()).Hours() / 24)
	header := make([]string, 0, 8)
	for _, col := range flexemp.ContractOf(flexemp.Registrations).Columns {
		header = append(header, col.Header)
	}
	row := func() []string {
		applied := month.First().AddDate(0, 0, rng.IntN(days))
		birth := applied.AddDate(-18-rng.IntN(30), 0, -rng.IntN(365))
		id := ID(fmt.Sprintf("%s%02d", city.Code[:4], 2+rng.IntN(10)), birth, rng.IntN(100), rng.IntN(2) == 0)
		completed := applied.AddDate(0, 0, rng.IntN(5)).Format("2006-01-02")
		if completed[:7] != month.String() && rng.IntN(2) == 0 {
			completed = ""
		}
		return []string{id, area, flexemp.RegFlexible, flexForms[rng.IntN(4)], PersonGroupAt(rng.IntN(6)),
			applied.Format("2006-01-02"), completed, []string{"线上", "线下"}[rng.IntN(2)]}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if strings.HasSuffix(path, ".xlsx") {
		rows := make([][]string, n)
		for r := range rows {
			rows[r] = row()
		}
		return writeSharedStringsWorkbook(path, header, rows)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(strings.Join(header, ",") + "\n")
	for range n {
		w.WriteString(strings.Join(row(), ",") + "\n")
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// PersonGroupAt is the i-th person group of the contract.
func PersonGroupAt(i int) string { return flexemp.PersonGroups[i%len(flexemp.PersonGroups)] }

// writeSharedStringsWorkbook writes a workbook the way Excel and WPS save
// one: every text cell in the shared string table, cells referring to it by
// index. (excelize's stream writer writes inline strings instead, which no
// office program produces.)
func writeSharedStringsWorkbook(path string, header []string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	part := func(name, body string) error {
		w, err := zw.Create(name)
		if err == nil {
			_, err = io.WriteString(w, body)
		}
		return err
	}
	const main = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	parts := [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook ` + main + ` xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="就业失业登记" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
	}
	for _, p := range parts {
		if err := part(p[0], p[1]); err != nil {
			f.Close()
			return err
		}
	}
	index := map[string]int{}
	var table []string
	ref := func(s string) int {
		i, ok := index[s]
		if !ok {
			i = len(table)
			index[s] = i
			table = append(table, s)
		}
		return i
	}
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		f.Close()
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet ` + main + `><sheetData>`)
	writeRow := func(r int, cells []string) {
		fmt.Fprintf(bw, `<row r="%d">`, r)
		for c, v := range cells {
			if v == "" {
				continue
			}
			fmt.Fprintf(bw, `<c r="%c%d" t="s"><v>%d</v></c>`, 'A'+c, r, ref(v))
		}
		bw.WriteString(`</row>`)
	}
	writeRow(1, header)
	for i, cells := range rows {
		writeRow(i+2, cells)
	}
	bw.WriteString(`</sheetData></worksheet>`)
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	w, err = zw.Create("xl/sharedStrings.xml")
	if err != nil {
		f.Close()
		return err
	}
	bw = bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst %s count="%d" uniqueCount="%d">`, main, len(table), len(table))
	for _, s := range table {
		bw.WriteString("<si><t>")
		xml.EscapeText(bw, []byte(s))
		bw.WriteString("</t></si>")
	}
	bw.WriteString("</sst>")
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
