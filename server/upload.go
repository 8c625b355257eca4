package server

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/ingest"
)

// uploadRefusal is an upload the server refused before ingest saw it.
type uploadRefusal struct {
	status  int
	code    string
	message string
}

func (e *uploadRefusal) Error() string { return e.message }

// receive streams a multipart upload (fields kind, month, file; for a page
// session, its csrf field first) into a spool file and ingests it for the principal's city
// through the write funnel. The file's name is only a label: it never
// becomes a path.
func (s *Server) receive(w http.ResponseWriter, r *http.Request, p flexemp.Principal, csrf *session) (*ingest.Result, error) {
	if p.Role != flexemp.RoleCity {
		return nil, &uploadRefusal{http.StatusForbidden, "forbidden", "审核账号只能查看，不能上传数据"}
	}
	// The limit is the file's; the form's other fields get a little room.
	r.Body = http.MaxBytesReader(w, r.Body, s.opt.uploadLimit()+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, &uploadRefusal{http.StatusBadRequest, "invalid", "请以 multipart/form-data 提交：kind、month 与 file"}
	}
	var kind, month, name, spool string
	var confirmEmpty bool
	defer func() {
		if spool != "" {
			os.Remove(spool)
		}
	}()
	first := true
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, s.readRefusal(err)
		}
		field := part.FormName()
		if csrf != nil && first {
			first = false
			if v, err := readField(part, 4<<10); err != nil || field != "csrf" || !validCSRF(csrf, v) {
				return nil, &uploadRefusal{http.StatusForbidden, "forbidden", csrfMessage}
			}
			continue
		}
		switch field {
		case "file":
			if spool != "" {
				return nil, &uploadRefusal{http.StatusBadRequest, "invalid", "一次只能上传一个文件"}
			}
			name = safeName(part.FileName())
			var release func()
			spool, release, err = s.spoolFile(part, p.City)
			defer release()
			if err != nil {
				return nil, err
			}
		default:
			v, err := readField(part, 4<<10)
			if err != nil {
				return nil, s.readRefusal(err)
			}
			switch field {
			case "kind":
				kind = v
			case "month":
				month = v
			case "confirm_empty":
				confirmEmpty = v == "1" || v == "on" || v == "true"
			}
		}
	}
	if spool == "" {
		return nil, &uploadRefusal{http.StatusBadRequest, "invalid", "没有收到文件（表单字段 file）"}
	}
	k, ok := flexemp.ParseKind(kind)
	if !ok {
		return nil, &uploadRefusal{http.StatusBadRequest, "invalid", "数据类型（kind）应为 registrations、subsidies、trainings 或 services"}
	}
	var m flexemp.Month
	if month != "" {
		if m, err = flexemp.ParseMonth(month); err != nil {
			return nil, &uploadRefusal{http.StatusBadRequest, "invalid", flexemp.ErrorMessage(err)}
		}
	}
	return s.store.Ingest(r.Context(), ingest.Request{Path: spool, FileName: name, City: p.City, Kind: k,
		Month: m, Uploader: p.Label(), ReceivedAt: s.opt.Now().In(flexemp.Shanghai), ConfirmEmpty: confirmEmpty})
}

// spoolFile copies an uploaded file into the spool folder, within the
// upload limit and the city's share of the folder; release gives the share
// back. The caller removes the file.
func (s *Server) spoolFile(part io.Reader, city string) (path string, release func(), err error) {
	budget := &citySpool{s: s, city: city}
	f, err := os.CreateTemp(s.opt.SpoolDir, spoolPattern)
	if err != nil {
		return "", budget.release, err
	}
	n, err := io.Copy(io.MultiWriter(budget, f), io.LimitReader(part, s.opt.uploadLimit()+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return f.Name(), budget.release, s.readRefusal(err)
	case n > s.opt.uploadLimit():
		return f.Name(), budget.release, s.tooLarge()
	}
	return f.Name(), budget.release, nil
}

// readField reads a small form field's value.
func readField(r io.Reader, limit int64) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit))
	return strings.TrimSpace(string(b)), err
}

// uploadStatus is the HTTP status of an ingest result: 200, or for a
// refused file 413 (unpacks too large), 415 (not a supported file) or 422.
func uploadStatus(res *ingest.Result) int {
	if res.Status != ingest.StatusRefused {
		return http.StatusOK
	}
	if status, ok := statusByCode[res.Code]; ok {
		return status
	}
	return http.StatusUnprocessableEntity
}

func (s *Server) tooLarge() *uploadRefusal {
	return &uploadRefusal{http.StatusRequestEntityTooLarge, "too_large",
		"文件超过上传上限 " + formatMiB(s.opt.uploadLimit()) + "，未入库"}
}

// citySpool counts what one upload spools against its city's share of the
// spool folder, refusing the bytes beyond it.
type citySpool struct {
	s    *Server
	city string
	n    int64
}

var errSpoolFull = errors.New("the city's spool share is used up")

func (c *citySpool) Write(b []byte) (int, error) {
	c.s.spoolMu.Lock()
	defer c.s.spoolMu.Unlock()
	if c.s.spooled[c.city]+int64(len(b)) > c.s.opt.SpoolMiBPerCity<<20 {
		return 0, errSpoolFull
	}
	c.s.spooled[c.city] += int64(len(b))
	c.n += int64(len(b))
	return len(b), nil
}

// release gives the upload's bytes back when it is done, whatever became
// of it.
func (c *citySpool) release() {
	c.s.spoolMu.Lock()
	defer c.s.spoolMu.Unlock()
	if c.s.spooled[c.city] -= c.n; c.s.spooled[c.city] <= 0 {
		delete(c.s.spooled, c.city)
	}
	c.n = 0
}

func (s *Server) readRefusal(err error) error {
	if errors.Is(err, errSpoolFull) {
		return &uploadRefusal{http.StatusTooManyRequests, "too_many_requests",
			"本市正在上传的文件合计已达上限 " + formatMiB(s.opt.SpoolMiBPerCity<<20) + "，请等前面的上传完成后再试"}
	}
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return s.tooLarge()
	}
	return &uploadRefusal{http.StatusBadRequest, "invalid", "上传中断或表单格式错误，请重试"}
}

func formatMiB(n int64) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', -1, 64) + " MiB"
}

// safeName keeps the last element of an uploaded file's name, without any
// directory of either slash, control characters or more than 200 bytes:
// a label for the ledger, never a path.
func safeName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	for len(name) > 200 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." {
		return "upload"
	}
	return name
}
