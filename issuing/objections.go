package issuing

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // decodes a JPG document's header
	_ "image/png"  // and a PNG's
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
	"github.com/liaoning-hrss/flexemp/internal/columns"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
)

// Limits of an objection (SPEC).
const (
	MaxStatement = 2000     // characters
	MaxDocuments = 5        // documents
	MaxDocument  = 20 << 20 // bytes each
)

// Other is the subject of an objection to anything besides an indicator or
// a finding.
const Other = "其他"

// Objection is a city's objection to a publication and its decision.
type Objection struct {
	ID          int64          `json:"id"`
	Publication int64          `json:"publication"`
	Edition     int            `json:"edition"`
	Period      flexemp.Period `json:"period"`
	City        string         `json:"city"`
	Subjects    []string       `json:"subjects"`
	Statement   string         `json:"statement"`
	UploadID    int64          `json:"upload_id,omitempty"` // the corrected extract; 0: none
	Kind        flexemp.Kind   `json:"kind,omitempty"`
	Month       flexemp.Month  `json:"month,omitzero"`
	FiledAt     time.Time      `json:"filed_at"`
	FiledBy     string         `json:"filed_by"`
	Decision    string         `json:"decision,omitempty"` // Accept, Reject, or "" while undecided
	Reason      string         `json:"reason,omitempty"`
	DecidedAt   time.Time      `json:"decided_at,omitzero"`
	DecidedBy   string         `json:"decided_by,omitempty"`
	Documents   []DocumentInfo `json:"documents"`
}

