// Package testfiles makes hostile files for the tests of the packages that
// read uploads.
package testfiles

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
)

// ZipBomb writes dir/bomb.xlsx: a workbook whose one sheet unpacks to size
// bytes of repeated XML, a few KiB on disk.
func ZipBomb(dir string, size int) (string, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		{"xl/workbook.xml", `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
	}
	for _, p := range parts {
		w, err := zw.Create(p.name)
		if err != nil {
			return "", err
		}
		w.Write([]byte(p.body))
	}
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return "", err
	}
	w.Write([]byte(`<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`))
	pad := bytes.Repeat([]byte("<!-- padding padding padding -->"), 1024)
	for written := 0; written < size; written += len(pad) {
		w.Write(pad)
	}
	w.Write([]byte(`</sheetData></worksheet>`))
	if err := zw.Close(); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "bomb.xlsx")
	return path, os.WriteFile(path, buf.Bytes(), 0o644)
}