// DocumentInfo describes one stored document of an objection.
type DocumentInfo struct {
	N         int    `json:"n"`
	Name      string `json:"name"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
}

// Document is a document sent with an objection.
type Document struct {
	Name    string
	Content []byte
}

// ObjectionRequest is an objection as a city files it.
type ObjectionRequest struct {
	Period    flexemp.Period
	City      string
	Subjects  []string
	Statement string
	// Correction, when set, is a corrected extract of a month of the period
	// (Path, FileName, Kind, Month): it is ingested like any upload.
	Correction *ingest.Request
	Documents  []Document
	At         time.Time // when it is filed; zero: now
}

// validSubject is an indicator, an integrity check or 其他.
func validSubject(s string) bool {
	_, ok := flexemp.IndicatorByID(s)
	return ok || slices.Contains(metrics.Checks, s) || s == Other
}

// mediaType is a document's type once its bytes parse as one: PDF, JPG,
// PNG or XLSX, else "". A first few bytes are not enough: a PDF header on
// an HTML page, or a picture that does not decode, is none of them.
func mediaType(b []byte) string {
	switch {
	case validPDF(b):
		return "application/pdf"
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) && decodes(b, "jpeg"):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) && decodes(b, "png"):
		return "image/png"
	case validXLSX(b):
		return reports.XLSXType
	}
	return ""
}

// documentExt is the extension a document is stored and served under: its
// validated type's, whatever the city named it.
var documentExt = map[string]string{"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png",
	reports.XLSXType: ".xlsx"}

// documentName is the name a document is kept under: the city's, without
// any path, control or bidirectional-override character (invoice‮fdp.exe
// would read as invoiceexe.pdf), IDs masked, with its type's extension.
func documentName(name, mediaType string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '/' || r == '\\' {
			return -1
		}
		return r
	}, filepath.Base(name))
	name = strings.TrimSpace(strings.TrimSuffix(name, filepath.Ext(name)))
	if name == "" || name == "." {
		name = "证明材料"
	}
	return flexemp.MaskIDs(name) + documentExt[mediaType]
}

// validPDF tells whether b is laid out as a PDF file: the header first, a
// cross-reference (startxref) and the end-of-file marker at its end, and no
// markup a browser would run (an HTML or SVG page behind a PDF header).
func validPDF(b []byte) bool {
	if !pdfHeader.Match(b[:min(len(b), 16)]) {
		return false
	}
	tail := bytes.TrimRight(b[max(0, len(b)-2048):], " \t\r\n\x00")
	if !bytes.HasSuffix(tail, []byte("%%EOF")) || !bytes.Contains(tail, []byte("startxref")) {
		return false
	}
	head := bytes.ToLower(b[:min(len(b), 64<<10)])
	for _, markup := range []string{"<html", "<script", "<svg", "<!doctype", "<body", "<iframe"} {
		if bytes.Contains(head, []byte(markup)) {
			return false
		}
	}
	return true
}

var pdfHeader = regexp.MustCompile(`^%PDF-[12]\.[0-9]\s`)

// decodes tells whether b decodes as an image of the format.
func decodes(b []byte, format string) bool {
	cfg, got, err := image.DecodeConfig(bytes.NewReader(b))
	return err == nil && got == format && cfg.Width > 0 && cfg.Height > 0
}

// validXLSX tells whether b is a workbook: a zip whose xl/workbook.xml is a
// workbook's XML.
func validXLSX(b []byte) bool {
	if !bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		return false
	}
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return false
	}
	for _, f := range z.File {
		if f.Name != "xl/workbook.xml" {
			continue
		}
		r, err := f.Open()
		if err != nil {
			return false
		}
		defer r.Close()
		d := xml.NewDecoder(io.LimitReader(r, 8<<20))
		for {
			t, err := d.Token()
			if err != nil {
				return false
			}
			if se, ok := t.(xml.StartElement); ok {
				return se.Name.Local == "workbook"
			}
		}
	}
	return false
}

// check refuses what SPEC does not allow in an objection.
func (r *ObjectionRequest) check() error {
	if len(r.Subjects) == 0 {
		return flexemp.Errorf(flexemp.EINVALID, "请选择异议事项（I1–I22 中的指标、本市的数据核查项 K1–K12，或“其他”）")
	}
	for _, s := range r.Subjects {
		if !validSubject(s) {
			return flexemp.Errorf(flexemp.EINVALID, "异议事项“%s”无效：应为 I1–I22 中的指标、数据核查项 K1–K12，或“其他”", s)
		}
	}
	statement := strings.TrimSpace(r.Statement)
	switch n := utf8.RuneCountInString(statement); {
	case n == 0:
		return flexemp.Errorf(flexemp.EINVALID, "请填写异议陈述")
	case n > MaxStatement:
		return flexemp.Errorf(flexemp.EINVALID, "异议陈述 %d 字，超过 %d 字", n, MaxStatement)
	}
	if len(r.Documents) > MaxDocuments {
		return flexemp.Errorf(flexemp.EINVALID, "证明材料 %d 份，至多 %d 份", len(r.Documents), MaxDocuments)
	}
	for _, d := range r.Documents {
		switch {
		case len(d.Content) > MaxDocument:
			return flexemp.Errorf(flexemp.ETOOLARGE, "证明材料“%s”大于 20 MiB", filepath.Base(d.Name))
		case mediaType(d.Content) == "":
			return flexemp.Errorf(flexemp.EUNSUPPORTED, "证明材料“%s”不是 PDF、JPG、PNG 或 XLSX 文件（按文件内容判断）", filepath.Base(d.Name))
		}
	}
	if c := r.Correction; c != nil {
		if !slices.Contains(r.Period.Months(), c.Month) {
			return flexemp.Errorf(flexemp.EINVALID, "更正数据的月份 %s 不在考核期 %s 内", c.Month, r.Period)
		}
		if _, ok := flexemp.ParseKind(string(c.Kind)); !ok {
			return flexemp.Errorf(flexemp.EINVALID, "更正数据的类型“%s”无效", c.Kind)
		}
	}
	return nil
}

// Object files a city's objection to the period's open publication. A
// corrected extract is ingested first, like any upload (its result is
// returned, refused or not); a refused one refuses the objection.
func (is *Issuer) Object(ctx context.Context, r ObjectionRequest) (*Objection, *ingest.Result, error) {
	object := fmt.Sprintf("%s %s", r.Period, r.City)
	at, err := is.stepAt(ctx, "object", object, r.At)
	if err != nil {
		return nil, nil, err
	}
	pubs, err := Publications(ctx, is.Store.DB(), r.Period)
	if err != nil {
		return nil, nil, err
	}
	pub := Standing(pubs)
	switch {
	case pub == nil || pub.Final != nil && pub.Superseded:
		err = flexemp.Errorf(flexemp.ECONFLICT, "%s 没有公示中的排名，不能提出异议", r.Period)
	case !pub.Open(at) && pub.Final == nil:
		err = flexemp.Errorf(flexemp.ECONFLICT, "异议期已于 %s 截止", reports.WindowText(pub.WindowEnd))
	case pub.Final != nil:
		err = flexemp.Errorf(flexemp.ECONFLICT, "%s 的排名已定稿，异议期已于 %s 截止", r.Period, reports.WindowText(pub.WindowEnd))
	default:
		err = r.check()
	}
	if err != nil {
		return nil, nil, errors.Join(err, is.Store.Audit(ctx, "object", object, err))
	}
	var res *ingest.Result
	o := &Objection{Publication: pub.ID, Edition: pub.Edition, Period: r.Period, City: r.City, Subjects: r.Subjects,
		Statement: flexemp.MaskIDs(strings.TrimSpace(r.Statement)), FiledAt: at, FiledBy: actorName(ctx)}
	if c := r.Correction; c != nil {
		same, err := sameAsInForce(ctx, is.Store.DB(), r.City, c)
		if err != nil {
			return nil, nil, err
		}
		if same {
			return nil, nil, errors.Join(errSameCorrection, is.Store.Audit(ctx, "object", object, errSameCorrection))
		}
		req := *c
		req.City, req.ReceivedAt = r.City, at
		if res, err = is.Store.Ingest(ctx, req); err != nil {
			return nil, nil, err
		}
		switch res.Status {
		case ingest.StatusRefused:
			err = flexemp.Errorf(flexemp.EINVALID, "更正数据未通过校验，异议未提交：%s", res.Error)
		case ingest.StatusUnchanged:
			err = errSameCorrection
		}
		if err != nil {
			return nil, res, errors.Join(err, is.Store.Audit(ctx, "object", object, err))
		}
		o.UploadID, o.Kind, o.Month = res.UploadID, c.Kind, c.Month
	}
	err = is.Store.Write(func() error {
		return is.Store.Commit(ctx, "object", object, func(tx *sql.Tx) error {
			if !pub.Open(at) { // closed while the extract was read
				return flexemp.Errorf(flexemp.ECONFLICT, "异议期已于 %s 截止", reports.WindowText(pub.WindowEnd))
			}
			if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(objection_id), 0) + 1 FROM objections`).Scan(&o.ID); err != nil {
				return err
			}
			var upload, kind, month any
			if o.UploadID != 0 {
				upload, kind, month = o.UploadID, string(o.Kind), o.Month.First()
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO objections (objection_id, publication_id, city_code, subjects, statement,
				upload_id, kind, month, filed_at, filed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				o.ID, pub.ID, o.City, strings.Join(o.Subjects, ","), o.Statement, upload, kind, month, at, o.FiledBy); err != nil {
				return err
			}
			for i, d := range r.Documents {
				media := mediaType(d.Content)
				info := DocumentInfo{N: i + 1, Name: documentName(d.Name, media), MediaType: media, Size: int64(len(d.Content)), SHA256: sum(d.Content)}
				if _, err := tx.ExecContext(ctx, `INSERT INTO objection_documents VALUES (?, ?, ?, ?, ?, ?, ?)`,
					o.ID, info.N, info.Name, info.MediaType, info.Size, info.SHA256, d.Content); err != nil {
					return err
				}
				o.Documents = append(o.Documents, info)
			}
			return nil
		})
	})
	if err != nil {
		return nil, res, err
	}
	return o, res, nil
}

var errSameCorrection = flexemp.Errorf(flexemp.EINVALID, "更正数据与现行版本相同，不是更正，异议未提交：请上传更正后的数据，或不附更正数据提出异议")

// sameAsInForce tells whether a corrected extract is byte for byte the
// version of its month that counts.
func sameAsInForce(ctx context.Context, db *sql.DB, city string, c *ingest.Request) (bool, error) {
	cv, ok, err := ingest.CountingVersion(ctx, db, city, c.Kind, c.Month)
	if err != nil || !ok {
		return false, err
	}
	sum, _, err := ingest.FileSHA256(c.Path)
	if err != nil {
		return false, nil // ingest says what is wrong with the file
	}
	var stored string
	if err := db.QueryRowContext(ctx, `SELECT sha256 FROM uploads WHERE upload_id = ?`, cv.UploadID).Scan(&stored); err != nil {
		return false, err
	}
	return stored == sum, nil
}

// Decide records a reviewer's decision on an objection: accept (采纳) or
// not (不予采纳), with a reason.
func (is *Issuer) Decide(ctx context.Context, id int64, accept bool, reason string, at time.Time) (*Objection, error) {
	at, err := is.stepAt(ctx, "decide", fmt.Sprintf("objection %d", id), at)
	if err != nil {
		return nil, err
	}
	var o *Objection
	var pub *Publication
	var notice int64
	err = is.Store.Write(func() error {
		db := is.Store.DB()
		object := fmt.Sprintf("objection %d", id)
		os, err := listObjections(ctx, db, "o.objection_id = ?", id)
		if err == nil && len(os) == 0 {
			err = flexemp.Errorf(flexemp.ENOTFOUND, "没有编号为 %d 的异议", id)
		}
		if err == nil {
			o = os[0]
			var pubs []*Publication
			if pubs, err = Publications(ctx, db, o.Period); err == nil {
				pub = open(pubs)
			}
		}
		switch {
		case err != nil:
		case pub == nil || pub.ID != o.Publication:
			err = flexemp.Errorf(flexemp.ECONFLICT, "异议 %d 所针对的公示已撤回或已定稿，不能再处理", id)
		case o.Decision != "":
			err = flexemp.Errorf(flexemp.ECONFLICT, "异议 %d 已于 %s 处理（%s）", id, o.DecidedAt.Format("2006-01-02 15:04"), o.Decision)
		case strings.TrimSpace(reason) == "":
			err = flexemp.Errorf(flexemp.EINVALID, "处理异议须说明理由")
		}
		if err != nil {
			return is.refuse(ctx, "decide", object, err)
		}
		o.Decision, o.Reason, o.DecidedAt, o.DecidedBy = Reject, flexemp.MaskIDs(strings.TrimSpace(reason)), at, actorName(ctx)
		if accept {
			o.Decision = Accept
		}
		return is.Store.Commit(ctx, "decide", fmt.Sprintf("%s (%s)", object, o.Decision), func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE objections SET decision = ?, reason = ?, decided_at = ?, decided_by = ? WHERE objection_id = ?`,
				o.Decision, o.Reason, at, o.DecidedBy, id); err != nil {
				return err
			}
			notice, err = owe(ctx, tx, noticeDecided, pub.ID, id, at)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return o, is.deliver(ctx, notice, noticeDecided, pub, o)
}

// Objections lists the objections to a period's publications, of one city
// when city is not empty, oldest first.
func Objections(ctx context.Context, db *sql.DB, p flexemp.Period, city string) ([]*Objection, error) {
	return listObjections(ctx, db, "p.period = ? AND (? = '' OR o.city_code = ?)", p.String(), city, city)
}

// ObjectionByID is one objection, or a not-found error.
func ObjectionByID(ctx context.Context, db *sql.DB, id int64) (*Objection, error) {
	os, err := listObjections(ctx, db, "o.objection_id = ?", id)
	if err == nil && len(os) == 0 {
		err = flexemp.Errorf(flexemp.ENOTFOUND, "没有编号为 %d 的异议", id)
	}
	if err != nil {
		return nil, err
	}
	return os[0], nil
}

// Undecided names objections not yet decided in AllObjections' filter.
const Undecided = "待处理"

// AllObjections are the objections of every period, the newest first's
// order kept by number, with a decision (Accept, Reject, Withdrawn,
// Undecided; "" for any).
func AllObjections(ctx context.Context, db *sql.DB, decision string) ([]*Objection, error) {
	switch decision {
	case "":
		return listObjections(ctx, db, "true")
	case Undecided:
		return listObjections(ctx, db, "o.decision IS NULL")
	case Accept, Reject, Withdrawn:
		return listObjections(ctx, db, "o.decision = ?", decision)
	}
	return nil, flexemp.Errorf(flexemp.EINVALID, "处理结果应为 %s、%s、%s 或 %s", Undecided, Accept, Reject, Withdrawn)
}

func listObjections(ctx context.Context, db *sql.DB, where string, args ...any) ([]*Objection, error) {
	rows, err := db.QueryContext(ctx, `SELECT o.objection_id, o.publication_id, p.edition, p.period, o.city_code, o.subjects, o.statement,
			coalesce(o.upload_id, 0), coalesce(o.kind, ''), o.month, o.filed_at, o.filed_by, coalesce(o.decision, ''), coalesce(o.reason, ''),
			o.decided_at, coalesce(o.decided_by, '')
		FROM objections o JOIN publications p USING (publication_id) WHERE `+where+` ORDER BY o.objection_id`, args...)
	if err != nil {
		return nil, err
	}
	var out []*Objection
	byID := map[int64]*Objection{}
	for rows.Next() {
		o := &Objection{}
		var period, subjects, kind string
		var month, decided sql.NullTime
		if err := rows.Scan(&o.ID, &o.Publication, &o.Edition, &period, &o.City, &subjects, &o.Statement, &o.UploadID, &kind, &month,
			&o.FiledAt, &o.FiledBy, &o.Decision, &o.Reason, &decided, &o.DecidedBy); err != nil {
			rows.Close()
			return nil, err
		}
		o.Period, _ = flexemp.ParsePeriod(period)
		o.Subjects, o.Kind, o.FiledAt = strings.Split(subjects, ","), flexemp.Kind(kind), o.FiledAt.In(flexemp.Shanghai)
		if month.Valid {
			o.Month = flexemp.MonthOf(month.Time.UTC())
		}
		if decided.Valid {
			o.DecidedAt = decided.Time.In(flexemp.Shanghai)
		}
		out = append(out, o)
		byID[o.ID] = o
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	docs, err := db.QueryContext(ctx, `SELECT objection_id, n, name, media_type, size, sha256 FROM objection_documents ORDER BY objection_id, n`)
	if err != nil {
		return nil, err
	}
	defer docs.Close()
	for docs.Next() {
		var id int64
		var d DocumentInfo
		if err := docs.Scan(&id, &d.N, &d.Name, &d.MediaType, &d.Size, &d.SHA256); err != nil {
			return nil, err
		}
		if o := byID[id]; o != nil {
			o.Documents = append(o.Documents, d)
		}
	}
	for _, o := range out {
		if o.Documents == nil {
			o.Documents = []DocumentInfo{}
		}
	}
	return out, docs.Err()
}

// EvidenceMark is what a corrected extract filed with objection id is
// marked in the ledger and the appendix: 经异议采纳 once accepted.
func EvidenceMark(id int64, decision string) string {
	switch decision {
	case Accept:
		return fmt.Sprintf("异议 %d 的更正数据·经异议采纳", id)
	case Reject, Withdrawn:
		return fmt.Sprintf("异议 %d 的更正数据·%s", id, decision)
	}
	return fmt.Sprintf("异议 %d 的更正数据·待处理", id)
}

// Evidence are the objections whose corrected extracts are among uploads:
// upload ID → EvidenceMark.
func Evidence(ctx context.Context, db *sql.DB, uploads []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(uploads) == 0 {
		return out, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT upload_id, objection_id, coalesce(decision, '') FROM objections
		WHERE list_contains(?::BIGINT[], upload_id) ORDER BY objection_id`, uploads)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var upload, id int64
		var decision string
		if err := rows.Scan(&upload, &id, &decision); err != nil {
			return nil, err
		}
		out[upload] = EvidenceMark(id, decision)
	}
	return out, rows.Err()
}

// WriteObjections writes objections as `flexemp objections` lists them.
func WriteObjections(w io.Writer, list []*Objection) error {
	tw := columns.NewWriter(w)
	fmt.Fprintln(tw, "编号\t版次\t城市\t异议事项\t更正数据\t材料\t提出时间\t处理结果\t理由")
	for _, o := range list {
		fix := ""
		if o.UploadID != 0 {
			fix = fmt.Sprintf("%s %s（上传 %d）", o.Kind.Title(), o.Month, o.UploadID)
		}
		decision := o.Decision
		if decision == "" {
			decision = "待处理"
		}
		fmt.Fprintf(tw, "%d\t第%d版\t%s\t%s\t%s\t%d 份\t%s\t%s\t%s\n", o.ID, o.Edition, cityName(o.City), strings.Join(o.Subjects, "、"), fix,
			len(o.Documents), o.FiledAt.Format("2006-01-02 15:04"), decision, o.Reason)
	}
	return tw.Flush()
}

// OpenDocument is a stored document of an objection, with its bytes.
func OpenDocument(ctx context.Context, db *sql.DB, objection int64, n int) (DocumentInfo, []byte, error) {
	var d DocumentInfo
	var b []byte
	err := db.QueryRowContext(ctx, `SELECT n, name, media_type, size, sha256, content FROM objection_documents WHERE objection_id = ? AND n = ?`,
		objection, n).Scan(&d.N, &d.Name, &d.MediaType, &d.Size, &d.SHA256, &b)
	if errors.Is(err, sql.ErrNoRows) {
		return d, nil, flexemp.Errorf(flexemp.ENOTFOUND, "没有该证明材料")
	}
	return d, b, err
}
